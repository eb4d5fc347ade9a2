"""The realtime URL: building it, and keeping the key it carries out of every text.

The realtime gateway authenticates with the `api_key` query parameter and nothing else
(protocol.md §6.6, §1.2), so the URL is a secret. `realtime_url` builds it, `redact_url`
is what may be shown of it, and `SecretScrubber` removes the key from any other text the
SDK puts in an exception (a close reason or an error body that echoes the key).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from ._request import encode_path_id

__all__ = ["REDACTED", "SecretScrubber", "realtime_url", "redact_url"]

REDACTED = "***"

# The value of every `api_key` parameter, up to the next parameter or the fragment.
# Matching the text rather than parsing the URL means even a malformed URL is redacted.
_API_KEY_VALUE = re.compile(r"(?i)([?&;]api_key=)[^&#;]*")

_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


def realtime_url(base_url: str, *, model: str, token: str) -> str:
    """The WebSocket URL of a realtime session (protocol.md §6.6, §1.1).

    The scheme maps `http` → `ws` and `https` → `wss` (`ws`/`wss` pass unchanged), a path
    prefix is kept, and `/v1/realtime?model=<model>&api_key=<token>` is appended with
    both values percent-encoded as UTF-8 (`/` in the model id stays as it is, §1.6).

    Args:
        base_url: The client's base URL, without `/v1` (a trailing `/` is ignored).
        model: The realtime model id, for example `openai/gpt-realtime-mini`.
        token: The API key; it goes into the query string, the only place the gateway
            reads it from.

    Returns:
        The absolute `ws://` or `wss://` URL. It holds the key: show only
        `redact_url(url)`.

    Raises:
        ValueError: for an empty model or token, a base URL that is not http(s)/ws(s)
            with a host, or one that carries a query, fragment or user info. The message
            never contains the token.
    """
    if not isinstance(token, str) or not token:
        raise ValueError("token must be a non-empty string")
    model_part = encode_path_id(model, name="model", keep_slash=True)
    if not isinstance(base_url, str):
        raise ValueError(f"base_url must be a string, got {type(base_url).__name__}")
    try:
        parts = urlsplit(base_url.strip())
    except ValueError:
        raise ValueError(f"base_url is not a valid URL: {redact_url(base_url)!r}") from None
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None or not parts.netloc:
        raise ValueError(
            f"base_url must be an http(s) URL with a host, got {redact_url(base_url)!r}"
        )
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(
            "base_url must be a scheme, host and optional path prefix (no query, fragment "
            f"or user info), got {redact_url(base_url)!r}"
        )
    prefix = parts.path.rstrip("/")
    query = f"model={model_part}&api_key={quote(token, safe='')}"
    return f"{scheme}://{parts.netloc}{prefix}/v1/realtime?{query}"


def redact_url(url: str) -> str:
    """The URL with the value of every `api_key` parameter replaced by `***` (§6.6).

    Args:
        url: Any text; it need not be a well-formed URL.

    Returns:
        The same text with the key values hidden; everything else unchanged.
    """
    return _API_KEY_VALUE.sub(rf"\g<1>{REDACTED}", url)


class SecretScrubber:
    """Removes one credential from texts, in every spelling it may travel in.

    The key can come back to us inside text we did not write: a close reason, an error
    event or a refused upgrade's body that quotes the request. Each text the realtime
    protocol puts in an exception goes through `scrub`, so the key appears in no message,
    `str` or `repr` (protocol.md §1.2).
    """

    __slots__ = ("_secrets",)

    def __init__(self, url: str) -> None:
        """Collect the spellings of the key the URL carries.

        Args:
            url: The realtime URL; its `api_key` values are the secrets.
        """
        raw: set[str] = set()
        for match in _API_KEY_VALUE.finditer(url):
            raw.add(url[match.end(1) : match.end()])
        query = url.partition("?")[2].partition("#")[0]
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name.lower() == "api_key":
                raw.add(value)
        spellings = {s for value in raw for s in (value, quote(value, safe=""), quote_plus(value))}
        # Longest first, so a spelling that contains another is replaced whole.
        self._secrets = tuple(sorted((s for s in spellings if s), key=len, reverse=True))

    def scrub(self, text: str) -> str:
        """The text with `api_key=` values and every spelling of the key replaced by `***`.

        Args:
            text: Any text.

        Returns:
            The redacted text.
        """
        text = redact_url(text)
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def __repr__(self) -> str:
        return f"SecretScrubber(<{len(self._secrets)} spellings>)"
