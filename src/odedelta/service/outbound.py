"""Every call the service makes: GETs to the TMF620/TMF671/TMF637 sources and the event POSTs to listeners (httpx).

Both have timeouts (connect, read, write, pool) and bounded retries with exponential backoff on what a retry can
cure (a refused or reset connection, a timeout, 429, 502, 503, 504); redirects are never followed.

A listener's callback URL is checked twice by :class:`CallbackPolicy`: when it is registered and when an event is
sent (a name may resolve elsewhere later). Its host must be allowed by ``--callback-allow`` (host names, ``*.suffix``,
IP addresses or CIDRs); every address it resolves to must be a public one — loopback, link-local, private, reserved,
multicast, unspecified and the service's own addresses are refused — unless that address lies in an allowed
IP/CIDR. The event is then sent to the address that was checked (the name goes in ``Host`` and TLS's SNI), so a
second resolution cannot turn it onto the host.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

log = logging.getLogger("odedelta.service")

RETRIED = frozenset({429, 502, 503, 504})
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Retry:
    attempts: int = 3
    backoff: float = 0.2
    """seconds before the second attempt; doubled before each next one"""
    timeout: float = 10.0
    """seconds for each of connect, read, write and waiting for a pooled connection"""


class OutboundError(Exception):
    """A call failed after its retries (the message says which URL and why)."""


def request(method: str, url: str, retry: Retry, *, content: bytes | None = None,
            headers: dict[str, str] | None = None, extensions: dict[str, Any] | None = None) -> httpx.Response:
    """One call with ``retry``'s timeouts and retries; a final failure is an :class:`OutboundError`. A 4xx (other
    than 429) or a 3xx is returned as it is: retrying cannot change it, and a redirect is not followed."""
    last = ""
    for attempt in range(retry.attempts):
        if attempt:
            time.sleep(retry.backoff * 2 ** (attempt - 1))
        try:
            with httpx.Client(timeout=retry.timeout, follow_redirects=False, trust_env=False) as client:
                response = client.request(method, url, content=content, headers=headers, extensions=extensions)
        except httpx.TimeoutException:
            last = f"timed out after {retry.timeout:g} s"
            continue
        except httpx.HTTPError as exc:
            last = f"cannot connect ({exc})"
            continue
        if response.status_code in RETRIED:
            last = f"the server answered {response.status_code} {response.reason_phrase}"
            continue
        return response
    tries = f"{retry.attempts} attempts" if retry.attempts > 1 else "1 attempt"
    raise OutboundError(f"{url}: {last} ({tries})")


def _is_forbidden(address: Address) -> bool:
    return (address.is_loopback or address.is_link_local or address.is_private or address.is_reserved
            or address.is_multicast or address.is_unspecified or not address.is_global)


def _addresses(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


@dataclass
class CallbackPolicy:
    """Which listener URLs the service may call (see the module's docstring)."""

    allow: tuple[str, ...] = ()
    own: frozenset[Address] = field(default_factory=frozenset)
    resolve: Any = _addresses

    def __post_init__(self) -> None:
        names, networks = [], []
        for entry in self.allow:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.append(entry.lower().rstrip("."))
        self._names: tuple[str, ...] = tuple(names)
        self._networks: tuple[Network, ...] = tuple(networks)

    @classmethod
    def of(cls, allow: Iterable[str], bound_host: str | None = None) -> CallbackPolicy:
        return cls(tuple(allow), own_addresses(bound_host))

    def describe(self) -> str:
        return ", ".join(self.allow) if self.allow else "none (listeners refused)"

    def _host_allowed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for name in self._names:
            if name == "*" or host == name or (name.startswith("*.") and host.endswith(name[1:])):
                return True
        return False

    def _in_networks(self, address: Address) -> bool:
        return any(address in network for network in self._networks)

    def check(self, url: str) -> tuple[str, Address]:
        """The refusal of ``url`` as a sentence, else ("", the address to send to)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"{url!r} is not an http(s) URL with a host", ipaddress.ip_address("0.0.0.0")
        if parts.username or parts.password:
            return f"{url!r} carries credentials; a callback URL may not", ipaddress.ip_address("0.0.0.0")
        host = parts.hostname
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if not self.allow:
            return ("this service calls no listener: it was started without --callback-allow",
                    ipaddress.ip_address("0.0.0.0"))
        if not (self._host_allowed(host) or (literal is not None and self._in_networks(literal))):
            return (f"the host {host!r} is not allowed by --callback-allow ({self.describe()})",
                    ipaddress.ip_address("0.0.0.0"))
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            found = self.resolve(host, port)
        except (OSError, ValueError) as exc:
            return f"the host {host!r} cannot be resolved ({exc})", ipaddress.ip_address("0.0.0.0")
        if not found:
            return f"the host {host!r} has no address", ipaddress.ip_address("0.0.0.0")
        for address in found:
            if self._in_networks(address):
                continue
            if address in self.own:
                return (f"the host {host!r} resolves to {address}, this service's own address",
                        ipaddress.ip_address("0.0.0.0"))
            if _is_forbidden(address):
                return (f"the host {host!r} resolves to {address}, a loopback, link-local, private or reserved "
                        "address not allowed by --callback-allow", ipaddress.ip_address("0.0.0.0"))
        return "", found[0]

    def post(self, url: str, body: bytes, retry: Retry) -> int:
        """POST ``body`` to ``url`` after checking it again, to the checked address; the status, or an
        :class:`OutboundError`."""
        refusal, address = self.check(url)
        if refusal:
            raise OutboundError(f"{url}: refused: {refusal}")
        parts = urlsplit(url)
        host = parts.hostname or ""
        target_host = f"[{address}]" if address.version == 6 else str(address)
        netloc = target_host + (f":{parts.port}" if parts.port else "")
        target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        host_header = host + (f":{parts.port}" if parts.port else "")
        extensions = {"sni_hostname": host} if parts.scheme == "https" else None
        response = request("POST", target, retry, content=body, extensions=extensions,
                           headers={"Content-Type": "application/json", "Host": host_header})
        if response.status_code >= 300:
            raise OutboundError(f"{url}: the listener answered {response.status_code} (redirects are not followed)")
        return response.status_code


def own_addresses(bound_host: str | None) -> frozenset[Address]:
    """The addresses of this machine a callback must not reach: the bound address and the host name's."""
    found: set[Address] = set()
    names = [socket.gethostname()]
    if bound_host and bound_host not in ("0.0.0.0", "::"):
        names.append(bound_host)
    for name in names:
        try:
            found.update(_addresses(name, 0))
        except (OSError, ValueError):
            continue
    return frozenset(found)
