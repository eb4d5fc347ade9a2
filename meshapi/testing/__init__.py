"""meshapi.testing: a local MeshAPI gateway on real sockets, with fault injection.

    from meshapi.testing import MeshAPIGateway, Fail, ResetAfterChunks

    with MeshAPIGateway() as gw:
        gw.add_fault(Fail(503, retry_after=1), path="/v1/chat/completions", times=2)
        ...  # point any client at gw.url with gw.token

It implements the gateway protocol, tier S (chat, responses, embeddings, images, compare,
batches, models, templates, RAG, realtime) and tier P (audio, video tasks, moderations, web
search, the router, image edits, model search, stored responses, structured outputs; see
each route's module for its deterministic rules), with a deterministic responder,
serialises through the SDK's own types, records every request, counts idempotent
executions and TCP connections, and runs on a clock tests can advance. Needs the
`testing` extra (aiohttp). `python -m meshapi.testing --port 8000` serves it for humans.
"""

from __future__ import annotations

try:
    import aiohttp as _aiohttp  # noqa: F401  (the one dependency beyond the core)
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "meshapi.testing needs aiohttp; install the extra: pip install 'meshapi[testing]'"
    ) from exc

from ._catalogue import Catalogue, ModelRow, default_catalogue
from ._clock import GatewayClock
from ._faults import (
    Effect,
    ExtraHeaders,
    Fail,
    Fault,
    FaultHandle,
    FaultSet,
    HtmlPage,
    JsonBody,
    KeepAliveComments,
    MidStreamError,
    ModelFault,
    OmitDone,
    RawBytes,
    ResetAfterBytes,
    ResetAfterChunks,
    ResetBeforeResponse,
    RoutingHeaders,
    StallBeforeHeaders,
    StallBetweenChunks,
    TinyPieces,
    TruncatedJson,
    http_date,
)
from ._gateway import MeshAPIGateway
from ._recording import ConnectionStats, RealtimeMessage, RecordedRequest
from ._responder import count_tokens
from ._state import GatewayTimings

__all__ = [
    "Catalogue",
    "ConnectionStats",
    "Effect",
    "ExtraHeaders",
    "Fail",
    "Fault",
    "FaultHandle",
    "FaultSet",
    "GatewayClock",
    "GatewayTimings",
    "HtmlPage",
    "JsonBody",
    "KeepAliveComments",
    "MeshAPIGateway",
    "MidStreamError",
    "ModelFault",
    "ModelRow",
    "OmitDone",
    "RawBytes",
    "RealtimeMessage",
    "RecordedRequest",
    "ResetAfterBytes",
    "ResetAfterChunks",
    "ResetBeforeResponse",
    "RoutingHeaders",
    "StallBeforeHeaders",
    "StallBetweenChunks",
    "TinyPieces",
    "TruncatedJson",
    "count_tokens",
    "default_catalogue",
    "http_date",
]
