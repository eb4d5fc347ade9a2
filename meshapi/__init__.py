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

import importlib
from typing import TYPE_CHECKING, Any

from meshapi_core._version import __version__

# `import meshapi` imports almost nothing: every public name is imported on first use,
# by the module `__getattr__` below (PEP 562), so a program pays only for what it uses
# (the httpx client, the aiohttp one, realtime, the models). Type checkers and IDEs see
# the imports below. A new public name goes in three places: its import here, its
# module in `_EXPORTS` (types from meshapi_core.types need no entry), and `__all__`.
if TYPE_CHECKING:
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
    from ._async._resources_p import (
        AsyncAudioResource,
        AsyncModerationsResource,
        AsyncRouterResource,
        AsyncVideosResource,
        AsyncWebResource,
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
    from ._sync._resources_p import (
        AudioResource,
        ModerationsResource,
        RouterResource,
        VideosResource,
        WebResource,
    )
    from ._sync._streams import (
        ChatCompletionStream,
        CompareStream,
        ImageStream,
        ResponsesStream,
        Stream,
    )

    __all__ = [
        "MESH_API_VERSION",
        "APIConnectionError",
        "APITimeoutError",
        "AsyncAudioResource",
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
        "AsyncModerationsResource",
        "AsyncRagResource",
        "AsyncRealtimeResource",
        "AsyncRealtimeSession",
        "AsyncResponsesResource",
        "AsyncResponsesStream",
        "AsyncRouterResource",
        "AsyncStream",
        "AsyncTemplatesResource",
        "AsyncVideosResource",
        "AsyncWebResource",
        "AudioResource",
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
        "ModerationsResource",
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
        "RouterResource",
        "Stream",
        "StreamInterruptedError",
        "StructuredOutputError",
        "TemplatesResource",
        "Timeout",
        "UnprocessableEntityError",
        "VideosResource",
        "WebResource",
        "__version__",
        "validate_request_id",
        *_types_all,
    ]

_EXPORTS: dict[str, str] = {
    "FallbackConfig": "meshapi_core._config",
    "MESH_API_VERSION": "meshapi_core._config",
    "MeshAPIConfig": "meshapi_core._config",
    "RequestOptions": "meshapi_core._config",
    "Timeout": "meshapi_core._config",
    "validate_request_id": "meshapi_core._config",
    "APIConnectionError": "meshapi_core._errors",
    "APITimeoutError": "meshapi_core._errors",
    "AuthenticationError": "meshapi_core._errors",
    "BadRequestError": "meshapi_core._errors",
    "ConflictError": "meshapi_core._errors",
    "InternalServerError": "meshapi_core._errors",
    "MeshAPIError": "meshapi_core._errors",
    "NotFoundError": "meshapi_core._errors",
    "PaymentRequiredError": "meshapi_core._errors",
    "PermissionDeniedError": "meshapi_core._errors",
    "RateLimitError": "meshapi_core._errors",
    "RealtimeError": "meshapi_core._errors",
    "ResponseParseError": "meshapi_core._errors",
    "StreamInterruptedError": "meshapi_core._errors",
    "StructuredOutputError": "meshapi_core._errors",
    "UnprocessableEntityError": "meshapi_core._errors",
    "RealtimeMessage": "meshapi_core._realtime_message",
    "FallbackEvent": "meshapi_core._resilience",
    "GatewayRoutingEvent": "meshapi_core._resilience",
    "RetryEvent": "meshapi_core._resilience",
    "RetryPolicy": "meshapi_core._retry",
    "AsyncMeshAPI": "meshapi._async._client",
    "AsyncRealtimeResource": "meshapi._async._realtime",
    "AsyncRealtimeSession": "meshapi._async._realtime",
    "AsyncBatchesResource": "meshapi._async._resources",
    "AsyncChatCompletionsResource": "meshapi._async._resources",
    "AsyncChatResource": "meshapi._async._resources",
    "AsyncCompareResource": "meshapi._async._resources",
    "AsyncEmbeddingsResource": "meshapi._async._resources",
    "AsyncImagesResource": "meshapi._async._resources",
    "AsyncModelsResource": "meshapi._async._resources",
    "AsyncRagResource": "meshapi._async._resources",
    "AsyncResponsesResource": "meshapi._async._resources",
    "AsyncTemplatesResource": "meshapi._async._resources",
    "AsyncAudioResource": "meshapi._async._resources_p",
    "AsyncModerationsResource": "meshapi._async._resources_p",
    "AsyncRouterResource": "meshapi._async._resources_p",
    "AsyncVideosResource": "meshapi._async._resources_p",
    "AsyncWebResource": "meshapi._async._resources_p",
    "AsyncChatCompletionStream": "meshapi._async._streams",
    "AsyncCompareStream": "meshapi._async._streams",
    "AsyncImageStream": "meshapi._async._streams",
    "AsyncResponsesStream": "meshapi._async._streams",
    "AsyncStream": "meshapi._async._streams",
    "RawResponse": "meshapi._raw",
    "MeshAPI": "meshapi._sync._client",
    "RealtimeResource": "meshapi._sync._realtime",
    "RealtimeSession": "meshapi._sync._realtime",
    "BatchesResource": "meshapi._sync._resources",
    "ChatCompletionsResource": "meshapi._sync._resources",
    "ChatResource": "meshapi._sync._resources",
    "CompareResource": "meshapi._sync._resources",
    "EmbeddingsResource": "meshapi._sync._resources",
    "ImagesResource": "meshapi._sync._resources",
    "ModelsResource": "meshapi._sync._resources",
    "RagResource": "meshapi._sync._resources",
    "ResponsesResource": "meshapi._sync._resources",
    "TemplatesResource": "meshapi._sync._resources",
    "AudioResource": "meshapi._sync._resources_p",
    "ModerationsResource": "meshapi._sync._resources_p",
    "RouterResource": "meshapi._sync._resources_p",
    "VideosResource": "meshapi._sync._resources_p",
    "WebResource": "meshapi._sync._resources_p",
    "ChatCompletionStream": "meshapi._sync._streams",
    "CompareStream": "meshapi._sync._streams",
    "ImageStream": "meshapi._sync._streams",
    "ResponsesStream": "meshapi._sync._streams",
    "Stream": "meshapi._sync._streams",
}

_RETIRED = {
    "UploadBatchFileParams": "the batch Files API is retired",
    "FileObject": "the batch Files API is retired",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    elif name == "__all__":
        value = sorted([*_EXPORTS, "__version__", *_types().__all__])
    elif name in _RETIRED:
        # protocol.md §7.2: the 0.1.3 batch-file names fail loudly with the way forward.
        raise ImportError(
            f"meshapi.{name} is no longer available: {_RETIRED[name]}. Put the requests "
            "inline instead: CreateBatchParams(requests=[BatchRequestItem(...), ...])."
        )
    elif not name.startswith("__") and name in _types().__all__:
        value = getattr(_types(), name)
    else:
        raise AttributeError(f"module 'meshapi' has no attribute {name!r}")
    globals()[name] = value  # resolved once; later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__getattr__("__all__")})


def _types() -> Any:
    return importlib.import_module("meshapi_core.types")
