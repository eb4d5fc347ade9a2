"""meshapi: the Python SDK for the MeshAPI gateway.

One OpenAI-compatible API in front of 300+ LLMs, plus the gateway's extras: multi-model
compare, prompt templates, batches, RAG and realtime speech.

    from meshapi import MeshAPI, ChatCompletionParams, ChatMessage

    client = MeshAPI(token="rsk_...")
    reply = client.chat.completions.create(
        ChatCompletionParams(
            model="openai/gpt-4o-mini",
            messages=[ChatMessage(role="user", content="Hello!")],
        )
    )
"""

from __future__ import annotations

from typing import Any

from meshapi_core._config import (
    MESH_API_VERSION,
    FallbackConfig,
    MeshAPIConfig,
    RequestOptions,
    Timeout,
    validate_request_id,
)
from meshapi_core._errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    MeshAPIError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    RealtimeError,
    ResponseParseError,
    StreamInterruptedError,
    StructuredOutputError,
    UnprocessableEntityError,
)
from meshapi_core._realtime_message import RealtimeMessage
from meshapi_core._resilience import FallbackEvent, GatewayRoutingEvent, RetryEvent
from meshapi_core._retry import RetryPolicy
from meshapi_core._version import __version__
from meshapi_core.types import *  # noqa: F403
from meshapi_core.types import __all__ as _types_all

from ._async._client import AsyncMeshAPI
from ._async._realtime import AsyncRealtimeResource, AsyncRealtimeSession
from ._async._resources import (
    AsyncBatchesResource,
    AsyncChatCompletionsResource,
    AsyncChatResource,
    AsyncCompareResource,
    AsyncEmbeddingsResource,
    AsyncImagesResource,
    AsyncModelsResource,
    AsyncRagResource,
    AsyncResponsesResource,
    AsyncTemplatesResource,
)
from ._async._streams import (
    AsyncChatCompletionStream,
    AsyncCompareStream,
    AsyncImageStream,
    AsyncResponsesStream,
    AsyncStream,
)
from ._raw import RawResponse
from ._sync._client import MeshAPI
from ._sync._realtime import RealtimeResource, RealtimeSession
from ._sync._resources import (
    BatchesResource,
    ChatCompletionsResource,
    ChatResource,
    CompareResource,
    EmbeddingsResource,
    ImagesResource,
    ModelsResource,
    RagResource,
    ResponsesResource,
    TemplatesResource,
)
from ._sync._streams import (
    ChatCompletionStream,
    CompareStream,
    ImageStream,
    ResponsesStream,
    Stream,
)

_RETIRED = {
    "UploadBatchFileParams": "the batch Files API is retired",
    "FileObject": "the batch Files API is retired",
}


def __getattr__(name: str) -> Any:
    # protocol.md §7.2: the 0.1.3 batch-file names fail loudly with the way forward.
    if name in _RETIRED:
        raise ImportError(
            f"meshapi.{name} is no longer available: {_RETIRED[name]}. Put the requests "
            "inline instead: CreateBatchParams(requests=[BatchRequestItem(...), ...])."
        )
    raise AttributeError(f"module 'meshapi' has no attribute {name!r}")


__all__ = [
    "MESH_API_VERSION",
    "APIConnectionError",
    "APITimeoutError",
    "AsyncBatchesResource",
    "AsyncChatCompletionStream",
    "AsyncChatCompletionsResource",
    "AsyncChatResource",
    "AsyncCompareResource",
    "AsyncCompareStream",
    "AsyncEmbeddingsResource",
    "AsyncImageStream",
    "AsyncImagesResource",
    "AsyncMeshAPI",
    "AsyncModelsResource",
    "AsyncRagResource",
    "AsyncRealtimeResource",
    "AsyncRealtimeSession",
    "AsyncResponsesResource",
    "AsyncResponsesStream",
    "AsyncStream",
    "AsyncTemplatesResource",
    "AuthenticationError",
    "BadRequestError",
    "BatchesResource",
    "ChatCompletionStream",
    "ChatCompletionsResource",
    "ChatResource",
    "CompareResource",
    "CompareStream",
    "ConflictError",
    "EmbeddingsResource",
    "FallbackConfig",
    "FallbackEvent",
    "GatewayRoutingEvent",
    "ImageStream",
    "ImagesResource",
    "InternalServerError",
    "MeshAPI",
    "MeshAPIConfig",
    "MeshAPIError",
    "ModelsResource",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RagResource",
    "RateLimitError",
    "RawResponse",
    "RealtimeError",
    "RealtimeMessage",
    "RealtimeResource",
    "RealtimeSession",
    "RequestOptions",
    "ResponseParseError",
    "ResponsesResource",
    "ResponsesStream",
    "RetryEvent",
    "RetryPolicy",
    "Stream",
    "StreamInterruptedError",
    "StructuredOutputError",
    "TemplatesResource",
    "Timeout",
    "UnprocessableEntityError",
    "__version__",
    "validate_request_id",
    *_types_all,
]
