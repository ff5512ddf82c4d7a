"""Article cleaning: page bytes (plus the feed entry, when there is one) in, a clean Article out.

Pure: no network, files, clock or settings. trafilatura does the main-content extraction; this
module decodes the bytes (transforms/page/decode.py), reads the page metadata (transforms/page/pagemeta.py:
canonical URL, dates, language), falls back to
the feed's own text when the page yields too little, and strips the generic news boilerplate
(captions, bylines, share/related/newsletter/cookie lines) trafilatura lets through.

Not thread-safe: trafilatura/lxml crash when extraction runs in several threads at once. Call it
from one thread per process.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime

import trafilatura
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.utils import handle_compressed_file

from transforms.page.decode import decode_html, sniff_binary
from transforms.page.pagemeta import (DATE_PARAMS, clean_title, declared_canonical, json_ld, meta_values, page_date,
                                 page_language, pick_date)
from transforms.records import Article, FeedEntry, Skipped
from transforms.urls import pick_canonical

# The installed trafilatura's version, so an upgrade makes stored articles reprocess candidates;
# bump the suffix when the cleaning (this module, decode.py, pagemeta.py) changes what it
# produces for the same page.
EXTRACTOR_VERSION = f"trafilatura-{trafilatura.__version__}+nd3"

_MIN_WORDS = 20  # fewer words than this is not an article body
_FEED_RATIO = 0.5  # a page body under half the feed text's length was cut short: use the feed
_MAX_BYTES = 20_000_000
_HTML_MARKER = re.compile(r"<(?:!doctype\s+html|html|head|body|meta|title|p|div|article|main|section|span|h[1-6]|br|table|a)\b", re.I)
_FEED_MARKER = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF|urlset|sitemapindex)\b", re.I | re.S)

_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")


def _words(text: str) -> int:
    """Word count; each CJK character counts as one word."""
    return len(_WORD.findall(text))


# Generic news boilerplate lines trafilatura lets through. Each is anchored or needs a phrase
# only furniture uses, and _is_boilerplate only tries lines of at most 40 words, so a real
# paragraph that merely mentions cookies, newsletters or sharing survives.
_BOILERPLATE = [
    re.compile(p, re.I)
    for p in (
        # captions and credits ("... in Janzour. Image Credit: AFP"; a sentence would end in ".")
        r"^(?:image|photo|picture|pic|photograph|video|graphic)s?\s*(?:credits?|courtesy)?\s*[:：|]",
        r"(?:\b(?:image|photo|picture|photograph)s?\s*(?:credits?|by|courtesy)?|\bcredits?)\s*[:：]\s*[^.!?]{1,80}\)?\s*$",
        r"\((?:AP |AFP |Reuters )?(?:photo|image|picture)s?(?:\s+by|:|/)[^)]{1,80}\)\s*$",
        # page furniture datelines: "Updated at 1:23 p.m.", "Published: April 05, 2019 12:00"
        r"^(?:published|posted|updated|last updated|first published)\s*(?:on|at)?\s*[:：]?\s*(?=[^\d]{0,20}\d)[\w ,.:/+-]{4,60}$",
        # share / social
        r"^(?:share|tweet|email|print|pin|save)(?: (?:this|the) (?:article|story|page|post))?\s*[:!]?$",
        r"^(?:share|click to share) (?:this|on|via)\b.{0,60}$",
        r"^like this (?:story|article)\?.{0,60}$",
        r"^follow (?:us|@?\w+) on\b.{0,200}$",
        r"^follow\b.{0,100}\bon (?:facebook|twitter|instagram|linkedin)\b",
        r"\bfollow us on (?:twitter|facebook|instagram|linkedin)\b",
        r"^(?:order )?reprints?(?: (?:&|and) permissions)?$|^print (?:this )?(?:article|story|page)$",
        r"\bclick here\b",
        # agency credits: staff names, not people in the story ("Reporting by X; Editing by Y")
        r"^\(?(?:additional |further )?(?:reporting|writing|editing|compiled|produced) by\b.{0,300}(?:;|\bediting by\b|\)$)",
        r"^.{0,120}\bcontributed (?:to )?(?:this|the) (?:report|story|article)\W*$",
        r"^(?:write to|email|e-mail|contact) [\w .'’-]{2,60} at \S+@\S+",
        # related / read more
        r"^see more\s*:\s*\S.{0,160}$",
        r"^(?:read more|read also|also read|see also|don'?t miss|more on this (?:story|topic)|you may also like|you might also like)\b.{0,160}$",
        r"^(?:related|recommended|more from|most read|most popular|trending|popular)(?: (?:stories|articles|content|"
        r"coverage|links|news|posts|reading|topics|videos))?\s*(?:[:|»›>-].{0,160})?$",
        r"^also on [\w.-]+\.[a-z]{2,}\b.{0,160}$",
        # newsletters, comments, cookie banners
        r"\b(?:sign up|subscribe|register) (?:now |today |here )?(?:for|to) (?:our|the|this|my)\b.{0,40}\bnewsletters?\b",
        r"^(?:sign up|subscribe|get|receive|join)\b.{0,80}\bnewsletters?\b",
        r"\b(?:newsletters?|sign up|subscribe)\b.{0,80}\binbox\b",
        r"^[\w'’ &-]{0,40}\bnewsletters?$",
        r"\b(?:we|this (?:web)?site|our (?:web)?site) uses? cookies\b|\bby continuing to (?:browse|use|visit)\b",
        r"\b(?:accept|manage|reject) (?:all )?cookies\b|\bour cookie (?:policy|notice|settings)\b",
        r"^(?:leave a (?:comment|reply)|post a comment|join the (?:discussion|conversation)|tell us what you think|\d*\s*comments?)\W*$",
        # tags, shortcodes, copyright, ad labels
        r"^tags?\s*:.{0,300}$",
        r"^\[(\w+)\b[^\]]*\].*\[/\1\]$",  # an unrendered CMS shortcode
        r"^(?:©|\(c\)|copyright\s*(?:©|\(c\))?\s*\d{4})|\ball rights reserved\b",
        r"\bpersonal,? non-?commercial use\b",
        r"^(?:advertisement|sponsored|story continues below|continue reading below)\W*$",
    )
] + [
    # a byline: "By Reuters", "By Jane Doe and John Roe, Staff Writers" (capitalised names only,
    # so "By Friday, the rebels had retreated." stays)
    re.compile(r"^(?:[Bb]y|BY|Written by|Words by|Posted by)\s+(?:(?:[A-Z][\w'’.-]*|and|&|of|the)[\s,|]*){1,10}$"),
]
_MAX_BOILERPLATE_WORDS = 40
_LIST_MARKER = re.compile(r"^(?:[-*•·]|\d{1,2}[.)])\s+")


def _is_boilerplate(line: str) -> bool:
    """A short line that reads as page furniture, not article text."""
    if _words(line) > _MAX_BOILERPLATE_WORDS:
        return False
    line = _LIST_MARKER.sub("", line)
    return any(pattern.search(line) for pattern in _BOILERPLATE)


_LABEL_LINE = re.compile(r"^(?:tags?|topics?|keywords|filed under|categories)\s*:?$", re.I)


def _clean_lines(text: str) -> list[str]:
    """Paragraph lines of an extracted text, without generic boilerplate and empty lines."""
    kept: list[str] = []
    skip_next = False
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if skip_next:
            skip_next = False
            if _words(line) <= _MAX_BOILERPLATE_WORDS and not line.endswith((".", "!", "?", "”", '"')):
                continue  # the tag list under a "Tags" label
        if _LABEL_LINE.match(line):
            skip_next = True
        elif not _is_boilerplate(line):
            kept.append(line)
    return kept


# Page-level pruning before trafilatura runs: generic layouts it gets wrong. XPaths compiled once.
_BODY_CANDIDATES = XPath(
    "//*[self::div or self::section or self::article][@itemprop='articleBody' or contains(@class, 'ody')"
    " or contains(@class, 'ontent') or contains(@class, 'rticleBody')]"
)
_LISTS = XPath("//ul|//ol")
_EMBEDDED_POSTS = XPath(
    "//blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'instagram-media') or contains(@class, 'tiktok-embed')]"
)
_HOVER_CANDIDATES = XPath(
    "//*[@class][contains(@class, 'ooltip') or contains(@class, 'opover') or contains(@class, 'over-card')"
    " or contains(@class, 'overcard') or contains(@class, 'ollover')]"
)
_LINKED_HEADINGS = XPath("//*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6][ancestor::a]")
_IMAGES_WITH_ALT = XPath("//img[@alt]")
_PARAGRAPH_TEXT = XPath(".//p//text()")

_BODY_CLASS = re.compile(r"article[-_]{0,2}body|story[-_]?body|articleBody|(?:entry|post|article|story)[-_]{1,2}content", re.I)
_RELATED_HEADING = re.compile(
    r"^(?:more|related|recommended|read (?:more|next|also)|also read|see also|further reading|you (?:may|might) also like|"
    r"most (?:read|popular|viewed|shared)|trending|popular|top stories|latest(?: news| stories)?|editor'?s picks)\b.{0,50}$",
    re.I,
)
_HOVER_PANEL = re.compile(r"(?:^|[\s_-])(?:tooltip|popover|hover-?card)s?(?:$|[\s_-])|rollover\S*-(?:block|card|box|panel|content)\b", re.I)


def _prepare_tree(tree: HtmlElement) -> None:
    """Fix, in place, the generic page layouts trafilatura gets wrong."""
    _paragraphs_from_breaks(tree)
    _join_split_body(tree)
    _prune_link_lists(tree)
    _unwrap_embedded_posts(tree)
    for element in _HOVER_CANDIDATES(tree):
        # tooltip/popover/hover-card panels: hidden until hovered, flattened by text extraction
        # into the sentence they decorate ("Rep. Ilhan OmarIlhan OmarLatest stories…")
        if _HOVER_PANEL.search(element.get("class", "")) and element.getparent() is not None:
            element.drop_tree()
    for heading in _LINKED_HEADINGS(tree):
        heading.drop_tree()  # a heading inside a link: the headline of a teaser card
    _prune_alt_captions(tree)


_INLINE = frozenset({"a", "abbr", "b", "bdi", "cite", "code", "em", "font", "i", "img", "mark", "q", "s", "small", "span", "strong", "sub", "sup", "time", "u"})
_TEXT_FRAMES = XPath("//div[br][normalize-space(text())]")


def _paragraphs_from_breaks(tree: HtmlElement) -> None:
    """Turn a div of loose text separated by <br> into <p> paragraphs (readability's br-to-p).

    trafilatura drops the frame's text before its first child: the lead paragraph of such pages.
    """
    for frame in _TEXT_FRAMES(tree):
        loose = (frame.text or "") + "".join(child.tail or "" for child in frame)
        if len(loose.strip()) < 100:
            continue
        children = list(frame)
        paragraph = frame.makeelement("p")
        paragraph.text, frame.text = frame.text, None
        blocks = []
        for child in children:
            frame.remove(child)
            if child.tag == "br" or child.tag not in _INLINE:
                blocks.append(paragraph)
                if child.tag != "br":
                    tail, child.tail = child.tail, None
                    blocks.append(child)
                else:
                    tail = child.tail
                paragraph = frame.makeelement("p")
                paragraph.text = tail
            else:
                paragraph.append(child)
        blocks.append(paragraph)
        for block in blocks:
            if block.tag != "p" or len(block) or (block.text or "").strip():
                frame.append(block)


def _join_split_body(tree: HtmlElement) -> None:
    """Merge an article body split into several same-class containers (CMS "chunks" around ads).

    trafilatura keeps the first container matching its body patterns and drops the rest of the
    story. Same tag and class, not nested, each with real paragraphs, and inside the same
    <article> (or the same grandparent without one): later chunks are moved into the first.
    An infinite-scroll page appending the next story wraps it in its own <article>.
    """
    groups: dict[tuple, list[HtmlElement]] = {}
    for element in _BODY_CANDIDATES(tree):
        cls = element.get("class", "")
        if (cls and _BODY_CLASS.search(cls)) or element.get("itemprop") == "articleBody":
            groups.setdefault((element.tag, cls, element.get("itemprop")), []).append(element)
    for members in groups.values():
        if len(members) < 2:
            continue
        chosen = set(members)
        top = [m for m in members if not any(a in chosen for a in m.iterancestors())]
        top = [m for m in top if len("".join(_PARAGRAPH_TEXT(m))) >= 200]
        if len(top) < 2 or len({_story_scope(m) for m in top}) > 1:
            continue
        for other in top[1:]:
            top[0].extend(list(other))
            other.drop_tree()


def _story_scope(element: HtmlElement) -> HtmlElement | None:
    """Nearest <article> ancestor, else the grandparent."""
    for ancestor in element.iterancestors("article"):
        return ancestor
    parent = element.getparent()
    return parent.getparent() if parent is not None else None


def _prune_link_lists(tree: HtmlElement) -> None:
    """Drop lists of links to other stories.

    Either a "More stories"/"Related" heading right before a link-heavy list (heading dropped
    too), or a list whose every item is wholly a link of at least four words (a headline).
    """
    for listing in _LISTS(tree):
        if listing.getparent() is None:
            continue
        items = listing.findall("li")
        texts = [" ".join(li.text_content().split()) for li in items]
        linked = [" ".join(" ".join(a.text_content() for a in li.iter("a")).split()) for li in items]
        if len(items) >= 2 and all(t and link == t and len(t.split()) >= 4 for t, link in zip(texts, linked)):
            listing.drop_tree()
            continue
        heading = listing.getprevious()
        if heading is None or heading.tag not in ("h2", "h3", "h4", "h5", "h6", "div", "p", "span", "strong"):
            continue
        title = " ".join(heading.text_content().split())
        size = sum(map(len, texts))
        if title and _RELATED_HEADING.match(title) and size and sum(map(len, linked)) >= 0.4 * size:
            heading.drop_tree()
            listing.drop_tree()


def _unwrap_embedded_posts(tree: HtmlElement) -> None:
    """Keep embedded social posts as plain quotes: in news they are quoted statements.

    Their wrappers carry "embed"/"social"/"widget" classes that trafilatura discards wholesale.
    """
    for quote in _EMBEDDED_POSTS(tree):
        text = " ".join(quote.text_content().split())
        if not text:
            continue
        for attr in ("class", "id", "style"):
            quote.attrib.pop(attr, None)
        outer = quote
        for ancestor in quote.iterancestors():
            if ancestor.tag in ("body", "article", "main") or " ".join(ancestor.text_content().split()) != text:
                break
            outer = ancestor
        if outer is not quote:
            tail = outer.tail
            outer.getparent().replace(outer, quote)
            quote.tail = tail


def _prune_alt_captions(tree: HtmlElement) -> None:
    """Drop captions that repeat their image's alt text next to the image."""
    for image in _IMAGES_WITH_ALT(tree):
        alt = _token_key(image.get("alt", ""))
        if len(alt.split()) < 3:
            continue
        scope = image.getparent()
        for _ in range(2):
            if scope is not None and scope.getparent() is not None and scope.tag not in ("article", "main", "body"):
                scope = scope.getparent()
        if scope is None:
            continue
        for element in scope.iter("span", "p", "div", "em", "small", "figcaption", "i"):
            if element is not scope and len(element) <= 3 and _token_key(element.text_content()) == alt:
                element.drop_tree()
                break


def _extract_text(tree: HtmlElement, url: str, **options: bool) -> str:
    """Main text of the page via trafilatura, "" when it finds nothing."""
    document = trafilatura.bare_extraction(
        tree, url=url or None, include_comments=False, include_tables=True, with_metadata=False, **options
    )
    return (document.text or "") if document is not None else ""


_CREDIT = re.compile(  # a photo credit ending a caption: "Image Credit: AFP", "Photo: Reuters", "(AFP Photo)"
    r"\s*(?:[\(\[]?(?:"
    r"\b(?:image|photo|picture|video)?\s*(?:credits?|courtesy|source)\s*:[^()\[\]]*"
    r"|\b(?:photo|picture|image)(?:\s+by)?\s*:[^()\[\]]*"
    r")[\)\]]?"
    r"|\((?-i:(?:[A-Z][\w.&/-]*\s+){1,3}(?:Photo|Picture|Image)s?)\)"
    r")\s*$", re.I)
_CAPTION_CLASS = re.compile(r"(?:^|[\s_-])(?:wp-)?caption(?:[\s_-]|$)|figcaption", re.I)


def page_captions(tree: HtmlElement) -> list[str]:
    """The page's photo captions (<figcaption>, or an element of class "caption" in a <figure>),
    without their photo credits ("Image Credit: AFP"), each once, in page order."""
    found: list[str] = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        is_caption = element.tag == "figcaption" or (
            _CAPTION_CLASS.search(element.get("class") or "") and any(a.tag == "figure" for a in element.iterancestors()))
        if not is_caption or any(a.tag == "figcaption" for a in element.iterancestors()):
            continue
        parts = [element.text or ""]
        for child in element:  # a credit in a span of its own goes; its tail stays
            if "credit" not in (child.get("class") or "").lower():
                parts.append(child.text_content() if isinstance(child.tag, str) else "")
            parts.append(child.tail or "")
        text = _CREDIT.sub("", " ".join("".join(parts).split())).strip()
        text = unicodedata.normalize("NFC", text)
        if len(text.split()) >= 3 and text not in found:
            found.append(text)
    return found


def _page_body(tree: HtmlElement, url: str, titles: list[str]) -> str:
    """The cleaned article body of a parsed page, "" when none."""
    _prepare_tree(tree)
    lines = _clean_lines(_extract_text(tree, url, favor_precision=True))
    if _words(" ".join(lines)) < 100:
        # precision mode sometimes keeps only a teaser or a boilerplate box: try the balanced run
        wider = _clean_lines(_extract_text(tree, url))
        if _words(" ".join(wider)) > 2 * _words(" ".join(lines)):
            lines = wider
    return "\n\n".join(_drop_headline(lines, titles))


def _token_key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _drop_headline(lines: list[str], titles: list[str]) -> list[str]:
    """Without the headline repeated at the top of the body (title metadata or <h1>)."""
    keys = {_token_key(t) for t in titles if t}
    keys.discard("")
    head = [line for line in lines[:3] if _token_key(line) not in keys]
    return head + lines[3:]


_TYPOGRAPHY = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"',
                             "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "\u00ad": None, "\u200b": None,
                             "\u200c": None, "\u200d": None, "\ufeff": None})


def _tidy(text: str) -> str:
    """NFC, one space between words, one blank line between paragraphs (a line of the input is a
    paragraph): the stored body form."""
    text = unicodedata.normalize("NFC", text or "").replace("\u00ad", "").replace("\u200b", "")
    paragraphs = (" ".join(p.split()) for p in text.replace("\r", "\n").split("\n"))
    return "\n\n".join(p for p in paragraphs if p)


def normalize_body(text: str) -> str:
    """The form of a body used for hashing: NFKC, plain quotes and dashes, single spaces.

    Two copies of one story that differ only in line breaks, typographic quotes or invisible
    characters normalise to the same string.

    Args:
        text: a body as extracted, or any text.

    Returns:
        The normalised text (all whitespace runs, paragraph breaks included, become one space).
    """
    text = unicodedata.normalize("NFKC", text or "").translate(_TYPOGRAPHY)
    return " ".join(text.split())


def body_hash(text: str) -> str:
    """sha1 hex of the normalised, casefolded body: the same story under two URLs.

    Args:
        text: an article body.

    Returns:
        40 hex characters, or "" for an empty body.
    """
    normal = normalize_body(text).casefold()
    return hashlib.sha1(normal.encode("utf-8")).hexdigest() if normal else ""


def extract_article(html: bytes | str, url: str, entry: FeedEntry | None = None, *,
                    now: datetime | None = None) -> Article | Skipped:
    """Extract the clean article of a fetched page.

    Args:
        html: the page, bytes in any encoding (or already decoded text).
        url: the URL the page was fetched from.
        entry: the feed item that linked to it, if any: its text is the fallback body, its date
            and title fill gaps.
        now: the current time (naive UTC), when known: a page or URL date after it is not believed.

    Returns:
        An Article, or Skipped(url, "not_html") for PDFs, images, JSON, feeds...,
        Skipped(url, "empty_body") when neither page nor feed has a usable body.
    """
    if isinstance(html, bytes):
        raw = handle_compressed_file(html, _MAX_BYTES) if html[:3] == b"\x1f\x8b\x08" else html
        kind = sniff_binary(raw)
        if kind:
            return Skipped(url, "not_html", kind)
        text = decode_html(raw)
    else:
        text = html
    if not text.strip():
        return Skipped(url, "empty_body", "empty document")
    head = text[:4096].lstrip("\ufeff \t\r\n")
    if head[:1] in ("{", "[") or _FEED_MARKER.match(head) or not _HTML_MARKER.search(text[:65536]):
        return Skipped(url, "not_html", "no html markup")
    # a bare fragment ("<div>…</div>") is rejected by trafilatura's is-it-HTML check: wrap it
    tree = trafilatura.load_html(text)
    if tree is None:
        tree = trafilatura.load_html(f"<html><body>{text}</body></html>")
    if tree is None:
        return Skipped(url, "not_html", "unparseable")

    # metadata first: the body extraction prunes the tree in place
    metas, ld = meta_values(tree), json_ld(tree)
    meta_doc = trafilatura.extract_metadata(tree, url or None, date_config=dict(DATE_PARAMS))
    page_dt, precise = page_date(tree, metas, ld)
    language = page_language(tree, metas, ld)
    canonical = pick_canonical(declared_canonical(tree, metas), url)
    titles = [meta_doc.title or ""] + [" ".join(h.text_content().split()) for h in tree.iter("h1")]
    captions = page_captions(tree)  # before the body's extraction prunes the figures away
    page_body = _page_body(tree, url, titles)
    feed_text = max(entry.content, entry.summary, key=len) if entry else ""
    feed_text = _tidy(feed_text)
    body, source = _tidy(page_body), "page"
    if feed_text and _words(body) < max(_MIN_WORDS, _FEED_RATIO * _words(feed_text)):
        body, source = feed_text, "feed"
    if _words(body) < _MIN_WORDS:
        return Skipped(url, "empty_body", f"{_words(body)} words")

    published, date_source = pick_date(page_dt, precise, entry.published_at if entry else None, url,
                                        entry.date_source if entry else "feed", now)
    return Article(
        url=url,
        canonical_url=canonical,
        title=clean_title(meta_doc.title or (entry.title if entry else "") or "", meta_doc.sitename or "", url),
        author=(meta_doc.author or (entry.author if entry else "") or "").strip(),
        published_at=published,
        date_source=date_source,
        language=language,
        body=body,
        body_source=source,
        body_hash=body_hash(body),
        captions=tuple(c for c in captions if c not in body),
    )
