"""Chat completions: the request, its nested parts, the response and the stream chunk.

protocol.md §2.3 (request and response) and §3.6 (stream). Request-side models are strict
`RequestModel`s; response-side models are lenient `ResponseModel`s (§1.5).

`ToolCall` and `ToolCallFunction` sit on both sides: the gateway sends them in a reply,
and the caller sends them back inside the assistant `ChatMessage` of the next turn. They
are lenient response models, so a reply with extra keys (for example a provider's
`thought_signature`) still parses, and passing the parsed object back keeps those keys.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BeforeValidator, Field, JsonValue

from ._base import RequestModel, ResponseModel, ResultModel
from ._lean import widening

__all__ = [
    "AudioOutputOptions",
    "ChatCompletionChoice",
    "ChatCompletionChunk",
    "ChatCompletionChunkChoice",
    "ChatCompletionChunkDelta",
    "ChatCompletionMessage",
    "ChatCompletionParams",
    "ChatCompletionResponse",
    "ChatMessage",
    "ChatRole",
    "ContentPart",
    "ContentPartAudio",
    "ContentPartImage",
    "ContentPartText",
    "ContentPartVideo",
    "ImageDetail",
    "ImageOptions",
    "InputAudio",
    "Tool",
    "ToolCall",
    "ToolCallChunk",
    "ToolCallFunction",
    "ToolCallFunctionChunk",
    "ToolChoice",
    "ToolChoiceFunction",
    "ToolChoiceObject",
    "ToolFunction",
    "UsageInfo",
    "VideoUrl",
]


def _null_as(factory: Callable[[], Any]) -> BeforeValidator:
    """Read a JSON `null` as the field's default.

    Response fields marked A (or O with a non-None default) are typed without `None`, so
    user code needs no None checks; some upstream providers still send `null` for them,
    and a lenient model (§1.5) must not turn that into a `parse_error`. Shared by the other
    type modules of this package. Only for field types that refuse `null`: that is what
    makes it `widening`, so the lean validators (`_lean`) may leave it out.
    """

    @widening
    def null_as_default(value: Any) -> Any:
        return factory() if value is None else value

    return BeforeValidator(null_as_default)


@widening  # a number becomes text; `str | None` refuses numbers, everything else passes
def _money_text(value: Any) -> Any:
    # Money is a decimal string (§1.5). A provider's bare JSON number is read as its plain
    # decimal text ("0.0000001", never "1e-07") rather than rejected; the same text
    # whether the number came from JSON bytes or from a Python float.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return value  # left for str validation to reject
        return format(decimal.Decimal(repr(value)), "f")
    return value


_Money: TypeAlias = Annotated[str | None, BeforeValidator(_money_text)]
"""A USD amount as a decimal string, for example `"0.00015"` (§1.5); use `Decimal(...)`."""


# --------------------------------------------------------------------------------------
# Request side (strict)
# --------------------------------------------------------------------------------------

ChatRole: TypeAlias = Literal["system", "user", "assistant", "tool"]
"""The author of a chat message (§2.3)."""


class ImageDetail(RequestModel):
    """The `image_url` object of an image content part: an http(s) or `data:` URL."""

    url: str
    detail: Literal["auto", "low", "high"] | None = None


class ContentPartText(RequestModel):
    """A text content part: `{"type": "text", "text": ...}`."""

    type: Literal["text"] = "text"
    text: str


class ContentPartImage(RequestModel):
    """An image content part: `{"type": "image_url", "image_url": {"url", "detail"?}}`."""

    type: Literal["image_url"] = "image_url"
    image_url: ImageDetail


class InputAudio(RequestModel):
    """The `input_audio` object of an audio content part.

    `data` is base64 audio; `uri` and `url` (tier P) point at audio the gateway fetches.
    """

    data: str | None = None
    uri: str | None = None
    url: str | None = None
    format: Literal["wav", "mp3", "aiff", "aac", "ogg", "flac", "m4a", "pcm16", "pcm24"]


class ContentPartAudio(RequestModel):
    """An audio content part: `{"type": "input_audio", "input_audio": {...}}`."""

    type: Literal["input_audio"] = "input_audio"
    input_audio: InputAudio


class VideoUrl(RequestModel):
    """The `video_url` object of a video content part."""

    url: str


class ContentPartVideo(RequestModel):
    """A video content part (tier P): `{"type": "video_url", "video_url": {"url"}, "fps"?}`."""

    type: Literal["video_url"] = "video_url"
    video_url: VideoUrl
    fps: str | None = None


ContentPart: TypeAlias = Annotated[
    ContentPartText | ContentPartImage | ContentPartAudio | ContentPartVideo,
    Field(discriminator="type"),
]
"""One part of a multimodal message content, chosen by its `type` (§2.3)."""

# In a response a part the SDK does not know (or one that does not fit the strict part
# models) is kept as the plain dict it arrived as (§1.5), never rejected: try the typed
# parts first, then fall back to dict.
_ResponseContentPart: TypeAlias = Annotated[
    ContentPart | dict[str, Any], Field(union_mode="left_to_right")
]


class ToolCallFunction(ResponseModel):
    """The function a tool call invokes: its name and its arguments as a JSON string."""

    name: str
    arguments: str
    """The arguments as a JSON-encoded string, exactly as the model wrote them."""


class ToolCall(ResponseModel):
    """A tool call the model made (§2.3); sent back in the assistant message of the next turn.

    Lenient on purpose (see the module docstring): unknown keys are kept and re-sent.
    """

    id: str
    type: Annotated[str, _null_as(lambda: "function")] = "function"
    function: ToolCallFunction
    thought_signature: str | None = None


class ChatMessage(RequestModel):
    """One message of the conversation sent to the model (§2.3).

    `content` is a string, a list of content parts (plain dicts are accepted, for example
    `{"type": "text", "text": "hi"}`), or `None` (an assistant message that only calls
    tools).
    """

    role: ChatRole
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_call_id: str | None = None
    """On a `tool` message: the id of the call this message answers."""
    tool_calls: list[ToolCall] | None = None
    reasoning_details: list[dict[str, Any]] | None = None


class ToolFunction(RequestModel):
    """A function the model may call: a name, a description and a JSON-Schema of parameters."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None


class Tool(RequestModel):
    """A tool offered to the model: `{"type": "function", "function": ToolFunction}`."""

    type: Literal["function"] = "function"
    function: ToolFunction


class ToolChoiceFunction(RequestModel):
    """Names the function of a forced tool choice."""

    name: str


class ToolChoiceObject(RequestModel):
    """Forces one function: `{"type": "function", "function": {"name": ...}}`."""

    type: Literal["function"] = "function"
    function: ToolChoiceFunction


ToolChoice: TypeAlias = Literal["auto", "none", "required"] | ToolChoiceObject
"""Whether and which tool the model must call (§2.3)."""


class ImageOptions(RequestModel):
    """Image output through chat (`modality: "image"`); every field is always sent (§2.3)."""

    n: int = Field(default=1, ge=1, le=10)
    size: str = "1024x1024"
    quality: str = "high"
    response_format: Literal["url", "b64_json"] = "url"


class AudioOutputOptions(RequestModel):
    """Audio output through chat (`modalities: ["audio"]`); both fields are always sent."""

    voice: str = "alloy"
    format: Literal["wav", "mp3", "flac", "opus", "pcm16"] = "wav"


class ChatCompletionParams(RequestModel):
    """The body of `POST /v1/chat/completions` (§2.3).

    Only `messages` is required. `stream` is set by the method you call (`create` sends
    `false`, `stream` sends `true`), so leave it unset. The sampling knobs (`temperature`,
    `top_p`, the penalties) are not range-checked here: the gateway validates them.
    `template` is the **name** of a stored template and `variables` fill its `{{var}}`
    slots (§6.1).
    """

    messages: list[ChatMessage]
    model: str | None = None
    """A catalogue id such as `openai/gpt-4o-mini`, or `"auto"`; the key's default if unset."""
    stream: bool | None = None
    template: str | None = None
    variables: dict[str, str] | None = None
    session_id: str | None = None
    # §2.3: "No client-side range check; the gateway validates."
    temperature: float | None = None
    top_p: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    max_tokens: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    user: str | None = None
    modality: Literal["text", "image"] | None = None
    image: ImageOptions | None = None
    async_mode: bool | None = None
    modalities: list[Literal["text", "audio"]] | None = None
    audio: AudioOutputOptions | None = None
    # Tier P additions (§2.3).
    models: list[str] | None = None
    """The gateway's server-side fallback list; unrelated to the client's `fallback_models`."""
    response_format: dict[str, Any] | None = None
    timeout: float | None = Field(default=None, gt=0)
    """The gateway's upstream timeout in seconds (not the HTTP client timeout)."""
    cache: bool | None = None
    transforms: list[str] | None = None
    reasoning_effort: Literal["high", "medium", "low", "none"] | None = None


# --------------------------------------------------------------------------------------
# Response side (lenient)
# --------------------------------------------------------------------------------------


class UsageInfo(ResponseModel):
    """Token counts of a chat completion (also the usage chunk of a stream)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: dict[str, Any] | None = None
    completion_tokens_details: dict[str, Any] | None = None
    classifier_prompt_tokens: int | None = None
    classifier_completion_tokens: int | None = None
    classifier_tokens: int | None = None
    """Tokens spent by the auto-router's classifier (`model: "auto"`)."""


class ChatCompletionMessage(ResponseModel):
    """The message of a choice. Unknown content-part types are kept as plain dicts."""

    role: str
    content: str | list[_ResponseContentPart] | None = None
    tool_calls: list[ToolCall] | None = None
    audio: dict[str, Any] | None = None
    reasoning_details: list[dict[str, Any]] | None = None


class ChatCompletionChoice(ResponseModel):
    """One choice of a chat completion; `finish_reason` is stop/length/tool_calls/...."""

    index: int
    message: ChatCompletionMessage | None = None
    finish_reason: str | None = None
    logprobs: JsonValue = None


class ChatCompletionResponse(ResultModel):
    """The result of `chat.completions.create` (`object: "chat.completion"`, §2.3).

    `model` is the model that actually served the request. A response folded from a stream
    (`get_final_completion()`) also carries the stream's `cost` as an extra field.
    """

    id: str
    object: str
    created: int
    model: str
    choices: list[ChatCompletionChoice]
    usage: UsageInfo | None = None
    system_fingerprint: str | None = None


class ToolCallFunctionChunk(ResponseModel):
    """A fragment of a streamed tool call's function: `arguments` is a piece of JSON text."""

    name: str | None = None
    arguments: str | None = None


class ToolCallChunk(ResponseModel):
    """A tool-call delta of a stream chunk (§3.6).

    `index` is None when the provider left it out: the accumulator then matches the
    fragment by `id`, or continues the call in flight, so "absent" must stay visible
    rather than read as 0.
    """

    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: ToolCallFunctionChunk | None = None


class ChatCompletionChunkDelta(ResponseModel):
    """What one chunk adds to a choice: role, a text fragment, tool-call fragments, audio."""

    role: str | None = None
    content: str | None = None
    tool_calls: list[ToolCallChunk] | None = None
    audio: dict[str, Any] | None = None


class ChatCompletionChunkChoice(ResponseModel):
    """One choice of a stream chunk."""

    # R in §3.6, but defaulted: providers that stream a single choice sometimes leave it
    # out, and 0 is the only choice there is then.
    index: Annotated[int, _null_as(int)] = 0
    delta: ChatCompletionChunkDelta | None = None
    finish_reason: str | None = None


class ChatCompletionChunk(ResultModel):
    """One item of `chat.completions.stream` (§3.6).

    The last chunk the gateway sends is the usage chunk: `choices == []`, with `usage` and
    `cost` (a decimal USD string such as `"0.0000189"`).
    """

    # §3.6 marks id/object/created/model R, but they carry nothing the stream needs and
    # some providers' relayed chunks omit them, so the most lenient reading that still
    # types them is used: absent (or null) reads as ""/"chat.completion.chunk"/0/"".
    # `choices` stays required (it may be []): a frame without it is not a chat chunk,
    # and a parse_error says so instead of yielding an empty item.
    id: Annotated[str, _null_as(str)] = ""
    object: Annotated[str, _null_as(lambda: "chat.completion.chunk")] = "chat.completion.chunk"
    created: Annotated[int, _null_as(int)] = 0
    model: Annotated[str, _null_as(str)] = ""
    choices: list[ChatCompletionChunkChoice]
    usage: UsageInfo | None = None
    cost: _Money = None
    """The stream's cost in USD as a decimal string, on the usage chunk."""
