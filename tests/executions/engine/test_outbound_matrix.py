"""SSRF matrix: every spelling of a non-public destination is refused before any connection is made.

Each URL points at a real loopback listener; after the step, the listener's accept queue is
read without blocking (a completed TCP handshake would be waiting there) and urllib3's
connection function is watched, so "nothing reached it" is checked, not assumed.
"""

import contextlib
import socket

import pytest
import urllib3.util.connection
from django.test import override_settings

from executions.engine.errors import DESTINATION_BLOCKED, StepError
from executions.engine.steps.http_request import HttpRequest
from tests.support.invocations import invocation


class Listener:
    """A TCP socket that only counts the connections made to it."""

    def __init__(self, family, host, port=0):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def accepted(self):
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def close(self):
        self.sock.close()


@pytest.fixture
def listeners():
    v4 = Listener(socket.AF_INET, "127.0.0.1")
    v6 = None
    with contextlib.suppress(OSError):
        v6 = Listener(socket.AF_INET6, "::1", v4.port)  # same port, so "localhost" meets both
    yield v4, v6
    v4.close()
    if v6:
        v6.close()


@pytest.fixture
def dials(monkeypatch):
    """Every address urllib3 tries to connect to."""
    seen = []
    real = urllib3.util.connection.create_connection

    def watching(address, *args, **kwargs):
        seen.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", watching)
    return seen


@pytest.fixture
def resolver(monkeypatch):
    """Make `internal.example` resolve to 127.0.0.1 for the guard (its one lookup)."""
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == "internal.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def call(url, **config):
    return HttpRequest().execute(invocation({"url": url, "timeout": 2000, **config}, type_name="HTTP_REQUEST"))


MATRIX = [
    "http://127.0.0.1:{port}/",
    "http://localhost:{port}/",
    "http://0.0.0.0:{port}/",
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::127.0.0.1]:{port}/",
    "http://[::ffff:0:127.0.0.1]:{port}/",
    "http://[64:ff9b::127.0.0.1]:{port}/",
    "http://[64:ff9b:1::a9fe:a9fe]:{port}/",
    "http://[2002:7f00:1::]:{port}/",
    "http://[2002:a9fe:a9fe::]/latest/meta-data/",
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.169.254:{port}/",
    "http://10.0.0.1:{port}/",
    "http://2130706433:{port}/",
    "http://0x7f000001:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://127.1:{port}/",
    "http://internal.example:{port}/",
    "https://127.0.0.1:{port}/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/_GET",
]


@pytest.mark.parametrize("template", MATRIX)
@override_settings(OUTBOUND_ALLOW_NETWORKS="", OUTBOUND_ALLOW_HOSTS="", OUTBOUND_ALLOW_PRIVATE=False)
def test_a_non_public_destination_is_refused_before_any_connection(template, listeners, dials, resolver):
    v4, v6 = listeners
    url = template.format(port=v4.port)

    with pytest.raises(StepError) as caught:
        call(url)

    assert caught.value.error_type == DESTINATION_BLOCKED, caught.value.message
    assert "refused" in caught.value.message
    assert dials == []
    assert v4.accepted() == 0
    assert v6 is None or v6.accepted() == 0


@override_settings(OUTBOUND_ALLOW_NETWORKS="", OUTBOUND_ALLOW_HOSTS="localhost")
def test_a_redirect_to_a_refused_address_is_never_followed_there(listeners, dials, server):
    # Given a first hop that is allowed (by name) and redirects to loopback by address
    v4, v6 = listeners
    server.route("GET", "/go", status=302, json={}, headers={"Location": f"http://127.0.0.1:{v4.port}/admin"})

    with pytest.raises(StepError) as caught:
        call(f"http://localhost:{server.port}/go", followRedirects=True)

    assert caught.value.error_type == DESTINATION_BLOCKED
    assert "127.0.0.1" in caught.value.message and "redirect 1" in caught.value.message
    assert len(server.received("GET", "/go")) == 1
    assert all(port != v4.port for _, port in dials)
    assert v4.accepted() == 0
    assert v6 is None or v6.accepted() == 0


@override_settings(OUTBOUND_ALLOW_HOSTS="localhost")
def test_a_redirect_to_another_scheme_is_refused(server):
    server.route("GET", "/go", status=302, json={}, headers={"Location": "file:///etc/passwd"})

    with pytest.raises(StepError) as caught:
        call(f"http://localhost:{server.port}/go", followRedirects=True)

    assert caught.value.error_type == DESTINATION_BLOCKED
    assert "only http and https" in caught.value.message


@override_settings(OUTBOUND_ALLOW_NETWORKS="127.0.0.0/8")
def test_the_listener_does_see_an_allowed_connection(listeners, dials):
    # The control case: the same set-up notices a connection when the address is allowed.
    v4, _ = listeners

    with pytest.raises(StepError):
        call(f"http://127.0.0.1:{v4.port}/", timeout=300)

    assert dials and v4.accepted() == 1


def test_a_refused_redirect_fails_the_step_with_the_reason_recorded(worker, server, run_workflow, listeners):
    v4, _ = listeners
    server.route("GET", "/go", status=302, json={}, headers={"Location": f"http://127.0.0.1:{v4.port}/admin"})

    with override_settings(OUTBOUND_ALLOW_NETWORKS="", OUTBOUND_ALLOW_HOSTS="localhost"):
        execution = run_workflow(
            [
                {
                    "id": "go",
                    "type": "HTTP_REQUEST",
                    "config": {"url": f"http://localhost:{server.port}/go", "followRedirects": True},
                }
            ]
        )

    assert execution.status == "FAILED"
    assert execution.error_type == DESTINATION_BLOCKED
    record = execution.steps_executed.get()
    assert "127.0.0.1 is not a public address" in record.error
    assert "redirect 1" in record.error
    assert v4.accepted() == 0
