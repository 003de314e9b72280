"""A secret sent in a header, the query and the body, and echoed back in every encoding, is stored nowhere.

A real loopback server echoes what it received raw, URL-encoded and Base64-encoded (in its
body, its headers and an error), then every record, API answer, admin page and log line is
searched for the secret in each of those forms.
"""

import base64
import html
import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client

from executions import services
from executions.models import StepExecution, WorkflowExecution
from tests.conftest import require_service
from tests.support import processes
from tests.support.workers import wait_for_execution
from workflows.services import config_set

SECRET = "Sx7 Tk+9/Qp=Zr&wV"
HOOK_SECRET = "whsec-4f1c9e2b77"


def b64(data, urlsafe=False):
    data = data if isinstance(data, bytes) else data.encode()
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()


def forms(secret):
    """Every spelling of the secret that must not appear anywhere."""
    spellings = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), json.dumps(secret)[1:-1]}
    for urlsafe in (False, True):
        spellings |= {b64(secret, urlsafe), b64(secret, urlsafe).rstrip("="), b64(f"carrier:{secret}", urlsafe)}
        # The secret's own Base64 characters, at each alignment inside a longer Base64 text.
        for offset in range(3):
            spellings.add(b64(b"\0" * offset + secret.encode(), urlsafe)[4:16])
    return spellings | {html.escape(spelling) for spelling in spellings}


FORMS = forms(SECRET) | forms(HOOK_SECRET)


def leaks(text):
    return sorted(form for form in FORMS if form in text)


def encodings(value):
    return {
        "raw": value,
        "inside": f"<<{value}>>",
        "quote": quote(value, safe=""),
        "quote_plus": quote_plus(value),
        "lower_hex": quote(value, safe="").lower(),
        "base64": b64(value),
        "base64_nopad": b64(value).rstrip("="),
        "urlsafe": b64(value, True),
        "urlsafe_nopad": b64(value, True).rstrip("="),
        "basic": "Basic " + b64(f"carrier:{value}"),
    }


class EchoServer:
    """Answers every request with what it received, in every encoding; /fail answers 500."""

    def __init__(self):
        self.received = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _echo(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                parts = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                headers = dict(self.headers.items())
                server.received.append({"headers": headers, "query": query, "body": raw})
                values = [*headers.values(), *query.values()]
                try:
                    values += [str(v) for v in json.loads(raw).values()] if raw else []
                except (ValueError, AttributeError):
                    values.append(raw)
                echo = {
                    "headers": headers,
                    "rawQuery": parts.query,
                    "query": query,
                    "body": raw,
                    "bodyBase64": b64(raw),
                    "queryBase64": b64(parts.query, True),
                    "encoded": [encodings(value) for value in values],
                }
                payload = json.dumps(echo).encode()
                self.send_response(500 if parts.path == "/fail" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                auth = headers.get("Authorization", "")
                self.send_header("X-Echo-Auth", auth)
                self.send_header("X-Echo-Auth-B64", b64(auth))
                self.send_header("X-Echo-Query", parts.query)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _echo

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def echo():
    server = EchoServer()
    yield server
    server.stop()


def steps(echo):
    call = {
        "method": "POST",
        "headers": {"Authorization": "Bearer {{config.carrier.apiKey}}", "X-Api-Key": "{{config.carrier.apiKey}}"},
        "queryParams": {"key": "{{config.carrier.apiKey}}", "page": 1},
        "body": {"password": "{{config.carrier.apiKey}}", "note": "key={{config.carrier.apiKey}}"},
    }
    return [
        {
            "id": "echo",
            "type": "HTTP_REQUEST",
            "order": 1,
            "config": {
                "url": echo.url("/echo"),
                **call,
                "extractResponse": {"path": "headers", "variableName": "echoed"},
            },
        },
        {
            "id": "hook",
            "type": "WEBHOOK_CALL",
            "order": 2,
            "config": {
                "url": echo.url("/hook"),
                "body": {"k": "{{config.carrier.apiKey}}"},
                "signingSecret": "{{config.hookSecret}}",
            },
        },
        {"id": "fail", "type": "HTTP_REQUEST", "order": 3, "config": {"url": echo.url("/fail"), **call}},
    ]


def store_secrets():
    config_set(key="carrier", value={"apiKey": SECRET, "region": "eu"}, is_secret=True)
    config_set(key="hookSecret", value=HOOK_SECRET, is_secret=True)


def records_text(execution):
    rows = StepExecution.objects.filter(execution_id=execution.pk).values(
        "input", "output", "variables", "state", "logs", "error"
    )
    row = WorkflowExecution.objects.filter(pk=execution.pk).values("output", "error", "metadata").get()
    return json.dumps([list(rows), row], default=str)


def assert_the_server_got_the_secret(echo):
    first = echo.received[0]
    assert first["headers"]["Authorization"] == f"Bearer {SECRET}"
    assert first["query"]["key"] == SECRET
    assert json.loads(first["body"])["password"] == SECRET


def test_an_echoed_secret_is_in_no_record_api_answer_admin_page_or_log_line(worker, echo, make_workflow, api, caplog):
    caplog.set_level(logging.DEBUG)
    store_secrets()
    workflow = make_workflow(steps(echo))

    execution = wait_for_execution(services.execution_start(workflow=workflow).pk)

    # The run did send the secret, and got it back in every form.
    assert execution.status == "FAILED" and execution.error_type == "HTTP_ERROR"
    assert_the_server_got_the_secret(echo)
    assert len(echo.received) == 3
    echo_output = StepExecution.objects.get(execution_id=execution.pk, step_id="echo").output
    assert echo_output["headers"]["X-Echo-Auth"] == "Bearer ***"
    assert "***" in execution.error

    # Records: input, output, variables, state, logs and errors of every step, and the execution.
    assert leaks(records_text(execution)) == []

    # API answers.
    for url in (f"/api/v1/executions/{execution.pk}", f"/api/v1/executions?workflowId={workflow.pk}"):
        response = api.get(url)
        assert response.status_code == 200
        assert leaks(response.content.decode()) == [], url

    # Admin pages.
    User.objects.create_superuser("boss", password="pw")
    admin = Client()
    admin.login(username="boss", password="pw")
    pages = [f"/admin/executions/workflowexecution/{execution.pk}/change/", "/admin/executions/workflowexecution/"]
    pages += [
        f"/admin/executions/stepexecution/{pk}/change/" for pk in execution.steps_executed.values_list("pk", flat=True)
    ]
    pages += ["/admin/workflows/configentry/"]
    for page in pages:
        response = admin.get(page)
        assert response.status_code == 200, page
        assert leaks(response.content.decode()) == [], page

    # Log lines (urllib3 logs each request line, query included, at DEBUG).
    assert any("/echo?" in record.getMessage() for record in caplog.records)
    assert leaks(caplog.text) == []
    assert leaks("\n".join(record.getMessage() for record in caplog.records)) == []


def test_orchestration_answers_hold_no_echoed_secret(worker, echo, api, caplog):
    caplog.set_level(logging.DEBUG)
    store_secrets()
    body = {"requestId": "echo-1", "steps": steps(echo), "context": {}, "options": {"timeout": 15000}}

    response = api.post("/api/orchestration/execute", body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "FAILED"
    assert_the_server_got_the_secret(echo)
    assert leaks(response.content.decode()) == []
    for url in ("/api/orchestration/active/echo-1", "/api/orchestration/active"):
        assert leaks(api.get(url).content.decode()) == [], url
    assert leaks(caplog.text) == []


def test_worker_process_logs_hold_no_echoed_secret(transactional_db, echo, make_workflow):
    require_service("redis")
    store_secrets()
    workflow = make_workflow(steps(echo))
    with processes.worker_processes(processes=1, threads=2, env={"LOG_LEVEL": "DEBUG"}) as group:
        execution = wait_for_execution(services.execution_start(workflow=workflow).pk, timeout=30)
        with open(group.log.name) as log:
            text = log.read()

    assert execution.status == "FAILED"
    assert_the_server_got_the_secret(echo)
    assert "/echo?" in text  # the request lines were logged, at DEBUG
    assert leaks(text) == []
    assert leaks(records_text(execution)) == []
