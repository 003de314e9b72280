"""The SSRF guard: which addresses HTTP steps may reach, checked on the address actually dialled.

A host name is resolved once; every address it resolves to is checked, and the connection goes
to the checked address (with the original name kept for the Host header, TLS SNI and the
certificate check), so a DNS answer that changes between check and connect (rebinding) cannot
slip through. Numeric, octal and hex spellings of an address resolve to the same address and
meet the same check; IPv6 addresses that carry an IPv4 address (mapped, compatible, translated,
NAT64, 6to4) are checked as the IPv4 address they carry.

Denied unless allowed: everything that is not a global address (loopback, link-local with the
cloud metadata address 169.254.169.254, private ranges, CGNAT 100.64.0.0/10, unspecified,
multicast, reserved) and anything in OUTBOUND_DENY_NETWORKS. OUTBOUND_ALLOW_HOSTS (names) and
OUTBOUND_ALLOW_NETWORKS let chosen destinations through; OUTBOUND_ALLOW_PRIVATE lets private
ranges (10/8, 172.16/12, 192.168/16, fc00::/7) through but never loopback or link-local.
"""

import functools
import ipaddress
import socket

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

PRIVATE_RANGES = tuple(
    ipaddress.ip_network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


class DestinationBlocked(requests.RequestException):
    """The destination's address is not allowed by the outbound policy."""


def _networks(text):
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in text.split(",") if item.strip())


@functools.lru_cache(maxsize=8)
def _policy(allow_networks, deny_networks, allow_hosts, allow_private):
    return (
        _networks(allow_networks),
        _networks(deny_networks),
        frozenset(host.strip().lower() for host in allow_hosts.split(",") if host.strip()),
        allow_private,
    )


def current_policy():
    """The policy in settings (parsed once per distinct value)."""
    return _policy(
        settings.OUTBOUND_ALLOW_NETWORKS,
        settings.OUTBOUND_DENY_NETWORKS,
        settings.OUTBOUND_ALLOW_HOSTS,
        settings.OUTBOUND_ALLOW_PRIVATE,
    )


# IPv6 prefixes whose last 32 bits are an IPv4 address that the packet ends up at: IPv4-compatible
# (::/96), IPv4-translated (::ffff:0:0:0/96) and well-known NAT64 (64:ff9b::/96).
IPV4_CARRYING = tuple(ipaddress.ip_network(net) for net in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96"))
# Local-use NAT64 reaches a network's own IPv4 hosts, wherever its prefix puts the address.
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def carried_ipv4(ip):
    """The IPv4 address an IPv6 address carries (mapped, compatible, translated, NAT64, 6to4), or `ip`."""
    if ip.version == 4:
        return ip
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if int(ip) > 1 and any(ip in net for net in IPV4_CARRYING):  # :: and ::1 are IPv6's own
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def refusal(address, host, policy):
    """Return why `address` (reached for `host`) is refused, or None when it is allowed.

    An IPv6 address that carries an IPv4 one is judged as that IPv4 address, and the lists of
    networks match either spelling.
    """
    allow_networks, deny_networks, allow_hosts, allow_private = policy
    given = ipaddress.ip_address(address)
    ip = carried_ipv4(given)
    forms = {given, ip}
    if host.lower() in allow_hosts or any(form in net for form in forms for net in allow_networks):
        return None
    if any(form in net for form in forms for net in deny_networks):
        return f"{given} is in OUTBOUND_DENY_NETWORKS"
    if allow_private and any(ip in net for net in PRIVATE_RANGES):
        return None
    if not ip.is_global or ip.is_multicast or given in LOCAL_NAT64:
        return f"{ip} is not a public address (allow it with OUTBOUND_ALLOW_NETWORKS)"
    return None


def checked_address(host, port, policy=None):
    """Resolve `host` once and return an address to dial; raise DestinationBlocked if any is refused."""
    policy = policy or current_policy()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise requests.ConnectionError(f"Name or service not known: {host}") from exc
    addresses = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    for address in addresses:
        reason = refusal(address, host, policy)
        if reason:
            raise DestinationBlocked(f"Outbound request to {host} refused: {reason}.")
    if not addresses:
        raise requests.ConnectionError(f"Name or service not known: {host}")
    return addresses[0]


class GuardedAdapter(HTTPAdapter):
    """Dial the checked address; keep the original name for Host, SNI and the certificate."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host, port = host_params["host"], host_params["port"]
        scheme = host_params["scheme"]
        request.headers = CaseInsensitiveDict(request.headers or {})
        host_header = f"[{host}]" if ":" in host else host
        if port is not None:
            host_header += f":{port}"
        request.headers["Host"] = host_header
        if scheme == "https":
            pool_kwargs["assert_hostname"] = host
            pool_kwargs["server_hostname"] = host
        address = checked_address(host, port or (443 if scheme == "https" else 80))
        host_params["host"] = address
        return host_params, pool_kwargs

    def get_connection(self, url, proxies=None):  # the deprecated path would skip the check
        raise NotImplementedError("Use get_connection_with_tls_context (requests >= 2.32.2).")
