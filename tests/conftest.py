"""Shared fixtures: API clients by role, a recording loopback server, real workers, factories."""

import os

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from executions import services as execution_services
from orchestration_site import masking
from orchestration_site.roles import roles_refresh
from tests.support import browser, flush, processes
from tests.support.server import RecordingServer
from tests.support.workers import running_worker, service_available, wait_for_execution
from workflows import services as workflow_services

BROKERS = ["stub", "redis", "rabbitmq"]
flush.install()
_skipped_suites = set()
_ran_suites = set()


def _client_for(user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    client.user = user
    return client


@pytest.fixture(autouse=True)
def _forget_secrets():
    """Secrets a test's config held are masked in its process only while it runs."""
    yield
    masking.forget_all()


@pytest.fixture
def editor(db):
    """A user holding every permission of the project's apps (but not a superuser)."""
    user = User.objects.create_user("editor", password="pw")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["workflows", "executions", "breakers", "audit"])
    )
    return User.objects.get(pk=user.pk)


@pytest.fixture
def api(editor):
    """An API client authenticated by token as the editor."""
    return _client_for(editor)


@pytest.fixture
def viewer_api(db):
    """An API client for a signed-in user with no model permissions."""
    return _client_for(User.objects.create_user("viewer", password="pw"))


@pytest.fixture
def role_api(db):
    """Return an API client (by token) for a new user in one role group: viewer, editor or operator."""

    def make(role, username=None):
        if not Group.objects.filter(name=role).exists():
            roles_refresh()
        user = User.objects.create_user(username or f"{role}-user", password="pw")
        user.groups.add(Group.objects.get(name=role))
        return _client_for(User.objects.get(pk=user.pk))

    return make


@pytest.fixture
def viewer_role_api(role_api):
    """An API client for a user in the viewer group (reads everything, writes nothing)."""
    return role_api("viewer")


@pytest.fixture
def anon_api():
    return APIClient()


@pytest.fixture
def server():
    recording = RecordingServer().start()
    yield recording
    recording.stop()


@pytest.fixture
def worker(transactional_db):
    """A real Dramatiq worker (4 threads) on the in-process broker."""
    with running_worker("stub") as running:
        yield running


def require_service(kind):
    """Skip (or, with REQUIRE_SERVICES set, fail) when a broker service is not reachable."""
    if not service_available(kind):
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(f"{kind} is not reachable and REQUIRE_SERVICES is set")
        _skipped_suites.add(kind)
        pytest.skip(f"{kind} is not reachable: its broker suite is skipped")
    _ran_suites.add(kind)


def require_browser():
    """Skip (or, with REQUIRE_SERVICES set, fail) when headless Chromium cannot run here."""
    reason = browser.unavailable_reason()
    if reason:
        _skipped_suites.add("browser")
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(f"browser tests cannot run ({reason}) and REQUIRE_SERVICES is set")
        pytest.skip(f"browser suite skipped: {reason}")
    _ran_suites.add("browser")


@pytest.fixture(params=BROKERS)
def broker_kind(request, transactional_db):
    """Each broker in turn: in-process, Redis, RabbitMQ (skipped when not reachable)."""
    require_service(request.param)
    return request.param


@pytest.fixture
def worker_processes(transactional_db):
    """Two real `rundramatiq` processes × 8 threads on Redis, sharing the test database."""
    require_service("redis")
    with processes.worker_processes(processes=2, threads=8) as running:
        yield running


@pytest.fixture
def broker_worker(broker_kind):
    """A real worker (4 threads) on each broker in turn."""
    with running_worker(broker_kind) as running:
        yield running


@pytest.fixture
def make_workflow(db):
    def make(steps, **fields):
        data = {"name": fields.pop("name", "Test workflow"), "category": "test", "status": "ACTIVE", "steps": steps}
        data.update(fields)
        return workflow_services.workflow_create(data=data)

    return make


@pytest.fixture
def run_workflow(make_workflow):
    """Create an ACTIVE workflow from steps, run it with `input` and wait for the end."""

    def run(steps, input=None, wait=15.0, **fields):
        workflow = make_workflow(steps, **fields)
        execution = execution_services.execution_start(workflow=workflow, input=input or {})
        return wait_for_execution(execution.pk, timeout=wait)

    return run


def steps_of(execution):
    """Return {key: StepExecution} for an execution."""
    return {row.key: row for row in execution.steps_executed.all()}


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_sep("-", "services")
    terminalreporter.write_line(f"database: {connection.vendor}")
    for kind in ("redis", "rabbitmq"):
        if kind in _skipped_suites:
            state = "SKIPPED (not reachable)"
        elif kind in _ran_suites:
            state = "exercised"
        else:
            state = "not selected in this run"
        terminalreporter.write_line(f"{kind} broker suite: {state}")
    if "browser" in _skipped_suites:
        terminalreporter.write_line(f"browser suite: SKIPPED ({browser.unavailable_reason()})")
    else:
        terminalreporter.write_line(
            f"browser suite: {'exercised' if 'browser' in _ran_suites else 'not selected in this run'}"
        )
