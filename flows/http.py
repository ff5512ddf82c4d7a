"""The HTTP client: polite, bounded and safe fetching of feeds and pages.

One `Fetcher` per batch of work, used from one event loop. It enforces, per request:
http(s) only; no loopback/private/link-local/multicast addresses (unless allowed), checked on
every redirect hop, with connections made only to the addresses that were checked (a name
cannot answer the check with a public address and the connection with a private one);
robots.txt (RFC 9309) for pages; a per-host concurrency limit and delay
(each hop waits for its own host's turn); a total deadline on the network exchanges, across
redirects (a slow drip cannot hold a worker; waiting for a host's turn is not on that clock);
a size cap counted on the *decoded* body (a gzip bomb trips it while inflating); retries with
backoff on timeouts, 429 and 5xx that honour Retry-After.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from itertools import zip_longest
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from protego import Protego
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from flows.settings import Settings

log = logging.getLogger(__name__)

MAX_ROBOTS_BYTES = 512_000


class FetchError(Exception):
    """A request that did not give a usable response; `reason` is a short code for the skips table."""

    def __init__(self, reason: str, detail: str = "", *, transient: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.transient = transient
        self.retry_after = retry_after


class Deferred(Exception):
    """A request this run will not make (its host kept failing, the run is out of time or asked to
    stop): not a failure of the page, which a later run fetches."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class HostBreaker:
    """Per host, a run of consecutive failures of one kind. After `limit` of them the host is
    open: its remaining pages wait for a later run instead of costing a request (and a
    politeness delay) each. A success, or a failure of another kind, starts the count again."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._streak: dict[str, tuple[str, int]] = {}
        self.tripped: dict[str, str] = {}  # host -> why, e.g. "5 consecutive http_404"

    def record(self, url: str, reason: str | None) -> None:
        """A request's outcome: None for a success, else its FetchError reason."""
        host = urlsplit(url).hostname or ""
        if reason == "robots":  # a rule of the site, not a failure of it
            return
        if reason is None:
            self._streak.pop(host, None)
            return
        kind, count = self._streak.get(host, (reason, 0))
        count = count + 1 if kind == reason else 1
        self._streak[host] = (reason, count)
        if self.limit > 0 and count >= self.limit and host not in self.tripped:
            self.tripped[host] = f"{count} consecutive {reason}"
            log.warning("%s: %s; its other pages wait for a later run", host, self.tripped[host])

    def reason(self, host: str) -> str | None:
        """"host_failing" once the host's pages wait (`tripped` says why), else None."""
        return "host_failing" if host in self.tripped else None


@dataclass(slots=True)
class Response:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]
    body: bytes
    redirects: tuple[str, ...] = field(default_factory=tuple)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class Fetcher:
    """Fetches URLs concurrently within the politeness and safety bounds of the settings."""

    def __init__(self, settings: Settings, *, allowed_endpoints: Iterable[tuple[str, int]] = (),
                 defer: Callable[[str], str | None] | None = None) -> None:
        """`allowed_endpoints`: (address, port) pairs let through although not public, such as a test
        server on 127.0.0.1; every other destination is still checked, on every hop.
        `defer(host)`: asked when a request's turn comes; a reason makes it raise Deferred instead."""
        self.settings = settings
        self._defer = defer
        limits = httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency)
        self._allowed = frozenset((str(ipaddress.ip_address(address)), port)
                                  for address, port in allowed_endpoints)
        self._client = httpx.AsyncClient(
            headers={"User-Agent": settings.user_agent},
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            follow_redirects=False,  # every hop is checked here
            limits=limits,
            # Our transport connects only to checked addresses. Giving one turns off httpx's
            # reading of HTTP_PROXY/NO_PROXY (whose mounts would bypass it): a proxy is a setting,
            # and with one httpx sends everything through it, which looks names up itself.
            transport=_CheckedTransport(_CheckedBackend(self._checked_addresses), limits),
            proxy=settings.proxy or None,
        )
        self._all = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host_concurrency))
        self._turns: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._last_start: dict[str, float] = {}
        self._host_delay: dict[str, float] = defaultdict(lambda: settings.per_host_delay)
        self._addresses: dict[str, asyncio.Future] = {}
        self._robots: dict[str, asyncio.Future] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, *, max_bytes: int, headers: dict[str, str] | None = None,
                    robots: bool = True) -> Response:
        """GET a URL, following redirects, retrying transient failures. Raises FetchError."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.http_retries + 1),
            wait=self._backoff,
            retry=retry_if_exception(self._worth_retrying),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._fetch_once(url, max_bytes, headers or {}, robots)
        raise AssertionError("unreachable")

    def _worth_retrying(self, exc: BaseException) -> bool:
        if not isinstance(exc, FetchError) or not exc.transient:
            return False
        return exc.retry_after is None or exc.retry_after <= self.settings.max_retry_wait

    def _backoff(self, state) -> float:
        exc = state.outcome.exception()
        if isinstance(exc, FetchError) and exc.retry_after is not None:
            return exc.retry_after
        return min(self.settings.max_retry_wait, 2.0 ** (state.attempt_number - 1)) * random.uniform(0.5, 1.0)

    async def _fetch_once(self, url: str, max_bytes: int, headers: dict[str, str], robots: bool) -> Response:
        seen: list[str] = []
        current = url
        clock = _Deadline(self.settings.request_deadline)
        try:
            while True:
                # Off the clock: the lookup has its own timeout, robots.txt is a request of its own.
                await self._check_destination(current)
                if robots:
                    await self._check_robots(current)
                async with self._slot(current), clock.running():
                    response = await self._client.send(
                        self._client.build_request("GET", current, headers=headers), stream=True)
                    try:
                        if response.is_redirect and "location" in response.headers:
                            seen.append(current)
                            current = _next_hop(current, response.headers["location"], seen,
                                                self.settings.max_redirects)
                            continue
                        _raise_for_status(response)
                        body = b"" if response.status_code == 304 else await _read_capped(response, max_bytes)
                    finally:
                        await response.aclose()
                return Response(url, current, response.status_code,
                                {k.lower(): v for k, v in response.headers.items()}, body, tuple(seen))
        except TimeoutError as exc:
            raise FetchError("timeout", f"no complete response within {self.settings.request_deadline:g}s",
                             transient=True) from exc
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", type(exc).__name__, transient=True) from exc
        except httpx.DecodingError as exc:
            raise FetchError("bad_encoding", str(exc)[:200]) from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise FetchError("connect_error", f"{type(exc).__name__}: {exc}"[:200], transient=True) from exc
        except httpx.HTTPError as exc:
            raise FetchError("http_error", f"{type(exc).__name__}: {exc}"[:200]) from exc

    @asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        """Wait for the host's turn, then hold a per-host and a global slot for one request.

        The global slot is taken last, so a request queued behind a busy host does not keep one
        from the other hosts. Requests pass a host's turnstile one at a time, which spaces their
        starts by the host's delay, counted from the previous start.
        """
        host = urlsplit(url).hostname or ""
        loop = asyncio.get_running_loop()
        async with self._hosts[host]:
            async with self._turns[host]:
                if self._defer is not None and (why := self._defer(host)):
                    raise Deferred(why)
                if host in self._last_start:  # the delay may have grown since (robots.txt Crawl-delay)
                    await asyncio.sleep(self._last_start[host] + self._host_delay[host] - loop.time())
                await self._all.acquire()
                self._last_start[host] = loop.time()
            try:
                yield
            finally:
                self._all.release()

    async def _check_destination(self, url: str) -> None:
        """Refuse schemes other than http(s), and private addresses unless allowed."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("bad_scheme", url[:200])
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            # the host as the connection spells it: IDNA 2008 punycode ("faß.de" is not "fass.de")
            host = httpx.URL(url).raw_host.decode("ascii")
        except (ValueError, httpx.InvalidURL) as exc:  # "http://example.com:99999/", a bad IDN
            raise FetchError("bad_url", f"{url[:200]}: {exc}") from exc
        await self._checked_addresses(host, port)

    async def _checked_addresses(self, host: str, port: int) -> list[str]:
        """The addresses of `host`, all of them public or allowed, else FetchError.

        The one check, made before each hop and again by the connection (`_CheckedBackend`),
        which connects only to the addresses it returns."""
        addresses = await self._resolve(host, port)
        if self.settings.allow_private_hosts:
            return addresses
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if (not ip.is_global or ip.is_multicast) and (str(ip), port) not in self._allowed:
                raise FetchError("private_address",
                                 f"{host} resolves to {ip}, which is not a public address "
                                 "(set NEWSDUCK_ALLOW_PRIVATE_HOSTS=1 for local use)")
        return addresses

    async def _resolve(self, host: str, port: int) -> list[str]:
        """Addresses of a host, looked up once per Fetcher: a failing lookup fails the rest fast."""
        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            pass
        if host not in self._addresses:
            self._addresses[host] = asyncio.ensure_future(self._lookup(host, port))
        return await asyncio.shield(self._addresses[host])

    async def _lookup(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), self.settings.connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise FetchError("dns_error", f"{host}: {exc}"[:200], transient=True) from exc
        if not infos:
            raise FetchError("dns_error", f"{host}: no addresses", transient=True)
        return list(dict.fromkeys(info[4][0] for info in infos))  # the resolver's order of preference

    async def _check_robots(self, url: str) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = asyncio.ensure_future(self._fetch_robots(origin))
        try:
            rules = await asyncio.shield(self._robots[origin])
        except FetchError:
            self._robots.pop(origin, None)  # unreachable now: ask again on the next attempt
            raise
        if rules is None:
            return
        agent = "newsduck"
        if not rules.can_fetch(url, agent):
            raise FetchError("robots", f"disallowed by {origin}/robots.txt")

    async def _fetch_robots(self, origin: str) -> Protego | None:
        """Parsed robots.txt, or None (allow all) when there is none (RFC 9309: 4xx)."""
        try:
            response = await self._fetch_once(f"{origin}/robots.txt", MAX_ROBOTS_BYTES, {}, robots=False)
        except FetchError as exc:
            if exc.reason.startswith("http_4"):
                return None
            # Unreachable robots.txt (5xx, network): RFC 9309 says assume complete disallow.
            raise FetchError("robots_unreachable", f"{origin}/robots.txt: {exc}", transient=True) from exc
        rules = Protego.parse(response.body.decode("utf-8", errors="replace"))
        delay = rules.crawl_delay("newsduck")
        if delay:
            host = urlsplit(origin).hostname or ""
            self._host_delay[host] = max(self._host_delay[host], min(float(delay), 30.0))
        return rules


# An address that has not answered in this long gives way to the host's next one. RFC 8305
# races them 250 ms apart; trying them in turn with a short bound is simpler and rarely slower.
FALLBACK_CONNECT_SECONDS = 2.0


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Opens connections to the addresses the Fetcher looked up and checked, never to a new lookup.

    Without it the connection would resolve the name again, and a name can answer the check with
    a public address and the connection with a private one (DNS rebinding). TLS still verifies the
    certificate against the name: httpcore passes it as the server name, not the address.
    """

    def __init__(self, addresses: Callable[[str, int], Awaitable[list[str]]]) -> None:
        self._addresses = addresses  # the Fetcher's checked lookup, cached per host
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options=None) -> httpcore.AsyncNetworkStream:
        *others, last = _alternate_families(await self._addresses(host, port))
        for address in others:
            short = min(timeout or FALLBACK_CONNECT_SECONDS, FALLBACK_CONNECT_SECONDS)
            try:
                return await self._inner.connect_tcp(address, port, short, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue
        return await self._inner.connect_tcp(last, port, timeout, local_address, socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options=None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _alternate_families(addresses: list[str]) -> list[str]:
    """IPv6 and IPv4 addresses in turn, the resolver's first choice first (RFC 8305): a host
    whose IPv6 is broken reaches IPv4 after one failed try, not after all its IPv6 addresses."""
    first = [a for a in addresses if (":" in a) == (":" in addresses[0])]
    other = [a for a in addresses if (":" in a) != (":" in addresses[0])]
    return [a for pair in zip_longest(first, other) for a in pair if a is not None]


class _CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport over `_CheckedBackend`. httpx 0.28 takes no network backend, so the
    connection pool is built here; httpx's __init__ would only build one to throw away."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, limits: httpx.Limits) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, network_backend=backend)


class _Deadline:
    """The seconds one request may spend on its network exchanges, across its redirect hops.

    The clock runs only inside `running()`, so the waits between hops for a host's turn do not
    count: the deadline bounds what a server can make us wait, not what politeness does.
    """

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(self.left):  # none left: TimeoutError at the first await
                yield
        finally:
            self.left -= loop.time() - started


def _next_hop(current: str, location: str, seen: list[str], max_redirects: int) -> str:
    target = urljoin(current, location.strip())
    if target in seen:
        raise FetchError("redirect_loop", " -> ".join([*seen, target])[:300])
    if len(seen) > max_redirects:
        raise FetchError("too_many_redirects", f"more than {max_redirects} redirects from {seen[0]}"[:300])
    return target


def _raise_for_status(response: httpx.Response) -> None:
    code = response.status_code
    if code == 304 or 200 <= code < 300:
        return
    if code == 429 or code >= 500:
        raise FetchError(f"http_{code}", response.reason_phrase, transient=True,
                         retry_after=retry_after_seconds(response.headers.get("retry-after")))
    raise FetchError(f"http_{code}", response.reason_phrase)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("too_large", f"Content-Length {declared} > {max_bytes}")
    chunks, total = [], 0
    async for chunk in response.aiter_bytes():  # decoded: counts inflated bytes
        total += len(chunk)
        if total > max_bytes:
            raise FetchError("too_large", f"body over {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
