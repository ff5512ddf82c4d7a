"""Shards: split work (feeds, backfill units) between workers by a stable hash of a key.

The hash is sha1 of the key's UTF-8 bytes, so every machine, process and Python version puts a
key in the same shard (Python's own `hash()` of a str changes with each process).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from transforms.urls import host_of


@dataclass(frozen=True, slots=True)
class Shard:
    index: int
    count: int

    def holds(self, key: str) -> bool:
        """Whether this shard takes the work named by `key` (a feed URL, a backfill unit)."""
        return shard_of(key, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(key: str, count: int) -> int:
    """The shard (0 .. count-1) of a key: sha1 of the key, as an integer, modulo count."""
    return int.from_bytes(hashlib.sha1(key.encode("utf-8")).digest()[:8], "big") % count


def feed_key(url: str) -> str:
    """What shards a feed: its host (and port, when the URL names one), not the whole URL.

    All the feeds of one site then go to one worker, so the per-host politeness limits (kept
    per process) hold across workers, and the many items that a site's section feeds share are
    fetched and analysed once, not once per shard that lists them.
    """
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:  # a bad port ("a.com:99999"): the host alone; "http://[::1": ""
        host, port = host_of(url), None
    return f"{host}:{port}" if port else host


def parse_shard(text: str) -> Shard:
    """'i/n' -> Shard(i, n), with 0 <= i < n.

    Raises:
        ValueError: with a message fit for the command line.
    """
    head, sep, tail = text.strip().partition("/")
    try:
        index, count = int(head), int(tail)
    except ValueError:
        raise ValueError(f"shard {text!r}: expected i/n, e.g. 0/4") from None
    if not sep or count < 1 or not 0 <= index < count:
        raise ValueError(f"shard {text!r}: expected i/n with 0 <= i < n, e.g. 0/4")
    return Shard(index, count)
