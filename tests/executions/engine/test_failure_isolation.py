"""A step that raises unexpectedly fails its execution with the error recorded, never the worker."""

from executions.engine import http
from tests.conftest import steps_of


def test_unexpected_exception_fails_the_step_and_the_worker_goes_on(worker, server, run_workflow, monkeypatch):
    server.route("GET", "/fine", json={"ok": True})
    real_send = http.send

    def explode(**kwargs):
        if kwargs["url"].endswith("/explode"):
            raise RuntimeError("handler bug")
        return real_send(**kwargs)

    monkeypatch.setattr(http, "send", explode)

    broken = run_workflow([{"id": "x", "type": "HTTP_REQUEST", "config": {"url": server.url("/explode")}}])
    healthy = run_workflow([{"id": "y", "type": "HTTP_REQUEST", "config": {"url": server.url("/fine")}}])

    assert broken.status == "FAILED"
    assert broken.error_type == "STEP_ERROR"
    assert "RuntimeError: handler bug" in steps_of(broken)["x"].error
    assert healthy.status == "COMPLETED"
