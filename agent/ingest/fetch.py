"""Fetching one web page or feed with httpx, within limits and an address policy.

`fetch` follows redirects itself, checking every hop against the `AddressPolicy`, and
stops after `max_redirects` hops or at the first URL seen twice (a loop). It has connect,
read and overall time limits, reads at most `max_bytes` of (decoded) body while streaming,
whatever Content-Length says, and accepts only pages an article can come from: HTML,
XHTML, RSS/Atom/XML feeds and plain text. Every failure is a `FetchError` with a `kind`
and one line fit to show a user.

Under a policy that refuses private addresses, the connection goes through a network
backend that resolves the host itself, checks every address it got and connects to one of
those very addresses (TLS still verifies the host name), so the address checked is the
address used: a name cannot pass the check and then resolve elsewhere (DNS rebinding).
Proxies from the environment are ignored then, as a proxy would hide the real target.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from .._version import __version__
from .policy import AddressPolicy, FetchError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "USER_AGENT",
    "FetchError",
    "Fetched",
    "fetch",
    "media_type",
]

USER_AGENT = f"newsbrief/{__version__} (news brief tool)"
DEFAULT_TIMEOUT = 15.0
DEFAULT_TOTAL_TIMEOUT = 60.0
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)
TEXT_TYPES = frozenset({"text/plain"})
ACCEPTED_TYPES = HTML_TYPES | FEED_TYPES | TEXT_TYPES
ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/xml;q=0.9,text/plain;q=0.8"
)
_SNIFF_BINARY = (
    (b"%PDF", "application/pdf"),
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)


@dataclass(frozen=True)
class Fetched:
    """A page as fetched: `body` holds the decoded (not yet charset-decoded) bytes."""

    url: str
    final_url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    redirects: tuple[str, ...] = field(default=())


def media_type(header: str | None) -> tuple[str, str | None]:
    """'text/html; charset=ISO-8859-1' -> ('text/html', 'iso-8859-1')."""
    if not header:
        return "", None
    parts = header.split(";")
    kind = parts[0].strip().lower()
    charset = None
    for param in parts[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower() or None
    return kind, charset


def _short(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[: limit - 3] + "..."


class _CheckedBackend(httpcore.NetworkBackend):
    """Resolves, checks every address with the policy, connects to a checked one."""

    def __init__(self, policy: AddressPolicy):
        self._policy = policy
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._policy.resolve(host, port)
        for address in addresses:
            self._policy.check_address(address, port, where=host)
        error: Exception | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as err:
                error = err
        assert error is not None  # resolve() never returns an empty list
        raise error

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise FetchError("blocked", "unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _CheckedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool on `_CheckedBackend`."""

    def __init__(self, policy: AddressPolicy, verify: ssl.SSLContext | None = None):
        super().__init__(trust_env=False)
        if not hasattr(self, "_pool"):  # pragma: no cover - guards an httpx layout change
            raise RuntimeError("this httpx version has no connection pool to check addresses on")
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=verify or httpx.create_ssl_context(trust_env=False),
            max_connections=10,
            max_keepalive_connections=5,
            network_backend=_CheckedBackend(policy),
        )


def _client(policy: AddressPolicy, timeout: float, verify: ssl.SSLContext | None) -> httpx.Client:
    limits = httpx.Timeout(timeout, connect=timeout, read=timeout, write=timeout, pool=timeout)
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if policy.allow_private:
        return httpx.Client(
            timeout=limits,
            headers=headers,
            follow_redirects=False,
            trust_env=True,
            verify=verify or True,
        )
    return httpx.Client(
        timeout=limits,
        headers=headers,
        follow_redirects=False,
        trust_env=False,
        transport=_CheckedTransport(policy, verify),
    )


def fetch(
    url: str,
    *,
    policy: AddressPolicy,
    timeout: float = DEFAULT_TIMEOUT,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    verify: ssl.SSLContext | None = None,
) -> Fetched:
    """GET one URL within the policy and the limits; raise FetchError on any failure.

    `timeout` bounds connecting and each read, `total_timeout` the whole fetch (checked
    between reads), `max_bytes` the body after content decoding (gzip cannot blow it up).
    `verify` replaces the system's trusted certificates (a private CA, or a test's).
    """
    url = url.strip()
    deadline = time.monotonic() + total_timeout
    seen: list[str] = []
    current = url
    with _client(policy, timeout, verify) as client:
        while True:
            where = (
                f"{_short(url)}"
                if current == url
                else f"{_short(url)} (redirected to {_short(current)})"
            )
            try:
                policy.check_url(current)
            except FetchError as err:
                if current == url:
                    raise
                raise FetchError(
                    err.kind, f"{_short(url)}: redirect refused: {err.message}"
                ) from None
            seen.append(current)
            response = _send(client, current, where)
            try:
                if response.status_code in REDIRECTS and "location" in response.headers:
                    current = _next_hop(url, response, seen, max_redirects)
                    continue
                return _read(url, response, seen, where, max_bytes, deadline)
            finally:
                response.close()


def _send(client: httpx.Client, url: str, where: str) -> httpx.Response:
    try:
        request = client.build_request("GET", url)
        return client.send(request, stream=True)
    except FetchError as err:  # raised by the address check at connect time
        raise FetchError(err.kind, f"{where}: {err.message}") from None
    except httpx.TimeoutException as err:
        raise FetchError("timeout", f"{where}: timed out ({type(err).__name__})") from None
    except httpx.ConnectError as err:
        text = str(err) or type(err).__name__
        kind = "tls" if "ssl" in text.lower() or "certificate" in text.lower() else "connect"
        raise FetchError(kind, f"{where}: cannot connect ({text})") from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as err:
        raise FetchError("url", f"{where}: not a fetchable URL ({err})") from None
    except httpx.HTTPError as err:
        raise FetchError("http", f"{where}: {type(err).__name__}: {err}") from None


def _next_hop(url: str, response: httpx.Response, seen: list[str], max_redirects: int) -> str:
    location = response.headers["location"].strip()
    try:
        target = str(response.url.join(location))
    except (httpx.InvalidURL, ValueError) as err:
        raise FetchError(
            "redirect", f"{_short(url)}: bad redirect location {location!r} ({err})"
        ) from None
    if target in seen:
        loop = " -> ".join(_short(u, 60) for u in [*seen[seen.index(target) :], target])
        raise FetchError("redirect", f"{_short(url)}: redirect loop ({loop})")
    if len(seen) > max_redirects:
        raise FetchError("redirect", f"{_short(url)}: more than {max_redirects} redirects")
    return target


def _read(
    url: str, response: httpx.Response, seen: list[str], where: str, max_bytes: int, deadline: float
) -> Fetched:
    status = response.status_code
    if status >= 400 or status < 200 or status in REDIRECTS:
        reason = response.reason_phrase or ""
        raise FetchError("status", f"{where}: HTTP {status} {reason}".rstrip())
    declared, charset = media_type(response.headers.get("content-type"))
    if declared and declared not in ACCEPTED_TYPES and declared != "application/octet-stream":
        raise FetchError("content_type", f"{where}: not an article page: {declared}")
    length = response.headers.get("content-length", "")
    if (
        length.isdigit()
        and int(length) > max_bytes
        and not response.headers.get("content-encoding")
    ):
        raise FetchError(
            "too_large", f"{where}: page is larger than {_size(max_bytes)} ({_size(int(length))})"
        )
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_bytes():
            if not chunks:
                declared = _check_sniffed(where, declared, chunk)
            total += len(chunk)
            if total > max_bytes:
                raise FetchError(
                    "too_large", f"{where}: page is larger than {_size(max_bytes)}; stopped reading"
                )
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise FetchError("timeout", f"{where}: took too long to download")
    except httpx.TimeoutException:
        raise FetchError("timeout", f"{where}: timed out while reading") from None
    except httpx.HTTPError as err:
        raise FetchError(
            "http", f"{where}: download failed ({type(err).__name__}: {err})"
        ) from None
    body = b"".join(chunks)
    if not body.strip():
        raise FetchError("empty", f"{where}: the page is empty")
    return Fetched(
        url=url,
        final_url=str(response.url),
        status=status,
        content_type=declared or "text/html",
        charset=charset,
        body=body,
        redirects=tuple(seen[1:]),
    )


def _check_sniffed(where: str, declared: str, head: bytes) -> str:
    """Refuse a binary body whatever its label; guess a missing or generic type."""
    for magic, kind in _SNIFF_BINARY:
        if head.startswith(magic):
            served = f" (served as {declared})" if declared and declared != kind else ""
            raise FetchError("content_type", f"{where}: not an article page: {kind}{served}")
    if declared and declared != "application/octet-stream":
        return declared
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in start:
        return "text/html"
    if start.startswith(b"<?xml") or start.startswith((b"<rss", b"<feed")):
        return "application/xml"
    if b"\x00" in head[:1024]:
        raise FetchError("content_type", f"{where}: not an article page: binary data")
    return "text/plain"


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 1024:.0f} kB"
