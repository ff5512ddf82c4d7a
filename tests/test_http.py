"""The HTTP client against a real local server: retries, caps, deadlines, redirects, robots, SSRF."""

from __future__ import annotations

import asyncio
import errno
import gzip
import itertools
import socket
import ssl
import time
from datetime import datetime, timedelta, timezone

import pytest

from flows.http import FALLBACK_CONNECT_SECONDS, Fetcher, FetchError, _alternate_families, retry_after_seconds
from flows.settings import Settings


def settings(**overrides) -> Settings:
    values = dict(allow_private_hosts=True, per_host_delay=0, http_retries=2, max_retry_wait=3,
                  request_deadline=10, max_page_bytes=100_000)
    return Settings(**(values | overrides))


def fetch_in_turn(urls: list[str], conf: Settings | None = None, endpoints=(), max_bytes: int = 100_000,
                  **kw) -> list:
    """Fetch the URLs one after another on one Fetcher (`endpoints`: its allowed_endpoints):
    each Response, or the FetchError it raised."""
    async def go():
        results = []
        async with Fetcher(conf or settings(), allowed_endpoints=endpoints) as fetcher:
            for url in urls:
                try:
                    results.append(await fetcher.fetch(url, max_bytes=max_bytes, **kw))
                except FetchError as exc:
                    results.append(exc)
        return results
    return asyncio.run(go())


def fetch(url: str, conf: Settings | None = None, endpoints=(), **kw):
    (result,) = fetch_in_turn([url], conf, endpoints, **kw)
    if isinstance(result, FetchError):
        raise result
    return result


def fake_dns(monkeypatch, names: tuple[str, ...], answers) -> list[str]:
    """Lookups of `names` answer the next address list of `answers`; others go to the real
    resolver. Returns the names looked up, in order, as the resolver was asked."""
    real, lookups = socket.getaddrinfo, []

    def resolve(host, port, *args, **kwargs):
        if host not in names:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in next(answers)]
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return lookups


def failure(url: str, conf: Settings | None = None, endpoints=(), **kw) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, conf, endpoints, **kw)
    return caught.value


def test_ok_with_user_agent(site):
    response = fetch(site.add("/a", "<html>hi</html>"))
    assert (response.status, response.body, response.content_type) == (200, b"<html>hi</html>", "text/html")
    assert Settings(contact="ops@example.org").user_agent.startswith("newsduck/")
    assert "ops@example.org" in Settings(contact="ops@example.org").user_agent


def test_500_then_200_is_retried(site):
    assert fetch(site.add("/flaky", "ok", statuses=[500])).body == b"ok"
    assert site.hits["/flaky"] == 2


def test_429_honours_retry_after(site):
    url = site.add("/busy", "ok", statuses=[429], headers={"Retry-After": "1"})
    started = time.monotonic()
    assert fetch(url).body == b"ok"
    assert time.monotonic() - started >= 1.0


def test_retry_after_beyond_the_cap_is_not_waited_for(site):
    url = site.add("/later", "ok", statuses=[429], headers={"Retry-After": "3600"})
    error = failure(url)
    assert (error.reason, error.transient, site.hits["/later"]) == ("http_429", True, 1)


def test_503_forever_gives_up_after_the_retries(site):
    url = site.add("/down", "x", status=503)
    error = failure(url, settings(http_retries=1))
    assert (error.reason, error.transient, site.hits["/down"]) == ("http_503", True, 2)


def test_404_is_permanent_and_not_retried(site):
    error = failure(site.url("/missing"))
    assert (error.reason, error.transient, site.hits["/missing"]) == ("http_404", False, 1)


def test_redirects_are_followed_and_recorded(site):
    site.add("/final", "done")
    site.add("/hop2", status=301, headers={"Location": "/final"})
    response = fetch(site.add("/hop1", status=302, headers={"Location": site.url("/hop2")}))
    assert response.final_url == site.url("/final")
    assert response.redirects == (site.url("/hop1"), site.url("/hop2"))


def test_redirect_loop(site):
    site.add("/loop-a", status=302, headers={"Location": "/loop-b"})
    site.add("/loop-b", status=302, headers={"Location": "/loop-a"})
    assert failure(site.url("/loop-a")).reason == "redirect_loop"


def test_too_many_redirects(site):
    for i in range(10):
        site.add(f"/r{i}", status=302, headers={"Location": f"/r{i + 1}"})
    assert failure(site.url("/r0"), settings(max_redirects=3)).reason == "too_many_redirects"


def test_redirect_to_another_scheme_is_refused(site):
    url = site.add("/to-file", status=302, headers={"Location": "file:///etc/passwd"})
    assert failure(url).reason == "bad_scheme"


def test_fifty_megabytes_without_content_length_trips_the_streaming_cap(site):
    url = site.add("/endless", b"x" * 50_000_000, close_delimited=True)
    started = time.monotonic()
    assert failure(url).reason == "too_large"
    assert time.monotonic() - started < 3
    # Stopped early: the 100 kB cap plus what the socket buffers took, not the 50 MB.
    assert site.sent["/endless"] < 25_000_000


def test_a_lying_content_length_is_held_to_what_it_claims(site):
    site.add("/liar", b"x" * 50_000_000, declared_length=1000)
    site.add("/after", "fine")
    liar, after = fetch_in_turn([site.url("/liar"), site.url("/after")])
    assert liar.body == b"x" * 1000 and site.sent["/liar"] < 25_000_000
    # The surplus bytes are not read as the next response on a reused connection.
    assert after.body == b"fine" and site.hits["/after"] == 1


def test_size_cap_by_content_length(site):
    assert failure(site.add("/big", b"x" * 200_000)).reason == "too_large"


def test_gzip_bomb_trips_the_cap_while_inflating(site):
    url = site.add("/bomb", b"\0" * 50_000_000, gzip=True)
    assert len(gzip.compress(b"\0" * 50_000_000)) < 100_000  # small on the wire
    assert failure(url).reason == "too_large"


def test_slow_drip_hits_the_total_deadline(site):
    url = site.add("/drip", b"y" * 200, drip=0.1)
    error = failure(url, settings(request_deadline=1.5, http_retries=0))
    assert error.reason == "timeout" and error.transient


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/x", "http://localhost:9/x", "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/x", "http://[::1]:9/x", "http://224.0.0.1/x", "http://0.0.0.0:9/x",
])
def test_private_addresses_are_refused_by_default(url):
    error = failure(url, settings(allow_private_hosts=False, http_retries=0))
    assert error.reason == "private_address"
    assert "NEWSDUCK_ALLOW_PRIVATE_HOSTS" in error.detail


@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/", "http://localhost:9/admin", "http://[::1]:9/",
    "http://10.0.0.1/",
])
def test_redirect_into_a_private_address_is_refused(site, target):
    # Only the test server (127.0.0.1 on its own port) is let through, so the first hop is really
    # requested and it is the check on the redirect hop that must refuse the target.
    site.add("/ok", "fine")
    site.add("/jump", status=302, headers={"Location": target})
    conf = settings(allow_private_hosts=False, http_retries=0, connect_timeout=1)
    ok, error = fetch_in_turn([site.url("/ok"), site.url("/jump")], conf, [("127.0.0.1", site.port)])
    assert ok.body == b"fine" and site.hits["/jump"] == 1
    assert isinstance(error, FetchError) and error.reason == "private_address", error


@pytest.mark.parametrize("name, looked_up", [("rebind.test", "rebind.test"),
                                               ("bücher.test", "xn--bcher-kva.test")])  # IDN: one spelling
def test_the_connection_goes_to_the_address_that_was_checked(site, monkeypatch, name, looked_up):
    # DNS rebinding: a name answers the check with one address and every later lookup with a
    # private one. Only 127.0.0.1 on the test port is let through, standing for a public address;
    # the later answer, 10.0.0.1, must never be connected to (it would time out here).
    lookups = fake_dns(monkeypatch, (name, looked_up), iter([["127.0.0.1"]] + [["10.0.0.1"]] * 10))
    site.add("/page", "fine")
    conf = settings(allow_private_hosts=False, http_retries=0, connect_timeout=1)
    page = f"http://{name}:{site.port}/page"
    results = fetch_in_turn([page, page], conf, [("127.0.0.1", site.port)], robots=False)
    assert [getattr(r, "body", r) for r in results] == [b"fine", b"fine"]
    assert lookups == [looked_up] and site.hits["/page"] == 2


def test_addresses_are_tried_one_family_then_the_other():
    v6, v4 = ["2001:db8::1", "2001:db8::2", "2001:db8::3"], ["192.0.2.1", "192.0.2.2"]
    assert _alternate_families(v6 + v4) == ["2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2", "2001:db8::3"]
    assert _alternate_families(v4 + v6[:1]) == ["192.0.2.1", "2001:db8::1", "192.0.2.2"]


def test_a_dead_address_gives_way_to_the_next(site, monkeypatch):
    # "multi.test" resolves to a black hole first and the test server second. The black hole is a
    # listener on 127.0.0.2 (same port) whose backlog is full, so it drops new connections' SYNs:
    # the page must come after the short fallback bound, not after the 30 s connect timeout.
    hole = socket.socket()
    hole.bind(("127.0.0.2", site.port))
    hole.listen(0)
    fillers = [socket.socket() for _ in range(3)]
    for filler in fillers:
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.2", site.port))
    probe = socket.socket()
    probe.settimeout(0.5)
    if probe.connect_ex(("127.0.0.2", site.port)) != errno.EAGAIN:  # timed out: the hole holds
        hole.close()
        pytest.skip("this kernel answers a full backlog instead of dropping it (tcp_abort_on_overflow)")
    probe.close()
    fake_dns(monkeypatch, ("multi.test",), itertools.repeat(["127.0.0.2", "127.0.0.1"]))
    site.add("/page", "fine")
    started = time.monotonic()
    try:
        response = fetch(f"http://multi.test:{site.port}/page", settings(connect_timeout=30, http_retries=0),
                         robots=False)
    finally:
        for sock in (hole, *fillers):
            sock.close()
    took = time.monotonic() - started
    assert response.body == b"fine"
    assert FALLBACK_CONNECT_SECONDS - 0.5 <= took < FALLBACK_CONNECT_SECONDS + 10, took  # it did wait


def test_a_proxy_setting_sends_every_request_through_the_proxy(site):
    # The test server stands in for the proxy: a proxied request names the whole URL. Nothing
    # listens on localhost:9, so the page can only have come through the proxy.
    site.add("http://localhost:9/story", "via the proxy")
    response = fetch("http://localhost:9/story", settings(proxy=site.url(""), http_retries=0), robots=False)
    assert response.body == b"via the proxy" and site.hits["http://localhost:9/story"] == 1


def test_https_verifies_the_certificate_against_the_name(tmp_path, monkeypatch):
    # The connection goes to a checked address, but TLS must still check the certificate against
    # the name in the URL: a certificate for `localhost` passes as localhost, not as 127.0.0.1.
    from tests.sitekit import Site

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    _self_signed("localhost", cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted as a CA by httpx's context
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    site = Site(tls=tls)
    try:
        by_name = site.add("/secure", "sealed").replace("127.0.0.1", "localhost")
        conf = settings(allow_private_hosts=False, http_retries=0, connect_timeout=2)
        endpoints = [("127.0.0.1", site.port), ("::1", site.port)]  # localhost is both
        assert fetch(by_name, conf, endpoints, robots=False).body == b"sealed"
        error = failure(site.url("/secure"), conf, endpoints, robots=False)
        assert error.reason == "connect_error" and "CERTIFICATE_VERIFY_FAILED" in error.detail
        assert site.hits["/secure"] == 1
    finally:
        site.close()


def _self_signed(name: str, cert_path, key_path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "file:///etc/passwd", "gopher://x/", "data:text/html,hi"])
def test_only_http_and_https(url):
    assert failure(url).reason == "bad_scheme"


@pytest.mark.parametrize("allow_private", [False, True])
def test_a_port_out_of_range_is_a_reason_not_a_crash(allow_private):
    assert failure("http://example.com:99999/x", settings(allow_private_hosts=allow_private)).reason == "bad_url"


def test_robots_txt_is_respected_and_cached(site):
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.add("/private/page", "secret")
    site.add("/public/page", "ok")

    async def go():
        async with Fetcher(settings()) as fetcher:
            ok = await fetcher.fetch(site.url("/public/page"), max_bytes=1000)
            with pytest.raises(FetchError, match="robots"):
                await fetcher.fetch(site.url("/private/page"), max_bytes=1000)
            return ok
    assert asyncio.run(go()).body == b"ok"
    assert site.hits["/robots.txt"] == 1 and site.hits["/private/page"] == 0


def test_unreachable_robots_txt_means_disallow(site):
    site.add("/robots.txt", status=500)
    site.add("/page", "ok")
    error = failure(site.url("/page"), settings(http_retries=0))
    assert error.reason == "robots_unreachable" and site.hits["/page"] == 0


def test_conditional_get_gets_304(site):
    url = site.add("/feed", "<rss/>", etag='"v1"')
    assert fetch(url, headers={"If-None-Match": '"v1"'}).status == 304
    assert fetch(url).body == b"<rss/>"


def outcomes(urls: list[str], conf: Settings, **kw) -> list[tuple[str, float]]:
    """Fetch the URLs at once on one Fetcher: ("ok" or the failure reason, seconds to finish) each."""
    async def go():
        loop = asyncio.get_running_loop()
        started = loop.time()

        async def one(url: str) -> tuple[str, float]:
            try:
                await fetcher.fetch(url, max_bytes=1000, **kw)
                return "ok", loop.time() - started
            except FetchError as exc:
                return exc.reason, loop.time() - started
        async with Fetcher(conf) as fetcher:
            return await asyncio.gather(*(one(url) for url in urls))
    return asyncio.run(go())


def gaps(site, prefix: str = "/") -> list[float]:
    """Seconds between successive requests the server saw to paths under prefix."""
    times = [t for t, path in site.arrivals if path.startswith(prefix)]
    return [b - a for a, b in zip(times, times[1:])]


# The client spaces request starts exactly; the server sees them jittered by its own scheduling
# (tens of milliseconds on a busy machine). Bunched requests would be ~0 apart.
JITTER = 0.1


def assert_spaced(site, delay: float, prefix: str = "/") -> None:
    """The server saw requests under prefix start `delay` apart: each gap, and all of them together."""
    between = gaps(site, prefix)
    assert min(between) >= delay - JITTER, between
    assert sum(between) >= len(between) * delay - JITTER, between


def test_waiting_for_a_host_turn_does_not_eat_the_deadline(site):
    # Six pages and robots.txt, 0.25 s apart, take 1.5 s: the 0.5 s deadline bounds each exchange only.
    urls = [site.add(f"/p{i}", "ok") for i in range(6)]
    results = outcomes(urls, settings(per_host_delay=0.25, request_deadline=0.5, http_retries=0))
    assert [reason for reason, _ in results] == ["ok"] * 6
    assert site.total_hits == 7
    assert_spaced(site, 0.25)


def test_a_busy_host_does_not_hold_up_another(site):
    # Two slots in all: host A's queue of eight turns (1.75 s) must not keep host B's two waiting.
    a = [site.add(f"/a{i}", "a") for i in range(8)]
    b = [site.add(f"/b{i}", "b").replace("127.0.0.1", "localhost") for i in range(2)]
    conf = settings(per_host_delay=0.25, request_deadline=1, concurrency=2, per_host_concurrency=1,
                    http_retries=0)
    results = outcomes(a + b, conf, robots=False)
    assert [reason for reason, _ in results] == ["ok"] * 10
    a_done, b_done = max(t for _, t in results[:8]), max(t for _, t in results[8:])
    assert b_done < 1.0 < 1.75 <= a_done, results
    assert_spaced(site, 0.25, "/a")
    assert_spaced(site, 0.25, "/b")


def test_crawl_delay_in_robots_txt_spaces_every_request_after_it(site):
    site.add("/robots.txt", "User-agent: *\nCrawl-delay: 0.4\n", content_type="text/plain")
    urls = [site.add(f"/c{i}", "ok") for i in range(2)]
    assert [reason for reason, _ in outcomes(urls, settings(per_host_delay=0))] == ["ok", "ok"]
    assert [path for _, path in site.arrivals][0] == "/robots.txt"
    assert_spaced(site, 0.4)


def test_each_redirect_hop_waits_for_its_own_host(site):
    # 127.0.0.1 /r1 -> /r2 -> localhost /r3 -> 127.0.0.1 /r4: the hop to localhost goes at once,
    # the hops to 127.0.0.1 wait its delay, off the 0.5 s clock.
    site.add("/r1", status=302, headers={"Location": "/r2"})
    site.add("/r2", status=302, headers={"Location": f"http://localhost:{site.port}/r3"})
    site.add("/r3", status=302, headers={"Location": site.url("/r4")})
    site.add("/r4", "done")
    conf = settings(per_host_delay=0.4, request_deadline=0.5, http_retries=0)
    assert fetch(site.url("/r1"), conf, robots=False).body == b"done"
    r1_r2, r2_r3, r3_r4 = between = gaps(site)
    assert r1_r2 >= 0.4 - JITTER and r2_r3 < 0.3 and r2_r3 + r3_r4 >= 0.4 - JITTER, between


def test_retry_after_parsing():
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
