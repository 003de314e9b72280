"""The SSRF guard: refused destinations never see a request; allowed ones get the original Host."""

import socket

import pytest
from django.test import override_settings

from executions.engine.outbound import DestinationBlocked, _policy, checked_address, refusal

DEFAULT = _policy("", "", "", False)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "169.254.169.254",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::ffff:127.0.0.1",
        "fe80::1",
        "fc00::1",
        "::",
    ],
)
def test_not_public_addresses_are_refused_by_default(address):
    assert refusal(address, "example.test", DEFAULT)


def test_public_addresses_pass_by_default():
    assert refusal("93.184.216.34", "example.com", DEFAULT) is None
    assert refusal("2606:2800:220:1::1", "example.com", DEFAULT) is None


@pytest.mark.parametrize(
    "carrier",
    ["::ffff:{v4}", "::{v4}", "::ffff:0:{v4}", "64:ff9b::{v4}", "2002:{hex}::1"],
)
def test_an_ipv6_address_carrying_an_ipv4_one_is_judged_by_the_ipv4_address(carrier):
    def spelled(v4):
        a, b, c, d = (int(part) for part in v4.split("."))
        return carrier.format(v4=v4, hex=f"{a * 256 + b:x}:{c * 256 + d:x}")

    assert refusal(spelled("127.0.0.1"), "example.test", DEFAULT)
    assert refusal(spelled("169.254.169.254"), "example.test", DEFAULT)
    assert refusal(spelled("93.184.216.34"), "example.com", DEFAULT) is None
    assert refusal(spelled("127.0.0.1"), "x", _policy("127.0.0.0/8", "", "", False)) is None
    # The lists match the IPv6 spelling too.
    assert refusal(
        spelled("93.184.216.34"),
        "x",
        _policy("", "64:ff9b::/96,::/96,2002::/16,::ffff:0:0/96,::ffff:0:0:0/96", "", False),
    )
    assert refusal(spelled("127.0.0.1"), "x", _policy("::/0", "", "", False)) is None


def test_local_use_nat64_is_not_public_whatever_it_carries():
    assert refusal("64:ff9b:1:a00:0:100:5db8:d822", "example.com", DEFAULT)
    assert refusal("64:ff9b:1::5db8:d822", "example.com", DEFAULT)
    assert refusal("64:ff9b:1::5db8:d822", "x", _policy("64:ff9b:1::/48", "", "", False)) is None


def test_settings_allow_and_deny():
    loopback = _policy("127.0.0.0/8", "", "", False)
    assert refusal("127.0.0.1", "x", loopback) is None
    assert refusal("10.0.0.1", "x", loopback)
    assert refusal("93.184.216.34", "x", _policy("", "93.184.216.0/24", "", False))
    assert refusal("127.0.0.1", "internal.example", _policy("", "", "internal.example", False)) is None
    private = _policy("", "", "", True)
    assert refusal("10.0.0.1", "x", private) is None
    assert refusal("127.0.0.1", "x", private)  # loopback is never "private" enough
    assert refusal("169.254.169.254", "x", private)


@pytest.mark.parametrize("spelling", ["0x7f.1", "2130706433", "0177.0.0.1", "127.1", "[::ffff:7f00:1]"])
def test_other_spellings_of_loopback_are_refused(spelling):
    with pytest.raises(DestinationBlocked):
        checked_address(spelling.strip("[]"), 80, DEFAULT)


def test_a_name_with_any_refused_address_is_refused(monkeypatch):
    def resolve(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)

    with pytest.raises(DestinationBlocked):
        checked_address("rebind.example", 80, DEFAULT)


def test_a_blocked_step_fails_without_sending(worker, server, run_workflow):
    server.route("GET", "/internal", json={"secret": True})

    with override_settings(OUTBOUND_ALLOW_NETWORKS=""):
        execution = run_workflow([{"id": "probe", "type": "HTTP_REQUEST", "config": {"url": server.url("/internal")}}])

    assert execution.status == "FAILED"
    assert execution.error_type == "DESTINATION_BLOCKED"
    assert server.requests == []


def test_an_allowed_host_is_reached_with_its_own_host_header(worker, server, run_workflow):
    server.route("GET", "/hello", json={"ok": True})

    execution = run_workflow(
        [{"id": "hello", "type": "HTTP_REQUEST", "config": {"url": f"http://localhost:{server.port}/hello"}}]
    )

    assert execution.status == "COMPLETED", execution.error
    assert server.received("GET", "/hello")[0]["headers"]["Host"] == f"localhost:{server.port}"
