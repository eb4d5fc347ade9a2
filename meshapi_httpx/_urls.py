"""Parsed URLs, kept: a call's URL is parsed once per distinct URL, not once per request.

`Client.build_request` parses a string URL on every call, and httpx's parser (with its
IDNA and IP-address checks) is a visible part of the CPU of a small call on loopback.
An SDK sends the same few URLs over and over, so the parsed `httpx.URL` is kept and
handed to `build_request`, which only copies it. `httpx.URL` is immutable, so sharing
one is safe. The store is bounded: URLs with ever-changing query strings (cursors)
simply empty it now and then.
"""

from __future__ import annotations

import httpx

__all__ = ["parsed_url"]

_MAX_KEPT = 512
_kept: dict[str, httpx.URL] = {}


def parsed_url(url: str) -> httpx.URL:
    """`httpx.URL(url)`, parsed at most once while it stays in the store."""
    parsed = _kept.get(url)
    if parsed is None:
        parsed = httpx.URL(url)
        if len(_kept) >= _MAX_KEPT:
            _kept.clear()
        _kept[url] = parsed
    return parsed
