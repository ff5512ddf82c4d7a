"""A real HTTP server on 127.0.0.1 for tests, and builders for realistic news pages and feeds."""

from __future__ import annotations

import gzip
import html
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # answer 304 to a matching If-None-Match
    statuses: list[int] = field(default_factory=list)  # served first, one per request (e.g. [500])
    drip: float = 0.0  # seconds between bytes: a slow server
    gzip: bool = False  # send the body gzip-encoded
    close_delimited: bool = False  # no Content-Length: the body ends when the server closes (HTTP/1.0 style)
    declared_length: int | None = None  # a Content-Length to claim instead of the true one (a lying server)


class Site:
    """Routes by path (query included); counts every request and every 304 it sends."""

    def __init__(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        """`tls`: a server context to speak HTTPS with (its certificate names the host). `host`: a
        loopback address of its own (127.0.0.2, ...) makes it another host for per-host rules."""
        self.host = host
        self.routes: dict[str, Route] = {}
        self.handlers: dict[str, Callable[[dict[str, list[str]]], Route]] = {}  # by path, query aside
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.arrivals: list[tuple[float, str]] = []  # (time.monotonic(), path) of every request, in order
        self.sent: Counter[str] = Counter()  # body bytes that got out (close_delimited, declared_length routes)
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except (ConnectionResetError, BrokenPipeError):
                    pass  # the client gave up (a deadline or a size cap): that is the point

            def do_GET(self) -> None:
                site._serve(self)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", **kwargs: object) -> str:
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = Route(body=body, **kwargs)
        return self.url(path)

    def handle(self, path: str, handler: Callable[[dict[str, list[str]]], Route]) -> str:
        """Answer every query on `path` (e.g. a fake API) with handler(parsed query string)."""
        self.handlers[path] = handler
        return self.url(path)

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self.lock:
            self.hits[path] += 1
            self.arrivals.append((time.monotonic(), path))
            route = self.routes.get(path)
            if route is None and path.split("?", 1)[0] in self.handlers:
                route = self.handlers[path.split("?", 1)[0]](parse_qs(urlsplit(path).query))
            status = route.statuses.pop(0) if route and route.statuses else (route.status if route else 404)
        if route is None:
            return self._send(handler, 404, b"not found", "text/plain", {})
        if route.etag and handler.headers.get("If-None-Match") == route.etag:
            with self.lock:
                self.not_modified[path] += 1
            return self._send(handler, 304, b"", None, {"ETag": route.etag})
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        body = route.body if 200 <= status < 300 else f"error {status}".encode()
        if route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if route.close_delimited or route.declared_length is not None:
            return self._send_unframed(handler, path, status, body, route.content_type, headers,
                                       route.declared_length)
        self._send(handler, status, body, route.content_type, headers, route.drip)

    def _send_unframed(self, handler: BaseHTTPRequestHandler, path: str, status: int, body: bytes,
                       content_type: str | None, headers: dict[str, str], declared: int | None) -> None:
        """Send a body with no Content-Length (declared None) or a false one, in pieces, counting the
        bytes that got out: a client that gives up early is seen to have stopped the flow."""
        try:
            _start_response(handler, status, content_type, headers)
            if declared is None:
                handler.send_header("Connection", "close")  # the close is what ends the body
            else:
                handler.send_header("Content-Length", str(declared))
                handler.close_connection = True  # what follows the claimed length is not a next response
            handler.end_headers()
            for start in range(0, len(body), 65_536):
                piece = body[start:start + 65_536]
                handler.wfile.write(piece)
                with self.lock:
                    self.sent[path] += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str | None,
              headers: dict[str, str], drip: float = 0.0) -> None:
        try:
            _start_response(handler, status, content_type, headers)
            if status != 304:
                handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if drip:
                for i in range(len(body)):
                    handler.wfile.write(body[i:i + 1])
                    handler.wfile.flush()
                    time.sleep(drip)
            elif status != 304:
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def _start_response(handler: BaseHTTPRequestHandler, status: int, content_type: str | None,
                    headers: dict[str, str]) -> None:
    """The status line and the headers every response carries; the caller adds the framing."""
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    for key, value in headers.items():
        handler.send_header(key, value)


def news_page(title: str, paragraphs: list[str], published: str, *, canonical: str | None = None,
              author: str = "Staff reporter", site_name: str = "The Evening Ledger") -> str:
    """A realistic news page: cookie banner, navigation, byline, share buttons, related links,
    comments and footer around the story's paragraphs."""
    esc = html.escape
    story = "\n".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    canonical_tag = f'<link rel="canonical" href="{esc(canonical)}">' if canonical else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(title)} | {esc(site_name)}</title>
<meta property="og:title" content="{esc(title)}">
<meta property="article:published_time" content="{esc(published)}">
{canonical_tag}
<script>window.analytics = {{page: "article"}};</script>
</head><body>
<div class="cookie-banner"><p>We use cookies to improve your experience. By using this site you agree to our cookie policy.</p><button>Accept</button></div>
<header><a href="/">{esc(site_name)}</a><nav><ul><li><a href="/world">World</a></li><li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li><li><a href="/opinion">Opinion</a></li></ul></nav></header>
<main><article>
<h1>{esc(title)}</h1>
<div class="byline">By <a href="/authors/staff">{esc(author)}</a> · <time datetime="{esc(published)}">{esc(published[:10])}</time></div>
<div class="share-tools"><a href="#">Share on Facebook</a> <a href="#">Share on X</a> <a href="#">Email this story</a></div>
<div class="article-body">
{story}
</div>
<aside class="related"><h3>Related stories</h3><ul><li><a href="/world/other-1">Markets slide as oil prices climb</a></li><li><a href="/world/other-2">Floods hit coastal towns after storm</a></li></ul></aside>
<section class="comments"><h3>Comments (2)</h3><div class="comment"><p>Great reporting, keep it up!</p></div><div class="comment"><p>I disagree with every word of this.</p></div></section>
</article></main>
<footer><p>© 2019 {esc(site_name)}. All rights reserved.</p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>
</body></html>"""


@dataclass
class Item:
    title: str
    link: str
    published: datetime
    summary: str = ""
    guid: str = ""


def rss20(title: str, link: str, items: list[Item]) -> str:
    entries = "\n".join(
        f"<item><title>{html.escape(i.title)}</title><link>{html.escape(i.link)}</link>"
        f"<guid isPermaLink=\"false\">{html.escape(i.guid or i.link)}</guid>"
        f"<pubDate>{format_datetime(i.published.replace(tzinfo=timezone.utc), usegmt=True)}</pubDate>"
        f"<description>{html.escape(i.summary)}</description></item>" for i in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{html.escape(title)}</title>'
            f"<link>{html.escape(link)}</link><description>news</description>{entries}</channel></rss>")


def rss10(title: str, link: str, items: list[Item]) -> str:
    seq = "".join(f'<rdf:li rdf:resource="{html.escape(i.link)}"/>' for i in items)
    entries = "\n".join(
        f'<item rdf:about="{html.escape(i.link)}"><title>{html.escape(i.title)}</title>'
        f"<link>{html.escape(i.link)}</link><description>{html.escape(i.summary)}</description>"
        f"<dc:date>{i.published.strftime('%Y-%m-%dT%H:%M:%SZ')}</dc:date></item>" for i in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="{html.escape(link)}"><title>{html.escape(title)}</title><link>{html.escape(link)}</link>'
            f"<description>news</description><items><rdf:Seq>{seq}</rdf:Seq></items></channel>{entries}</rdf:RDF>")


def atom(title: str, link: str, items: list[Item]) -> str:
    entries = "\n".join(
        f'<entry><title>{html.escape(i.title)}</title><link rel="alternate" href="{html.escape(i.link)}"/>'
        f"<id>{html.escape(i.guid or i.link)}</id><updated>{i.published.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>"
        f"<summary>{html.escape(i.summary)}</summary></entry>" for i in items)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>{html.escape(title)}</title><link href="{html.escape(link)}"/><id>{html.escape(link)}</id>'
            f"<updated>2019-04-05T12:00:00Z</updated>{entries}</feed>")
