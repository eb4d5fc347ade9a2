"""Every endpoint, tier S and tier P, described once, as data (design.md: "Operations").

An `Operation` says how to call an endpoint: method, path template, where each input
goes (path slots, a query model, a body model sent as JSON or as multipart form fields),
what comes back (a result model, a bare list of them, raw bytes, untyped JSON, nothing, or
one of the four event streams), and whether resending it is safe. The sync and async
clients read this table; adding an endpoint is adding an entry, not writing two methods.
`tests/core/test_operations.py` checks that every `{name}` of every path is routed and
that no field is left unrouted.
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Mapping

from ._kinds import BodyEncoding, BodyKind, StreamKind
from ._queries import CursorPageQuery, EmptyBody, OffsetPageQuery
from ._request import encode_path_id
from .types import (
    AudioTranslationsParams,
    BatchListResponse,
    BatchObject,
    BulkEmbedRequest,
    BulkEmbedResponse,
    ChatCompletionChunk,
    ChatCompletionParams,
    ChatCompletionResponse,
    CompareParams,
    CompareResponse,
    CompareStreamEvent,
    CreateBatchParams,
    CreateTemplateParams,
    CreateVideoGenerationResponse,
    EmbeddingsParams,
    EmbeddingsResponse,
    ImageEditParams,
    ImageGenerationChunk,
    ImageGenerationParams,
    ImageGenerationResponse,
    InitUploadRequest,
    InitUploadResponse,
    ListModelsParams,
    ListVideoGenerationsParams,
    ListVoicesParams,
    ModelInfo,
    ModelSearchParams,
    ModelsPage,
    ModerationParams,
    ModerationResponse,
    RagFileListResponse,
    RagFileStatus,
    ResponsesListResponse,
    ResponsesParams,
    ResponsesResponse,
    ResponsesStreamEvent,
    RouterSelectParams,
    RouterSelectResponse,
    SearchRequest,
    SearchResponse,
    SpeechParams,
    TemplateSummary,
    TranscriptionParams,
    TranscriptionResponse,
    TranscriptionTranslateParams,
    UpdateTemplateParams,
    VideoGenerationParams,
    VideoTaskListResponse,
    VideoTaskResponse,
    Voice,
    VoicesResponse,
    WebSearchParams,
    WebSearchResponse,
)
from .types._base import RequestModel, ResultModel

__all__ = ["OPERATIONS", "Operation", "operation"]

_SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Methods whose resending cannot do a thing twice. PATCH here is a partial replace of the
# named fields with the same values, so a resend lands on the same state.
_IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """One endpoint.

    Attributes:
        name: the Python method path, e.g. `chat.completions.create`.
        method: the HTTP method.
        path: the path template, `{name}` slots filled from path ids.
        body_model: the body's params model, if the endpoint takes a body.
        body_encoding: how the body goes out: JSON, or multipart form fields beside a
            `file` part (the audio uploads, §1.6).
        query_model: the query-string model, if the endpoint takes a query.
        result_model: the model of the result (of each item for JSON_LIST, of each
            event for streams).
        body_kind: what a non-streaming success body holds.
        stream: the event-stream kind, for streaming calls.
        stream_flag: the value forced into the body's `stream` field, if any.
        reject_stream_true: a params object with `stream=True` is a ValueError on this
            non-streaming method (§2.1: compare, responses and images create/generate).
        keep_slash: path ids keep `/` unencoded (models.get, §1.6).
    """

    name: str
    method: str
    path: str
    body_model: type[RequestModel] | None = None
    body_encoding: BodyEncoding = BodyEncoding.JSON
    query_model: type[RequestModel] | None = None
    result_model: type[ResultModel] | None = None
    body_kind: BodyKind = BodyKind.JSON
    stream: StreamKind | None = None
    stream_flag: bool | None = None
    reject_stream_true: bool = False
    keep_slash: bool = False
    path_params: tuple[str, ...] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        if not self.path.startswith("/v1/"):
            raise ValueError(f"{self.name}: paths start with /v1/, got {self.path!r}")
        if self.body_encoding is BodyEncoding.MULTIPART and (
            self.method != "POST" or self.body_model is None or self.stream is not None
        ):
            raise ValueError(f"{self.name}: a multipart upload is a non-streaming POST")
        object.__setattr__(self, "path_params", tuple(_SLOT.findall(self.path)))

    @property
    def idempotent(self) -> bool:
        """Whether resending cannot execute it twice (POSTs rely on Idempotency-Key)."""
        return self.method in _IDEMPOTENT_METHODS

    @property
    def accept(self) -> str:
        """The Accept header (§1.3)."""
        if self.stream is not None:
            return "text/event-stream"
        if self.body_kind is BodyKind.BYTES:
            return "*/*"
        return "application/json"

    def render_path(self, values: Mapping[str, str]) -> str:
        """The path with every slot filled and percent-encoded.

        Raises:
            ValueError: a slot without a value, an empty id, or a value for no slot.
        """
        if not self.path_params:
            if values:
                raise ValueError(f"{self.name} takes no path ids, got {sorted(values)}")
            return self.path
        unknown = set(values) - set(self.path_params)
        if unknown:
            raise ValueError(f"{self.name} has no path id named {sorted(unknown)}")
        filled: dict[str, str] = {}
        for name in self.path_params:
            if name not in values:
                raise ValueError(f"{self.name} needs {name}")
            filled[name] = encode_path_id(values[name], name=name, keep_slash=self.keep_slash)
        return string.Template(_SLOT.sub(r"${\1}", self.path)).substitute(filled)


def _ops(*operations: Operation) -> dict[str, Operation]:
    table: dict[str, Operation] = {}
    for op in operations:
        if op.name in table:
            raise ValueError(f"duplicate operation {op.name}")
        table[op.name] = op
    return table


OPERATIONS: Mapping[str, Operation] = _ops(
    # Chat (§2.3). create() silently forces stream:false, as 0.1.x did.
    Operation(
        name="chat.completions.create",
        method="POST",
        path="/v1/chat/completions",
        body_model=ChatCompletionParams,
        result_model=ChatCompletionResponse,
        stream_flag=False,
    ),
    # Structured outputs (§7.1): the same endpoint, with `response_format` set by parse().
    Operation(
        name="chat.completions.parse",
        method="POST",
        path="/v1/chat/completions",
        body_model=ChatCompletionParams,
        result_model=ChatCompletionResponse,
        stream_flag=False,
    ),
    Operation(
        name="chat.completions.stream",
        method="POST",
        path="/v1/chat/completions",
        body_model=ChatCompletionParams,
        result_model=ChatCompletionChunk,
        stream=StreamKind.CHAT,
        stream_flag=True,
    ),
    # Responses (§2.4).
    Operation(
        name="responses.create",
        method="POST",
        path="/v1/responses",
        body_model=ResponsesParams,
        result_model=ResponsesResponse,
        stream_flag=False,
        reject_stream_true=True,
    ),
    Operation(
        name="responses.stream",
        method="POST",
        path="/v1/responses",
        body_model=ResponsesParams,
        result_model=ResponsesStreamEvent,
        stream=StreamKind.RESPONSES,
        stream_flag=True,
    ),
    # Stored (background) responses (§7.1): cursor pagination.
    Operation(
        name="responses.list",
        method="GET",
        path="/v1/responses",
        query_model=CursorPageQuery,
        result_model=ResponsesListResponse,
    ),
    Operation(
        name="responses.get",
        method="GET",
        path="/v1/responses/{response_id}",
        result_model=ResponsesResponse,
    ),
    # Embeddings (§2.5).
    Operation(
        name="embeddings.create",
        method="POST",
        path="/v1/embeddings",
        body_model=EmbeddingsParams,
        result_model=EmbeddingsResponse,
    ),
    # Images (§2.6).
    Operation(
        name="images.generate",
        method="POST",
        path="/v1/images/generations",
        body_model=ImageGenerationParams,
        result_model=ImageGenerationResponse,
        stream_flag=False,
        reject_stream_true=True,
    ),
    Operation(
        name="images.stream",
        method="POST",
        path="/v1/images/generations",
        body_model=ImageGenerationParams,
        result_model=ImageGenerationChunk,
        stream=StreamKind.IMAGE,
        stream_flag=True,
    ),
    Operation(
        name="images.edit",
        method="POST",
        path="/v1/images/edits",
        body_model=ImageEditParams,
        result_model=ImageGenerationResponse,
    ),
    # Compare (§2.7).
    Operation(
        name="compare.create",
        method="POST",
        path="/v1/chat/compare",
        body_model=CompareParams,
        result_model=CompareResponse,
        stream_flag=False,
        reject_stream_true=True,
    ),
    Operation(
        name="compare.stream",
        method="POST",
        path="/v1/chat/compare",
        body_model=CompareParams,
        result_model=CompareStreamEvent,
        stream=StreamKind.COMPARE,
        stream_flag=True,
    ),
    # Batches (§2.8, §6.3).
    Operation(
        name="batches.create",
        method="POST",
        path="/v1/batches",
        body_model=CreateBatchParams,
        result_model=BatchObject,
    ),
    Operation(
        name="batches.list",
        method="GET",
        path="/v1/batches",
        query_model=CursorPageQuery,
        result_model=BatchListResponse,
    ),
    Operation(
        name="batches.get",
        method="GET",
        path="/v1/batches/{batch_id}",
        result_model=BatchObject,
    ),
    Operation(
        name="batches.cancel",
        method="POST",
        path="/v1/batches/{batch_id}/cancel",
        body_model=EmptyBody,
        result_model=BatchObject,
    ),
    # Models (§2.9, §6.5): bare arrays.
    Operation(
        name="models.list",
        method="GET",
        path="/v1/models",
        query_model=ListModelsParams,
        result_model=ModelInfo,
        body_kind=BodyKind.JSON_LIST,
    ),
    Operation(
        name="models.free",
        method="GET",
        path="/v1/models/free",
        result_model=ModelInfo,
        body_kind=BodyKind.JSON_LIST,
    ),
    Operation(
        name="models.paid",
        method="GET",
        path="/v1/models/paid",
        result_model=ModelInfo,
        body_kind=BodyKind.JSON_LIST,
    ),
    # Tier P (§7.1): search reads the catalogue with offset pagination; get takes the id
    # as a path, so its `/` stays unencoded (§1.6).
    Operation(
        name="models.search",
        method="GET",
        path="/v1/models/search",
        query_model=ModelSearchParams,
        result_model=ModelsPage,
    ),
    Operation(
        name="models.get",
        method="GET",
        path="/v1/models/{model_id}",
        result_model=ModelInfo,
        keep_slash=True,
    ),
    # Templates (§2.10, §6.1).
    Operation(
        name="templates.create",
        method="POST",
        path="/v1/templates",
        body_model=CreateTemplateParams,
        result_model=TemplateSummary,
    ),
    Operation(
        name="templates.list",
        method="GET",
        path="/v1/templates",
        result_model=TemplateSummary,
        body_kind=BodyKind.JSON_LIST,
    ),
    Operation(
        name="templates.get",
        method="GET",
        path="/v1/templates/{template_id}",
        result_model=TemplateSummary,
    ),
    Operation(
        name="templates.update",
        method="PATCH",
        path="/v1/templates/{template_id}",
        body_model=UpdateTemplateParams,
        result_model=TemplateSummary,
    ),
    Operation(
        name="templates.delete",
        method="DELETE",
        path="/v1/templates/{template_id}",
        body_kind=BodyKind.EMPTY,
    ),
    # RAG (§2.11, §6.4). The signed-URL PUT is not an operation: its URL comes from the
    # gateway (see build_upload_request).
    Operation(
        name="rag.init_upload",
        method="POST",
        path="/v1/files",
        body_model=InitUploadRequest,
        result_model=InitUploadResponse,
    ),
    Operation(
        name="rag.list",
        method="GET",
        path="/v1/files",
        query_model=OffsetPageQuery,
        result_model=RagFileListResponse,
    ),
    Operation(
        name="rag.get",
        method="GET",
        path="/v1/files/{file_id}",
        result_model=RagFileStatus,
    ),
    Operation(
        name="rag.embed",
        method="POST",
        path="/v1/files/embed",
        body_model=BulkEmbedRequest,
        result_model=BulkEmbedResponse,
    ),
    Operation(
        name="rag.search",
        method="POST",
        path="/v1/files/search",
        body_model=SearchRequest,
        result_model=SearchResponse,
    ),
    # Audio (§7.1). Speech answers raw audio (Accept: */*); its `stream` asks the provider
    # for chunked audio and changes nothing here, so the caller sets it. The uploads are
    # multipart: the params are form fields beside the `file` part.
    Operation(
        name="audio.synthesize",
        method="POST",
        path="/v1/audio/speech",
        body_model=SpeechParams,
        body_kind=BodyKind.BYTES,
    ),
    Operation(
        name="audio.transcribe",
        method="POST",
        path="/v1/audio/transcriptions",
        body_model=TranscriptionParams,
        body_encoding=BodyEncoding.MULTIPART,
        result_model=TranscriptionResponse,
    ),
    Operation(
        name="audio.get_transcription",
        method="GET",
        path="/v1/audio/transcriptions/{transcription_id}",
        body_kind=BodyKind.JSON_ANY,
    ),
    Operation(
        name="audio.translate",
        method="POST",
        path="/v1/audio/transcriptions/translate",
        body_model=TranscriptionTranslateParams,
        body_encoding=BodyEncoding.MULTIPART,
        result_model=TranscriptionResponse,
    ),
    Operation(
        name="audio.audio_translate",
        method="POST",
        path="/v1/audio/translations",
        body_model=AudioTranslationsParams,
        body_encoding=BodyEncoding.MULTIPART,
        result_model=TranscriptionResponse,
    ),
    Operation(
        name="audio.list_voices",
        method="GET",
        path="/v1/audio/voices",
        query_model=ListVoicesParams,
        result_model=VoicesResponse,
    ),
    Operation(
        name="audio.get_voice",
        method="GET",
        path="/v1/audio/voices/{voice_id}",
        result_model=Voice,
    ),
    # Video generation (§7.1): submit, then poll the task; offset pagination.
    Operation(
        name="videos.generate",
        method="POST",
        path="/v1/video/generations",
        body_model=VideoGenerationParams,
        result_model=CreateVideoGenerationResponse,
    ),
    Operation(
        name="videos.list",
        method="GET",
        path="/v1/video/generations",
        query_model=ListVideoGenerationsParams,
        result_model=VideoTaskListResponse,
    ),
    Operation(
        name="videos.retrieve",
        method="GET",
        path="/v1/video/generations/{task_id}",
        result_model=VideoTaskResponse,
    ),
    # Moderations, web search, router (§7.1).
    Operation(
        name="moderations.create",
        method="POST",
        path="/v1/moderations",
        body_model=ModerationParams,
        result_model=ModerationResponse,
    ),
    Operation(
        name="web.search",
        method="POST",
        path="/v1/web/search",
        body_model=WebSearchParams,
        result_model=WebSearchResponse,
    ),
    Operation(
        name="router.select",
        method="POST",
        path="/v1/router/select",
        body_model=RouterSelectParams,
        result_model=RouterSelectResponse,
    ),
)


def operation(name: str) -> Operation:
    """The operation called `name` (e.g. `chat.completions.create`)."""
    try:
        return OPERATIONS[name]
    except KeyError:
        raise KeyError(f"no operation named {name!r}") from None
