"""Page bytes to text: the binary formats that are no page, and the encoding of those that are.

Pure: bytes in, a str out.
"""

from __future__ import annotations

import codecs
import re

import trafilatura

_MAGIC = (
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"PK\x03\x04", "zip"),
    (b"OggS", "ogg"),
    (b"ID3", "mp3"),
    (b"%!PS", "postscript"),
    (b"{\\rtf", "rtf"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"wOFF", "font"),
    (b"wOF2", "font"),
)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""", re.I)
# WHATWG: browsers read these labels as windows-1252
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252"}


def sniff_binary(raw: bytes) -> str:
    """Name of the binary format raw starts with, "" when it may be text."""
    head = raw[:16]
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return head[8:12].decode().strip().lower()
    if head[4:8] == b"ftyp":
        return "mp4"
    if not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and b"\x00" in raw[:2048]:
        return "binary"
    return ""


def decode_html(raw: bytes) -> str:
    """Decode page bytes: BOM, then strict UTF-8, then the declared charset, then detection.

    Valid UTF-8 wins over a contradicting declaration: pages mislabelled iso-8859-1 that are in
    fact UTF-8 are far more common than latin-1 text that happens to be valid UTF-8.
    """
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    mostly_utf8 = _decode_mostly_utf8(raw)
    if mostly_utf8 is not None:
        return mostly_utf8
    declared = _DECLARED_CHARSET.search(raw[:16384])
    if declared:
        label = (declared.group(1) or declared.group(2)).decode("ascii", "ignore").lower()
        label = _CHARSET_ALIASES.get(label, label)
        try:
            if codecs.lookup(label).name not in ("utf-8", "utf-16", "utf-32"):
                return raw.decode(label)
        except (LookupError, UnicodeDecodeError):
            pass
    return _decode_undeclared(raw)


_NON_ASCII_WORD = re.compile(r"\w*[^\x00-\x7f]\w*")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _decode_mostly_utf8(raw: bytes) -> str | None:
    """UTF-8 with a few stray legacy bytes (a CMS pasting latin-1 into a UTF-8 page): decode the
    UTF-8 and read only the stray bytes as windows-1252. None when the page is not mostly UTF-8."""
    valid = len(_UTF8_MULTIBYTE.findall(raw))
    text = raw.decode("utf-8", errors="replace")
    stray = text.count("\ufffd")
    if valid < 3 or stray > valid:
        return None
    return raw.decode("utf-8", errors="_newsduck_cp1252")


def _cp1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    bad = error.object[error.start:error.end]
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error("_newsduck_cp1252", _cp1252_fallback)


def _decode_undeclared(raw: bytes) -> str:
    """Undeclared legacy encoding: windows-1252 when it reads as Western text, else detection.

    Charset detectors are unreliable on short Western text (French comes out as mac_latin2). In
    Western text decoded as windows-1252 the words holding accented letters are mostly ASCII
    ("président"); Cyrillic, Greek or CJK bytes read that way give words made only of them.
    """
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    words = _NON_ASCII_WORD.findall(text)
    if words:
        high = sum(ord(char) > 0x7F for word in words for char in word)
        if high / sum(map(len, words)) < 0.5:
            return text
    return trafilatura.utils.decode_file(raw)
