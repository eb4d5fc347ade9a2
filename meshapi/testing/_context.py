"""The per-request context handlers receive: the request, its record, id, caller, faults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from aiohttp import web

from ._auth import Principal
from ._errors import GatewayError
from ._json import dumps
from ._recording import RecordedRequest
from ._shaping import Shaping
from ._validation import parse_json_object

if TYPE_CHECKING:
    from ._state import GatewayState

__all__ = ["CONTEXT_KEY", "RequestContext", "context_of"]


@dataclass
class RequestContext:
    """Everything a handler needs about the request it is answering."""

    request: web.Request
    state: GatewayState
    record: RecordedRequest
    request_id: str
    shaping: Shaping = field(default_factory=Shaping)
    principal: Principal | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    api_version: str | None = None
    _json: dict[str, Any] | None = None

    @property
    def owner(self) -> str:
        """The authenticated caller's owner id (routes without auth never ask)."""
        if self.principal is None:
            raise GatewayError(401, "unauthorized", "Missing API key.")
        return self.principal.owner

    def json_body(self) -> dict[str, Any]:
        """The body as a JSON object (422 otherwise); parsed once."""
        if self._json is None:
            self._json = parse_json_object(self.record.body)
        return self._json

    def json(
        self, data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        """A compact JSON response."""
        return web.Response(
            status=status,
            text=dumps(data),
            content_type="application/json",
            headers=dict(headers or {}),
        )


# aiohttp >= 3.12 wants typed request keys (and warns about strings); older ones only have
# strings. The `testing` extra allows aiohttp 3.9, so pick whichever this aiohttp offers.
_REQUEST_KEY: Any = getattr(web, "RequestKey", None)
CONTEXT_KEY: Any = (
    _REQUEST_KEY("context", RequestContext)
    if _REQUEST_KEY is not None
    else "meshapi.testing.context"
)


def context_of(request: web.BaseRequest) -> RequestContext:
    """The context the middleware attached to `request`."""
    return cast(RequestContext, request[CONTEXT_KEY])
