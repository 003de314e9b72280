"""An operator's journey through the admin in a real browser: edit, validate, run, watch, breakers.

Each stage is a function taking the page, so a new stage (another admin page) is one function and
one line in the journey.
"""

import re
import threading
import time

from playwright.sync_api import expect

from breakers.models import CircuitBreaker
from breakers.services import breaker_acquire, breaker_configure, breaker_get_or_create, breaker_record
from tests.support.browser import log_in, screenshot, set_json_editor
from workflows.models import Workflow


def transform(mapping):
    return {"transformations": [{"type": "MAP", "config": {"mapping": mapping}}]}


def journey_steps(quote_url):
    """A workflow using every shape the diagram draws, with a call that fails once and is retried."""
    return [
        {"id": "greet", "name": "Greet", "type": "DATA_TRANSFORM", "order": 1, "config": transform({"who": "name"})},
        {
            "id": "check",
            "name": "Has items?",
            "type": "CONDITIONAL",
            "order": 2,
            "config": {
                "conditions": [{"field": "items", "operator": "ne", "value": None}],
                "trueStepId": "fan_out",
                "falseStepId": "nothing",
            },
        },
        {"id": "fan_out", "name": "Fan out", "type": "PARALLEL", "config": {"steps": ["pause", "loop", "quote"]}},
        {
            "id": "quote",
            "name": "Get a quote",
            "type": "HTTP_REQUEST",
            "config": {"method": "GET", "url": quote_url},
            "retryPolicy": {"maxAttempts": 3, "strategy": "FIXED", "initialDelay": 300},
        },
        {"id": "pause", "name": "Pause", "type": "WAIT", "config": {"duration": 1500, "unit": "ms"}},
        {
            "id": "loop",
            "name": "Each item",
            "type": "FOR_EACH",
            "config": {"items": "items", "steps": ["shape"], "maxConcurrency": 2},
        },
        {"id": "shape", "name": "Shape item", "type": "DATA_TRANSFORM", "config": transform({"value": "item"})},
        {"id": "nothing", "name": "Nothing to do", "type": "WAIT", "config": {"duration": 1, "unit": "ms"}},
        {
            "id": "recover",
            "name": "Recover",
            "type": "DATA_TRANSFORM",
            "config": transform({"failed": "error.message"}),
        },
        {"id": "done", "name": "Done", "type": "DATA_TRANSFORM", "order": 3, "config": transform({"who": "name"})},
    ]


HANDLERS = [{"stepId": "greet", "handlerStepId": "recover", "shouldContinue": True}]


def broken(steps):
    """The same steps with steps[6] ("shape") missing its transformations."""
    return [*steps[:6], {**steps[6], "config": {}}, *steps[7:]]


def create_workflow_with_a_validation_error(page, base_url, steps):
    page.goto(f"{base_url}/admin/workflows/workflow/add/")
    page.fill("#id_name", "Browser journey")
    page.fill("#id_category", "browser")
    page.select_option("#id_status", "ACTIVE")
    set_json_editor(page, "id_steps", broken(steps))
    set_json_editor(page, "id_error_handlers", HANDLERS)
    page.click("input[name=_continue]")
    # The validator's message is shown at the steps field, with the path of the bad field.
    expect(page.locator(".field-steps .errorlist")).to_contain_text("steps[6].config.transformations")
    assert not Workflow.objects.exists(), "nothing is saved while the definition is invalid"


def fix_the_step_and_save(page, base_url, steps):
    set_json_editor(page, "id_steps", steps)
    set_json_editor(page, "id_error_handlers", HANDLERS)
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    diagram = page.get_by_test_id("workflow-diagram")
    for step_id in ("greet", "check", "fan_out", "pause", "loop", "shape", "quote", "nothing", "recover", "done"):
        expect(diagram.locator(f'[data-step-id="{step_id}"]').first).to_be_visible()
    screenshot(page, "admin-editor.png")
    return Workflow.objects.get(name="Browser journey")


def run_now_and_watch_it_complete(page, base_url, workflow, quote_gate):
    page.get_by_role("link", name="Run now").click()
    page.fill("#id_input", '{"name": "Ada", "items": [1, 2, 3]}')
    page.click("input[name=_run]")
    page.wait_for_url(re.compile(r"/admin/executions/workflowexecution/[0-9a-f-]{36}/change/$"))
    live = page.get_by_test_id("execution-live")
    expect(live).to_have_attribute("data-finished", "0")  # held: the quote service has not answered yet
    expect(page.get_by_test_id("execution-status")).to_contain_text("RUNNING")
    # Mark this document: a reload would lose the mark, a live update keeps it.
    page.evaluate("window.__notReloaded = true")
    execution_id = page.url.rstrip("/").split("/")[-2]
    active = page.context.new_page()
    active.goto(f"{base_url}/admin/executions/workflowexecution/active/")
    row = active.locator(f'[data-execution="{execution_id}"]')
    expect(row).to_be_visible()
    quote_gate.set()
    expect(row).to_have_count(0, timeout=20_000)  # the active page drops it by itself once it ends
    active.close()
    expect(page.get_by_test_id("execution-status")).to_contain_text("COMPLETED", timeout=20_000)
    assert page.evaluate("window.__notReloaded === true"), "the page updated itself, without a reload"
    expect(page.locator("#execution-live")).to_have_attribute("data-finished", "1")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator(".tl-row")).to_have_count(workflow.executions.get().steps_executed.count())
    expect(timeline.locator('.tl-row[data-key$="fan_out/pause"] .tl-bar')).to_be_visible()
    # The quote failed once (503) and was retried: its bar carries one failed-attempt mark.
    expect(timeline.locator('.tl-row[data-key$="fan_out/quote"] .tl-mark')).to_have_count(1)
    expect(timeline.locator('.tl-row[data-key$="fan_out/quote"]')).to_contain_text("1 failed attempt")
    quote = page.locator('details[data-key$="fan_out/quote"]')
    quote.locator("summary code").click()
    expect(quote).to_contain_text('"retryInMs": 300')  # its logs, pretty-printed, show the failed attempt
    screenshot(page, "admin-execution.png")


def open_the_workflow_metrics(page, base_url, workflow):
    page.goto(f"{base_url}/admin/workflows/workflow/{workflow.pk}/change/")
    page.get_by_role("link", name="Metrics").click()
    page.wait_for_url(f"{base_url}/admin/metrics/workflows/{workflow.pk}/")
    expect(page.locator("#content")).to_contain_text("Metrics: Browser journey")
    # Every chart is drawn (server-rendered SVG), its bars and points among them.
    expect(page.locator("svg.chart")).to_have_count(5)
    expect(page.locator("figcaption", has_text="Executions per hour")).to_be_visible()
    expect(page.locator("svg.chart rect.bar").first).to_be_attached()
    page.goto(f"{base_url}/admin/metrics/")
    expect(page.locator("svg.chart")).to_have_count(3)
    expect(page.locator("figcaption", has_text="Most failing workflows")).to_be_visible()


def make_breakers():
    """Three breakers, one in each state, with transitions to show."""
    breaker_get_or_create(service_id="carrier-a-api")
    for service_id, timeout in (("carrier-b-api", 60_000), ("carrier-c-api", 10)):
        breaker = breaker_get_or_create(service_id=service_id)
        breaker_configure(breaker=breaker, config={"threshold": 2, "timeout": timeout})
        for _ in range(2):
            breaker_record(permit=breaker_acquire(service_id=service_id), success=False, reason="HTTP 503")
    time.sleep(0.2)  # well past carrier-c's 10 ms timeout, on any database clock's resolution
    breaker_acquire(service_id="carrier-c-api")  # its timeout has passed: this probe half-opens it
    assert CircuitBreaker.objects.get(service_id="carrier-c-api").state == "HALF_OPEN"


def open_the_breaker_dashboard(page, base_url):
    make_breakers()
    page.goto(f"{base_url}/admin/breakers/circuitbreaker/")
    page.get_by_role("link", name="Dashboard").click()
    dashboard = page.get_by_test_id("breaker-dashboard")
    for service_id, state in (("carrier-a-api", "CLOSED"), ("carrier-b-api", "OPEN"), ("carrier-c-api", "HALF_OPEN")):
        expect(dashboard.locator(f'[data-service="{service_id}"] .breaker-state')).to_have_text(state)
    expect(dashboard.locator('[data-service="carrier-b-api"]')).to_contain_text("CLOSED → OPEN")
    screenshot(page, "admin-breakers.png")


def test_an_operator_edits_runs_and_watches_a_workflow(page, live_server, worker, server, staff_login):
    quote_gate = threading.Event()
    server.route("GET", "/quote", sequence=[(503, {"error": "busy"}), (200, {"price": 42})], gate=quote_gate)
    steps = journey_steps(server.url("/quote"))
    log_in(page, live_server.url, *staff_login)
    create_workflow_with_a_validation_error(page, live_server.url, steps)
    workflow = fix_the_step_and_save(page, live_server.url, steps)
    run_now_and_watch_it_complete(page, live_server.url, workflow, quote_gate)
    open_the_workflow_metrics(page, live_server.url, workflow)
    open_the_breaker_dashboard(page, live_server.url)
