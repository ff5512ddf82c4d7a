"""One story under many URLs (pure): a MinHash signature of each article body (datasketch) and
the locality-sensitive buckets the loader matches them by, so that a wire story republished by
twenty sites, or updated under a new URL, gets one articles.story_id.

Bodies are compared as sets of 4-word shingles (lower-cased words): the estimated Jaccard
similarity of two signatures is the share of positions where they agree. 128 permutations in 32
bands of 4: two bodies with a similarity of 0.5 share a bucket with probability 0.87, at 0.6
with 0.99, at 0.3 with 0.23; the loader then keeps pairs whose signatures agree on at least
STORY_SIMILARITY of the positions.
"""

from __future__ import annotations

import hashlib
import re

from datasketch import MinHash

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 4
STORY_SIMILARITY = 0.5  # estimated Jaccard of the shingle sets: the same story, edited or updated
_WORD = re.compile(r"\w+")


def story_signature(body: str) -> tuple[int, ...]:
    """The body's MinHash signature (NUM_PERM 32-bit values); () for a body too short to tell."""
    words = _WORD.findall(body.casefold())
    if len(words) < SHINGLE_WORDS * 2:
        return ()
    shingles = {" ".join(words[i:i + SHINGLE_WORDS]).encode() for i in range(len(words) - SHINGLE_WORDS + 1)}
    minhash = MinHash(num_perm=NUM_PERM, seed=1)  # a fixed seed: signatures compare across machines and runs
    minhash.update_batch(sorted(shingles))
    return tuple(int(v) for v in minhash.hashvalues)


def story_buckets(signature: tuple[int, ...]) -> tuple[int, ...]:
    """The signature's BANDS bucket ids (63-bit, band number included): two bodies are
    candidates when they share one."""
    if len(signature) != NUM_PERM:
        return ()
    buckets = []
    for band in range(BANDS):
        rows = signature[band * ROWS:(band + 1) * ROWS]
        digest = hashlib.blake2b(f"{band}:{','.join(map(str, rows))}".encode(), digest_size=8).digest()
        buckets.append(int.from_bytes(digest, "big") & (2**63 - 1))
    return tuple(buckets)


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """The estimated Jaccard similarity of two bodies: the share of positions their signatures agree on."""
    if len(a) != NUM_PERM or len(b) != NUM_PERM:
        return 0.0
    return sum(x == y for x, y in zip(a, b)) / NUM_PERM
