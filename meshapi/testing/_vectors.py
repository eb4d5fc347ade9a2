"""Deterministic text vectors: hashed bag of words for embeddings, exact bags for search.

`embed` hashes each lower-cased word to a signed coordinate and normalises to unit length,
so equal texts give equal vectors and texts sharing words point in similar directions.
RAG search scores with the exact (collision-free) bag of content words instead, which
guarantees the property tests rely on: a query sharing a word with a chunk scores it above
every chunk sharing none.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
from collections import Counter
from collections.abc import Sequence

__all__ = ["bag", "cosine", "embed", "encode_base64", "words"]

_WORD = re.compile(r"[a-z0-9]+")

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


def words(text: str) -> list[str]:
    """Lower-case alphanumeric words."""
    return _WORD.findall(text.lower())


def embed(text: str, dimensions: int) -> list[float]:
    """A unit-norm vector of `dimensions` floats for `text`."""
    vector = [0.0] * dimensions
    tokens = words(text) or [text]
    for token in tokens:
        digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0.0:
        # Every word cancelled out (a collision); fall back to a fixed axis.
        vector[0] = 1.0
        return vector
    return [v / norm for v in vector]


def encode_base64(vector: Sequence[float]) -> str:
    """Little-endian float32 values, base64-encoded (`encoding_format: "base64"`)."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def bag(text: str) -> Counter[str]:
    """Content-word counts (stopwords dropped unless nothing else is left)."""
    all_words = words(text)
    content = [w for w in all_words if w not in STOPWORDS]
    return Counter(content or all_words)


def cosine(a: Counter[str], b: Counter[str]) -> float:
    """Cosine similarity of two bags (0 when either is empty)."""
    if not a or not b:
        return 0.0
    dot = sum(count * b.get(word, 0) for word, count in a.items())
    norm = math.sqrt(sum(c * c for c in a.values())) * math.sqrt(sum(c * c for c in b.values()))
    return dot / norm if norm else 0.0
