"""The public names of meshapi_core.types: the names of protocol.md §8.2, no others.

The 0.1.x names are frozen (§8.2): they must stay importable under exactly these names.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import meshapi_core.types as types
from meshapi_core.types import RequestModel, ResponseModel

# §8.2, tier-S groups (without the P names), plus the "other 0.1.x exports" of tier S.
TIER_S_NAMES = {
    # Chat
    "ChatCompletionParams",
    "ChatCompletionResponse",
    "ChatCompletionChunk",
    "ChatMessage",
    "Tool",
    "ToolFunction",
    "ToolCall",
    "ChatCompletionMessage",
    "ChatCompletionChoice",
    "ChatCompletionChunkChoice",
    "ChatCompletionChunkDelta",
    "ToolCallChunk",
    "ToolCallFunction",
    "ToolChoiceObject",
    "UsageInfo",
    "ContentPartText",
    "ContentPartImage",
    "ContentPartAudio",
    "ContentPartVideo",
    "ImageDetail",
    "InputAudio",
    "ImageOptions",
    "AudioOutputOptions",
    # Responses
    "ResponsesParams",
    "ResponsesResponse",
    "ResponsesStreamEvent",
    "ResponsesUsage",
    # Embeddings
    "EmbeddingsParams",
    "EmbeddingsResponse",
    "EmbeddingItem",
    "EmbeddingsUsage",
    "ProviderPreferences",
    "MultimodalEmbeddingInput",
    # Compare
    "CompareParams",
    "CompareStreamEvent",
    "CompareResponse",
    "ModelCompareResult",
    "ModelOverride",
    "TokenUsage",
    # Batches
    "BatchRequestItem",
    "CreateBatchParams",
    "BatchObject",
    "BatchListResponse",
    # RAG
    "InitUploadRequest",
    "InitUploadResponse",
    "UploadFileParams",
    "RagFileStatus",
    "RagFileListResponse",
    "BulkEmbedRequest",
    "BulkEmbedResponse",
    "BulkEmbedResult",
    "SearchRequest",
    "SearchResponse",
    "SearchResult",
    # Models
    "ModelInfo",
    "ModelPricing",
    # Templates
    "CreateTemplateParams",
    "UpdateTemplateParams",
    "TemplateSummary",
    # Images
    "ImageGenerationParams",
    "ImageGenerationResponse",
    "ImageGenerationChunk",
    "ImageItem",
    "ImageUsage",
    # Other 0.1.x exports that belong to tier S
    "ChatRole",
    "ContentPart",
    "ToolChoice",
    "ToolChoiceFunction",
    "VideoUrl",
    "ListModelsParams",
    "ResponsesFunctionTool",
    "BuiltinTool",
    "ImageEmbeddingUrl",
    "VideoEmbeddingUrl",
    "ApiErrorBody",
    "ApiErrorEnvelope",
}

# §8.2, the tier-P names: the "P:" entries of the groups, the "Tier P params and results"
# row, and the tier-P "other 0.1.x exports".
TIER_P_NAMES = {
    # Responses, Models, Images
    "ResponsesListResponse",
    "ResponsesListItem",
    "ModelSearchParams",
    "ModelsPage",
    "ImageEditParams",
    "ImageRef",
    # Tier P params and results
    "SpeechParams",
    "VoiceSettings",
    "PronunciationDictionaryLocator",
    "TranscriptionParams",
    "TranscriptionTranslateParams",
    "AudioTranslationsParams",
    "TranscriptionResponse",
    "ListVoicesParams",
    "Voice",
    "VoicesResponse",
    "VideoGenerationParams",
    "VideoContentItem",
    "CreateVideoGenerationResponse",
    "ListVideoGenerationsParams",
    "VideoTaskResponse",
    "VideoTaskListResponse",
    "ModerationParams",
    "ModerationResponse",
    "ModerationResult",
    "WebSearchParams",
    "WebSearchResponse",
    "WebSearchResultItem",
    "RouterSelectParams",
    "RouterSelectResponse",
    "AutoRouterMeta",
    # Other 0.1.x exports that belong to tier P
    "ModerationImageUrl",
    "ModerationInputItem",
    "VideoTaskContent",
    "VideoTaskError",
    "VideoTaskUsage",
}

# Names this package adds: the two bases, and nested shapes a tier-S model needs a class
# for (`ToolCallFunctionChunk` is the 0.1.x name of a tool-call delta's function).
SUPPORT_NAMES = {
    "RequestModel",
    "ResponseModel",
    "ResultModel",
    "ToolCallFunctionChunk",
    "BatchRequestCounts",
}

# Owned elsewhere (realtime) or retired (tier X, §7.2).
NOT_HERE = {
    "RealtimeMessage",
    "UploadBatchFileParams",
    "FileObject",
}

TYPE_ALIASES = {"ChatRole", "ContentPart", "ToolChoice"}


ALL_NAMES = TIER_S_NAMES | TIER_P_NAMES


def test_all_is_exactly_the_protocol_names_plus_the_support_names() -> None:
    assert set(types.__all__) == ALL_NAMES | SUPPORT_NAMES
    assert len(types.__all__) == len(set(types.__all__))


@pytest.mark.parametrize("name", sorted(ALL_NAMES | SUPPORT_NAMES))
def test_every_name_is_importable(name: str) -> None:
    assert getattr(types, name) is not None


@pytest.mark.parametrize("name", sorted(NOT_HERE))
def test_names_owned_elsewhere_are_not_defined_here(name: str) -> None:
    assert not hasattr(types, name)


@pytest.mark.parametrize("name", sorted(ALL_NAMES - TYPE_ALIASES))
def test_every_model_is_a_request_or_a_response_model(name: str) -> None:
    cls = getattr(types, name)
    assert isinstance(cls, type) and issubclass(cls, BaseModel)
    assert issubclass(cls, RequestModel) != issubclass(cls, ResponseModel)


@pytest.mark.parametrize("name", sorted(ALL_NAMES - TYPE_ALIASES))
def test_every_model_has_a_docstring(name: str) -> None:
    doc = getattr(types, name).__doc__
    assert doc and doc.strip() and not doc.startswith(("Usage docs:", "A base class"))


def test_params_are_request_models() -> None:
    params = [name for name in ALL_NAMES if name.endswith(("Params", "Request"))]
    assert params
    for name in params:
        assert issubclass(getattr(types, name), RequestModel), name
    for name in ("ChatMessage", "Tool", "ToolFunction", "ImageOptions", "AudioOutputOptions"):
        assert issubclass(getattr(types, name), RequestModel), name
    for name in ("ModelOverride", "BatchRequestItem", "ProviderPreferences", "ContentPartText"):
        assert issubclass(getattr(types, name), RequestModel), name
    for name in (
        "VoiceSettings",
        "PronunciationDictionaryLocator",
        "VideoContentItem",
        "ImageRef",
        "ModerationInputItem",
        "ModerationImageUrl",
    ):
        assert issubclass(getattr(types, name), RequestModel), name


def test_results_and_stream_items_are_response_models() -> None:
    suffixes = ("Response", "Chunk", "Event", "Result", "Object", "Status", "Summary", "Info")
    results = [
        name for name in ALL_NAMES if name.endswith(suffixes) and name != "ToolChoiceObject"
    ]
    assert len(results) > 25
    for name in results:
        assert issubclass(getattr(types, name), ResponseModel), name
    for name in ("Voice", "ModelsPage", "ResponsesListItem", "AutoRouterMeta", "VideoTaskError"):
        assert issubclass(getattr(types, name), ResponseModel), name
