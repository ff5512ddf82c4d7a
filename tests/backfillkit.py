"""Builders for backfill tests and benchmarks: distinct generated news stories, WARC files."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.sitekit import news_page

_CITIES = ["Nairobi", "Lagos", "Accra", "Dakar", "Kampala", "Lusaka", "Harare", "Maputo", "Luanda", "Addis Ababa",
           "Khartoum", "Tunis", "Rabat", "Cairo", "Kigali", "Bamako", "Niamey", "Abuja", "Douala", "Kinshasa"]
_PEOPLE = ["Amina Odhiambo", "Kwame Mensah", "Fatou Diallo", "Joseph Kabila", "Grace Banda", "Samuel Okoro",
           "Leila Haddad", "Youssef Benali", "Ngozi Eze", "Peter Mwangi", "Aisha Bello", "Daniel Tesfaye"]
_BODIES = ["the African Union", "the World Bank", "the United Nations", "the central bank", "the electoral commission",
           "the health ministry", "the port authority", "the teachers' union", "the national assembly"]
_TOPICS = ["a new water project", "fuel subsidies", "a disputed election result", "road repairs after the floods",
           "a vaccination campaign", "the price of bread", "a border crossing", "teachers' pay", "a mining licence"]


def story(i: int) -> tuple[str, list[str]]:
    """A distinct, deterministic news story: a title and three paragraphs (~110 words)."""
    city, person = _CITIES[i % len(_CITIES)], _PEOPLE[(i * 7) % len(_PEOPLE)]
    body, topic = _BODIES[(i * 3) % len(_BODIES)], _TOPICS[(i * 5) % len(_TOPICS)]
    other = _PEOPLE[(i * 7 + 5) % len(_PEOPLE)]
    title = f"{person} meets {body} in {city} over {topic} (report {i})"
    return title, [
        f"{person} met officials of {body} in {city} on Tuesday to discuss {topic}, according to a statement "
        f"released after the talks. Report number {i} of the series says the meeting lasted four hours.",
        f"{other} criticised the plan and said residents of {city} had waited {i % 9 + 2} years for a decision. "
        f"Protesters gathered outside the venue, and police said {i % 40 + 3} people were briefly detained.",
        f"{body[0].upper() + body[1:]} promised to publish its findings within {i % 11 + 2} weeks. "
        f"Observers in {city} said the outcome would shape the debate about {topic} for months to come.",
    ]


def story_page(i: int, published: str | None, *, canonical: str | None = None) -> str:
    """A realistic page for story i; published=None gives a page that states no date at all."""
    title, paragraphs = story(i)
    page = news_page(title, paragraphs, published or "2000-01-01T00:00:00Z", canonical=canonical)
    if published is None:
        page = (page.replace('<meta property="article:published_time" content="2000-01-01T00:00:00Z">', "")
                .replace('<time datetime="2000-01-01T00:00:00Z">2000-01-01</time>', "")
                .replace("© 2019 ", "© "))
    return page


@dataclass
class Record:
    """One WARC record to write: a response (HTML or not), a request, a revisit or metadata."""

    kind: str  # response | request | revisit | metadata
    url: str
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: str = "200 OK"
    date: str = "2024-01-15T12:00:00Z"


def write_warc(path: Path, records: Iterable[Record], *, gzip: bool = True) -> Path:
    """Write records with warcio (a warcinfo record first), one gzip member per record."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "newsduck tests"}))
        for r in records:
            headers = {"WARC-Date": r.date}
            if r.kind == "response":
                http = StatusAndHeaders(r.status, [("Content-Type", r.content_type),
                                                   ("Content-Length", str(len(r.body)))], protocol="HTTP/1.1")
                record = writer.create_warc_record(r.url, "response", payload=io.BytesIO(r.body),
                                                   http_headers=http, warc_headers_dict=headers)
            elif r.kind == "request":
                http = StatusAndHeaders(f"GET /{r.url.split('/', 3)[-1]} HTTP/1.1", [("Host", r.url.split("/")[2])],
                                        is_http_request=True)
                record = writer.create_warc_record(r.url, "request", payload=io.BytesIO(b""), http_headers=http,
                                                   warc_headers_dict=headers)
            elif r.kind == "revisit":
                record = writer.create_revisit_record(r.url, digest="sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ",
                                                      refers_to_uri=r.url, refers_to_date=r.date,
                                                      warc_headers_dict=headers)
            else:
                record = writer.create_warc_record(r.url, "metadata", payload=io.BytesIO(b"via: test\n"),
                                                   warc_content_type="application/warc-fields",
                                                   warc_headers_dict=headers)
            writer.write_record(record)
    return path
