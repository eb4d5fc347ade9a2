"""Our own httpx clients keep no cookies, as the aiohttp driver's session does not.

Nothing the gateway sets may change what later requests carry (a cookie would be one
more credential nobody asked for), and httpx's cookie handling is also the costliest
step of a small call: `Client.send` hands every response to
`Cookies.extract_cookies`, which builds a urllib request and response to ask the
standard library's cookie jar, a tenth of the CPU of a non-streaming call on loopback.
A client the caller passes in is never touched: its cookies are the caller's business.
"""

from __future__ import annotations

import httpx

__all__ = ["keep_no_cookies"]


class _NoCookies(httpx.Cookies):
    """A cookie store that keeps nothing it is offered."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        return None


def keep_no_cookies(client: httpx.Client | httpx.AsyncClient) -> None:
    """Make a client we created keep no cookies (see the module docstring).

    httpx offers no public switch for it, and assigning `client.cookies` copies into a
    plain `Cookies`, so the store is replaced where the client keeps it; should a future
    httpx keep it elsewhere this does nothing, and the client keeps cookies as before.
    """
    if isinstance(getattr(client, "_cookies", None), httpx.Cookies):
        client._cookies = _NoCookies()
