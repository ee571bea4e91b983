"""Which addresses a fetch may reach: http(s) only, and for chat tools public hosts only.

The CLI is run by its user, who may fetch any address (`AddressPolicy(allow_private=True)`).
A URL that arrives from a chat tool (the MCP server, the API) is someone else's choice, so
by default it may not reach this machine or its networks: loopback, private, link-local,
multicast, reserved, unspecified and shared (CGNAT 100.64/10) addresses are refused, as are
IPv4 addresses hidden in IPv6 (mapped, 6to4, Teredo, NAT64) and the cloud metadata
endpoints. The check runs on the addresses a name resolves to (every one of them), and
`agent.ingest.fetch` runs it again on every redirect hop and connects to the very address
that was checked, so a name cannot resolve to a public address for the check and to a
private one for the connection (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..errors import InputError

__all__ = [
    "METADATA_ADDRESSES",
    "METADATA_HOSTS",
    "AddressPolicy",
    "FetchError",
    "Target",
    "address_problem",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.170.2")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
SCHEMES = ("http", "https")


class FetchError(InputError):
    """A URL could not be fetched or used; `kind` says why in one word.

    Kinds: "scheme", "url", "blocked", "dns", "connect", "timeout", "tls", "redirect",
    "status", "too_large", "content_type", "empty", "no_article", "feed", "http", "file".
    """

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Target:
    """A URL that passed the policy, with the addresses it may be fetched from."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `socket.getaddrinfo` gives for host (TCP), in its order, deduplicated."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        if address not in seen:
            seen.append(address)
    return seen


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(address: str | IPAddress) -> str | None:
    """Why a chat tool may not reach this address, or None for a public address."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            problem = address_problem(inner)
            return f"{problem} (inside an IPv6 address)" if problem else None
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "a shared (CGNAT) address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "a site-local address"),
    )
    for hit, label in checks:
        if hit:
            return label
    if not ip.is_global:
        return "not a public address"
    return None


def _split_host_port(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise FetchError("url", f"{url}: not a valid URL ({err})") from None
    scheme = (parts.scheme or "").lower()
    if scheme not in SCHEMES:
        shown = f"{scheme}:" if scheme else "no scheme"
        raise FetchError(
            "scheme", f"{_short(url)}: only http and https URLs can be fetched ({shown} refused)"
        )
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise FetchError("url", f"{_short(url)}: the URL has no host name")
    return scheme, host, port or (443 if scheme == "https" else 80)


def _short(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[: limit - 3] + "..."


@dataclass(frozen=True)
class AddressPolicy:
    """What a fetch may reach.

    `allow_private=False` (chat tools): only public addresses. `allow_private=True` (the
    CLI): any address; http(s) only still. `exempt` lists exact (ip, port) pairs that are
    allowed even when private (for a local test server standing in for a public host),
    and `resolver` maps (host, port) to address strings (default: `system_resolver`).
    """

    allow_private: bool = False
    exempt: frozenset[tuple[str, int]] = field(default_factory=frozenset)
    resolver: Resolver = system_resolver

    @classmethod
    def for_chat_tools(cls, exempt: Iterable[tuple[str, int]] = ()) -> AddressPolicy:
        """The default for URLs from the MCP server and the API: public addresses only."""
        return cls(
            allow_private=False,
            exempt=frozenset((str(ipaddress.ip_address(a)), int(p)) for a, p in exempt),
        )

    @classmethod
    def for_cli(cls) -> AddressPolicy:
        """The default for the command line: any address."""
        return cls(allow_private=True)

    def check_url(self, url: str) -> Target:
        """Refuse a bad scheme or host name, resolve it, and check every address.

        Raises FetchError (kind "scheme", "url", "dns" or "blocked") with one clear line.
        With `allow_private` only the scheme and host name are checked (nothing resolved).
        """
        scheme, host, port = _split_host_port(url)
        if self.allow_private:  # the user's own choice: any address, resolved when connecting
            return Target(url=url, scheme=scheme, host=host, port=port, addresses=())
        if host in METADATA_HOSTS:
            raise FetchError(
                "blocked", f"{_short(url)}: {host} is a cloud metadata host; not fetched"
            )
        addresses = self.resolve(host, port, url)
        for address in addresses:
            try:
                self.check_address(address, port, where=host)
            except FetchError as err:
                raise FetchError(err.kind, f"{_short(url)}: {err.message}") from None
        return Target(url=url, scheme=scheme, host=host, port=port, addresses=tuple(addresses))

    def resolve(self, host: str, port: int, url: str = "") -> list[str]:
        """All addresses of host (an IP literal is its own address)."""
        literal = host.strip("[]")
        try:
            return [str(ipaddress.ip_address(literal))]
        except ValueError:
            pass
        try:
            found = [str(ipaddress.ip_address(a)) for a in self.resolver(host, port)]
        except (OSError, UnicodeError, ValueError) as err:
            detail = getattr(err, "strerror", None) or str(err) or type(err).__name__
            raise FetchError(
                "dns", f"{_short(url or host)}: cannot resolve {host} ({detail})"
            ) from None
        if not found:
            raise FetchError("dns", f"{_short(url or host)}: {host} has no address")
        return found

    def check_address(self, address: str, port: int, where: str = "") -> None:
        """The check for one address about to be connected to (`where` names the host)."""
        if self.allow_private:
            return
        problem = address_problem(address)
        if problem and (str(ipaddress.ip_address(address)), port) not in self.exempt:
            named = (
                f"{where} resolves to {address}, which" if where and where != address else address
            )
            raise FetchError(
                "blocked",
                f"{named} is {problem}; a URL from a chat tool may only reach public addresses",
            )
