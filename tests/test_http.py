"""The HTTP client against a real local server: retries, caps, deadlines, redirects, robots, SSRF."""

from __future__ import annotations

import asyncio
import gzip
import time

import pytest

from flows.http import Fetcher, FetchError, retry_after_seconds
from flows.settings import Settings


def settings(**overrides) -> Settings:
    values = dict(allow_private_hosts=True, per_host_delay=0, http_retries=2, max_retry_wait=3,
                  request_deadline=10, max_page_bytes=100_000)
    return Settings(**(values | overrides))


def fetch(url: str, conf: Settings | None = None, **kw):
    async def go():
        async with Fetcher(conf or settings()) as fetcher:
            return await fetcher.fetch(url, max_bytes=kw.pop("max_bytes", 100_000), **kw)
    return asyncio.run(go())


def failure(url: str, conf: Settings | None = None, **kw) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, conf, **kw)
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


def test_redirect_into_a_private_address_is_refused(site):
    # The first hop is allowed (local test server); the hop to the metadata address is checked again.
    url = site.add("/to-metadata", status=302, headers={"Location": "http://169.254.169.254/latest/"})
    conf = settings(allow_private_hosts=False, http_retries=0)
    conf_local = conf.model_copy(update={"allow_private_hosts": True})
    assert failure(url, conf_local, robots=False).reason != "private_address"  # allowed: it is connecting
    assert failure(url, conf).reason == "private_address"


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "file:///etc/passwd", "gopher://x/", "data:text/html,hi"])
def test_only_http_and_https(url):
    assert failure(url).reason == "bad_scheme"


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


def test_retry_after_parsing():
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
