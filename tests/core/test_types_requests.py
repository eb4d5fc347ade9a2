"""Request models: strict, closed, and serialised as protocol.md §1.5 says.

An unknown field, a wrong type or a broken constraint is a `pydantic.ValidationError` that
names the field; `to_body()` leaves out None and always carries the fields marked *sent*.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from meshapi_core.types import (
    AudioOutputOptions,
    BatchRequestItem,
    BuiltinTool,
    BulkEmbedRequest,
    ChatCompletionParams,
    ChatCompletionResponse,
    ChatMessage,
    ChatRole,
    CompareParams,
    ContentPart,
    ContentPartAudio,
    ContentPartImage,
    ContentPartText,
    ContentPartVideo,
    CreateBatchParams,
    CreateTemplateParams,
    EmbeddingsParams,
    ImageDetail,
    ImageEmbeddingUrl,
    ImageGenerationParams,
    ImageOptions,
    InitUploadRequest,
    InputAudio,
    ListModelsParams,
    ModelOverride,
    MultimodalEmbeddingInput,
    ProviderPreferences,
    RequestModel,
    ResponsesFunctionTool,
    ResponsesParams,
    SearchRequest,
    Tool,
    ToolCall,
    ToolChoice,
    ToolChoiceFunction,
    ToolChoiceObject,
    ToolFunction,
    UpdateTemplateParams,
    UploadFileParams,
    VideoEmbeddingUrl,
    VideoUrl,
)

USER_HI: dict[str, Any] = {"role": "user", "content": "hi"}

# One valid instance's kwargs per request model: the base of the rejection tests.
MINIMAL: list[tuple[type[RequestModel], dict[str, Any]]] = [
    (ChatCompletionParams, {"messages": [USER_HI]}),
    (ChatMessage, {"role": "user"}),
    (ContentPartText, {"text": "hi"}),
    (ContentPartImage, {"image_url": {"url": "https://x/y.png"}}),
    (ContentPartAudio, {"input_audio": {"data": "AAAA", "format": "wav"}}),
    (ContentPartVideo, {"video_url": {"url": "https://x/v.mp4"}}),
    (ImageDetail, {"url": "https://x/y.png"}),
    (InputAudio, {"format": "mp3"}),
    (VideoUrl, {"url": "https://x/v.mp4"}),
    (Tool, {"function": {"name": "f"}}),
    (ToolFunction, {"name": "f"}),
    (ToolChoiceObject, {"function": {"name": "f"}}),
    (ToolChoiceFunction, {"name": "f"}),
    (ImageOptions, {}),
    (AudioOutputOptions, {}),
    (ResponsesParams, {"input": "hi"}),
    (ResponsesFunctionTool, {"name": "f"}),
    (EmbeddingsParams, {"input": "hi"}),
    (ProviderPreferences, {}),
    (MultimodalEmbeddingInput, {"type": "text", "text": "hi"}),
    (ImageEmbeddingUrl, {"url": "https://x/y.png"}),
    (VideoEmbeddingUrl, {"url": "https://x/v.mp4"}),
    (ImageGenerationParams, {"prompt": "a cat"}),
    (CompareParams, {"models": ["a/b"], "messages": [USER_HI]}),
    (ModelOverride, {"model": "a/b"}),
    (BatchRequestItem, {"custom_id": "r1", "body": {}}),
    (CreateBatchParams, {"requests": [{"custom_id": "r1", "body": {}}]}),
    (ListModelsParams, {}),
    (CreateTemplateParams, {"name": "t"}),
    (UpdateTemplateParams, {}),
    (InitUploadRequest, {"file_name": "a.pdf", "mime_type": "application/pdf"}),
    (UploadFileParams, {"file_name": "a.pdf", "mime_type": "application/pdf", "content": b"%"}),
    (BulkEmbedRequest, {"file_ids": ["file_1"]}),
    (SearchRequest, {"query": "onboarding"}),
]


def _error_locs(exc: ValidationError) -> list[tuple[int | str, ...]]:
    return [tuple(error["loc"]) for error in exc.errors()]


def _assert_names(exc: ValidationError, *path: int | str) -> None:
    """Some error of `exc` is located at `path` (or below it), and its text names the field."""
    locs = _error_locs(exc)
    assert any(loc[: len(path)] == path for loc in locs), locs
    assert str(path[-1]) in str(exc)


@pytest.mark.parametrize(("model", "kwargs"), MINIMAL, ids=lambda v: getattr(v, "__name__", ""))
def test_minimal_instance_builds(model: type[RequestModel], kwargs: dict[str, Any]) -> None:
    model(**kwargs).to_body()


@pytest.mark.parametrize(("model", "kwargs"), MINIMAL, ids=lambda v: getattr(v, "__name__", ""))
def test_unknown_field_is_rejected_and_named(
    model: type[RequestModel], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as info:
        model(**kwargs, no_such_field=1)
    assert info.value.errors()[0]["type"] == "extra_forbidden"
    _assert_names(info.value, "no_such_field")


@pytest.mark.parametrize(("model", "kwargs"), MINIMAL, ids=lambda v: getattr(v, "__name__", ""))
def test_unknown_field_is_rejected_by_model_validate(
    model: type[RequestModel], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as info:
        model.model_validate({**kwargs, "tempreature": 0.5})
    _assert_names(info.value, "tempreature")


WRONG_TYPES: list[tuple[type[RequestModel], dict[str, Any], tuple[int | str, ...]]] = [
    (ChatCompletionParams, {"messages": "hi"}, ("messages",)),
    (ChatCompletionParams, {"messages": [USER_HI], "max_tokens": "5"}, ("max_tokens",)),
    (ChatCompletionParams, {"messages": [USER_HI], "max_tokens": True}, ("max_tokens",)),
    (ChatCompletionParams, {"messages": [USER_HI], "max_tokens": 5.0}, ("max_tokens",)),
    (ChatCompletionParams, {"messages": [USER_HI], "seed": False}, ("seed",)),
    (ChatCompletionParams, {"messages": [USER_HI], "temperature": "0.5"}, ("temperature",)),
    (ChatCompletionParams, {"messages": [USER_HI], "temperature": True}, ("temperature",)),
    (ChatCompletionParams, {"messages": [USER_HI], "stream": "yes"}, ("stream",)),
    (ChatCompletionParams, {"messages": [USER_HI], "stream": 1}, ("stream",)),
    (ChatCompletionParams, {"messages": [USER_HI], "stop": 5}, ("stop",)),
    (ChatCompletionParams, {"messages": [USER_HI], "stop": ["a", 1]}, ("stop",)),
    (ChatCompletionParams, {"messages": [USER_HI], "variables": {"a": 1}}, ("variables",)),
    (ChatCompletionParams, {"messages": [USER_HI], "model": 7}, ("model",)),
    (ChatCompletionParams, {"messages": [{"role": "bot"}]}, ("messages", 0, "role")),
    (ChatCompletionParams, {"messages": [{"content": "hi"}]}, ("messages", 0, "role")),
    (ChatCompletionParams, {"messages": [USER_HI], "tool_choice": "any"}, ("tool_choice",)),
    (ChatCompletionParams, {"messages": [USER_HI], "modality": "video"}, ("modality",)),
    (ChatCompletionParams, {"messages": [USER_HI], "modalities": ["video"]}, ("modalities",)),
    (
        ChatCompletionParams,
        {"messages": [USER_HI], "reasoning_effort": "max"},
        ("reasoning_effort",),
    ),
    (ChatCompletionParams, {"messages": [USER_HI], "image": {"n": True}}, ("image", "n")),
    (
        ChatCompletionParams,
        {"messages": [USER_HI], "audio": {"format": "aac"}},
        ("audio", "format"),
    ),
    (ChatCompletionParams, {"messages": [USER_HI], "tools": [{"function": {}}]}, ("tools", 0)),
    (ImageOptions, {"response_format": "png"}, ("response_format",)),
    (ImageDetail, {"url": "u", "detail": "max"}, ("detail",)),
    (InputAudio, {"format": "wma"}, ("format",)),
    (ResponsesParams, {"input": 5}, ("input",)),
    (ResponsesParams, {"input": "hi", "stream": None}, ("stream",)),
    (ResponsesParams, {"input": "hi", "max_output_tokens": True}, ("max_output_tokens",)),
    (EmbeddingsParams, {"input": 3}, ("input",)),
    (EmbeddingsParams, {"input": [True, False]}, ("input",)),
    (EmbeddingsParams, {"input": "hi", "dimensions": True}, ("dimensions",)),
    (EmbeddingsParams, {"input": "hi", "encoding_format": "int8"}, ("encoding_format",)),
    (EmbeddingsParams, {"input": "hi", "provider": {"data_collection": "maybe"}}, ("provider",)),
    (ImageGenerationParams, {"prompt": "p", "output_format": "gif"}, ("output_format",)),
    (ImageGenerationParams, {"prompt": "p", "response_format": "png"}, ("response_format",)),
    (ImageGenerationParams, {"prompt": "p", "n": "2"}, ("n",)),
    (CompareParams, {"models": "a/b", "messages": [USER_HI]}, ("models",)),
    (
        CompareParams,
        {"models": ["a"], "messages": [USER_HI], "skip_comparison": None},
        ("skip_comparison",),
    ),
    (BatchRequestItem, {"custom_id": "r1", "body": "{}"}, ("body",)),
    (BatchRequestItem, {"custom_id": 1, "body": {}}, ("custom_id",)),
    (ListModelsParams, {"type": "llm"}, ("type",)),
    (ListModelsParams, {"free": "true"}, ("free",)),
    (
        UploadFileParams,
        {"file_name": "a", "mime_type": "text/plain", "content": "text"},
        ("content",),
    ),
    (BulkEmbedRequest, {"file_ids": "file_1"}, ("file_ids",)),
    (SearchRequest, {"query": "q", "top_k": True}, ("top_k",)),
    (SearchRequest, {"query": "q", "top_k": "5"}, ("top_k",)),
    (SearchRequest, {"query": "q", "date_from": 1.5}, ("date_from",)),
    (CreateTemplateParams, {"name": "t", "variables": "company"}, ("variables",)),
]


@pytest.mark.parametrize(("model", "kwargs", "path"), WRONG_TYPES)
def test_wrong_type_is_rejected_and_named(
    model: type[RequestModel], kwargs: dict[str, Any], path: tuple[int | str, ...]
) -> None:
    with pytest.raises(ValidationError) as info:
        model(**kwargs)
    _assert_names(info.value, *path)


CONSTRAINTS: list[tuple[type[RequestModel], dict[str, Any], str, Any, Any]] = [
    # model, base kwargs, field, a rejected value, the accepted value at the bound
    (ResponsesParams, {"input": "hi"}, "temperature", 2.01, 2),
    (ResponsesParams, {"input": "hi"}, "temperature", -0.1, 0),
    (ResponsesParams, {"input": "hi"}, "top_p", 1.01, 1),
    (ResponsesParams, {"input": "hi"}, "max_output_tokens", 0, 1),
    (ResponsesParams, {"input": "hi"}, "user", "u" * 257, "u" * 256),
    (ResponsesParams, {"input": "hi"}, "max_tool_calls", 11, 10),
    (ResponsesParams, {"input": "hi"}, "timeout", 0, 0.5),
    (EmbeddingsParams, {"input": "hi"}, "user", "u" * 257, "u" * 256),
    (EmbeddingsParams, {"input": "hi"}, "dimensions", 0, 1),
    (ImageOptions, {}, "n", 11, 10),
    (ImageOptions, {}, "n", 0, 1),
    (CompareParams, {"models": ["a"], "messages": [USER_HI]}, "temperature", 2.5, 2.0),
    (CompareParams, {"models": ["a"], "messages": [USER_HI]}, "max_tokens", 0, 1),
    (CompareParams, {"messages": [USER_HI]}, "models", [], ["a"]),
    (ModelOverride, {"model": "a"}, "temperature", 2.1, 0),
    (ModelOverride, {"model": "a"}, "max_tokens", 0, 1),
    (BulkEmbedRequest, {}, "file_ids", [], ["f"]),
    (BulkEmbedRequest, {}, "file_ids", [f"f{i}" for i in range(101)], ["f"] * 100),
    (SearchRequest, {}, "query", "", "q"),
    (SearchRequest, {"query": "q"}, "top_k", 0, 1),
    (CreateBatchParams, {}, "requests", [], [BatchRequestItem(custom_id="r", body={})]),
    (ChatCompletionParams, {"messages": [USER_HI]}, "timeout", 0, 300),
    (ImageGenerationParams, {"prompt": "p"}, "output_compression", 101, 100),
    (ImageGenerationParams, {"prompt": "p"}, "partial_images", 4, 3),
    (ImageGenerationParams, {"prompt": "p"}, "seed", -2, -1),
    (ImageGenerationParams, {"prompt": "p"}, "seed", 2**31, 2**31 - 1),
    (ImageGenerationParams, {"prompt": "p"}, "guidance_scale", 0.5, 1),
]


@pytest.mark.parametrize(("model", "base", "field", "bad", "good"), CONSTRAINTS)
def test_constraint_rejects_outside_and_accepts_the_bound(
    model: type[RequestModel], base: dict[str, Any], field: str, bad: Any, good: Any
) -> None:
    with pytest.raises(ValidationError) as info:
        model(**base, **{field: bad})
    _assert_names(info.value, field)
    assert getattr(model(**base, **{field: good}), field) == good


def test_chat_sampling_knobs_have_no_client_side_range_check() -> None:
    # §2.3: "No client-side range check; the gateway validates."
    params = ChatCompletionParams(
        messages=[USER_HI], temperature=7.5, top_p=3, frequency_penalty=-9, presence_penalty=9
    )
    assert params.to_body()["temperature"] == 7.5


def test_float_fields_accept_ints_and_hold_floats() -> None:
    chat = ChatCompletionParams(messages=[USER_HI], temperature=1, top_p=0)
    responses = ResponsesParams(input="hi", temperature=2, top_p=1, timeout=30)
    compare = CompareParams(models=["a"], messages=[USER_HI], temperature=0)
    override = ModelOverride(model="a", temperature=1)
    image = ImageGenerationParams(prompt="p", guidance_scale=5)
    for value in (
        chat.temperature,
        chat.top_p,
        responses.temperature,
        responses.top_p,
        responses.timeout,
        compare.temperature,
        override.temperature,
        image.guidance_scale,
    ):
        assert type(value) is float


def test_validation_runs_on_assignment_too() -> None:
    params = ChatCompletionParams(messages=[USER_HI])
    with pytest.raises(ValidationError) as info:
        params.max_tokens = "10"  # type: ignore[assignment]
    _assert_names(info.value, "max_tokens")
    with pytest.raises(ValidationError):
        params.unknown = 1  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------
# to_body: None left out, "sent" defaults always present
# --------------------------------------------------------------------------------------


def test_chat_body_omits_none_and_leaves_stream_to_the_method() -> None:
    body = ChatCompletionParams(messages=[USER_HI]).to_body()
    assert body == {"messages": [{"role": "user", "content": "hi"}]}


def test_chat_body_carries_every_set_field() -> None:
    params = ChatCompletionParams(
        messages=[USER_HI],
        model="openai/gpt-4o-mini",
        max_tokens=10,
        stop=["\n"],
        tools=[{"function": {"name": "get_weather", "parameters": {"type": "object"}}}],
        tool_choice="auto",
        template="support-agent",
        variables={"company": "Acme"},
    )
    assert params.to_body() == {
        "messages": [{"role": "user", "content": "hi"}],
        "model": "openai/gpt-4o-mini",
        "max_tokens": 10,
        "stop": ["\n"],
        "tools": [
            {
                "type": "function",
                "function": {"name": "get_weather", "parameters": {"type": "object"}},
            }
        ],
        "tool_choice": "auto",
        "template": "support-agent",
        "variables": {"company": "Acme"},
    }


def test_image_options_send_all_their_defaults() -> None:
    body = ChatCompletionParams(messages=[USER_HI], modality="image", image={}).to_body()
    assert body["image"] == {
        "n": 1,
        "size": "1024x1024",
        "quality": "high",
        "response_format": "url",
    }
    assert ImageOptions(n=2).to_body() == {
        "n": 2,
        "size": "1024x1024",
        "quality": "high",
        "response_format": "url",
    }


def test_audio_output_options_send_voice_and_format() -> None:
    body = ChatCompletionParams(
        messages=[USER_HI], modalities=["text", "audio"], audio={}
    ).to_body()
    assert body["audio"] == {"voice": "alloy", "format": "wav"}
    assert body["modalities"] == ["text", "audio"]


def test_compare_sends_stream_and_skip_comparison() -> None:
    body = CompareParams(models=["a/b", "c/d"], messages=[USER_HI]).to_body()
    assert body == {
        "models": ["a/b", "c/d"],
        "messages": [{"role": "user", "content": "hi"}],
        "stream": False,
        "skip_comparison": False,
    }


def test_responses_sends_stream() -> None:
    assert ResponsesParams(input="hi").to_body() == {"input": "hi", "stream": False}


def test_batch_request_item_sends_method_and_url() -> None:
    body = CreateBatchParams(
        requests=[{"custom_id": "r1", "body": {"messages": [USER_HI]}}]
    ).to_body()
    assert body == {
        "requests": [
            {
                "custom_id": "r1",
                "body": {"messages": [USER_HI]},
                "method": "POST",
                "url": "/v1/chat/completions",
            }
        ]
    }


def test_search_request_sends_its_default_top_k() -> None:
    assert SearchRequest(query="onboarding").to_body() == {"query": "onboarding", "top_k": 5}


def test_type_tags_are_sent_even_when_defaulted() -> None:
    message = ChatMessage(
        role="user",
        content=[
            ContentPartText(text="what is this?"),
            ContentPartImage(image_url=ImageDetail(url="data:image/png;base64,AAAA", detail="low")),
        ],
    )
    assert message.to_body()["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}},
    ]
    assert ResponsesFunctionTool(name="f").to_body() == {"type": "function", "name": "f"}
    assert Tool(function=ToolFunction(name="f")).to_body() == {
        "type": "function",
        "function": {"name": "f"},
    }


def test_optional_only_models_serialise_to_empty_bodies() -> None:
    assert UpdateTemplateParams().to_body() == {}
    assert ListModelsParams().to_body() == {}
    assert ListModelsParams(free=False).to_body() == {"free": False}


def test_update_template_is_partial_and_has_no_team_id() -> None:
    assert UpdateTemplateParams(system="Be brief.").to_body() == {"system": "Be brief."}
    with pytest.raises(ValidationError) as info:
        UpdateTemplateParams(team_id="team_1")  # type: ignore[call-arg]
    _assert_names(info.value, "team_id")
    assert CreateTemplateParams(name="t", team_id="team_1").to_body() == {
        "name": "t",
        "team_id": "team_1",
    }


# --------------------------------------------------------------------------------------
# Nested models: plain dicts are accepted and validated like the models themselves
# --------------------------------------------------------------------------------------


def test_dicts_are_accepted_for_every_nested_chat_model() -> None:
    params = ChatCompletionParams(
        messages=[
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "describe"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://x/y.png", "detail": "auto"},
                    },
                    {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
                    {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}, "fps": "1"},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "f", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "{}"},
        ],
        tools=[{"type": "function", "function": {"name": "f"}}],
        tool_choice={"type": "function", "function": {"name": "f"}},
        image={"n": 2},
        audio={"voice": "nova"},
    )
    parts = params.messages[1].content
    assert isinstance(parts, list)
    assert [type(part) for part in parts] == [
        ContentPartText,
        ContentPartImage,
        ContentPartAudio,
        ContentPartVideo,
    ]
    assert isinstance(params.messages[2].tool_calls, list)
    assert isinstance(params.messages[2].tool_calls[0], ToolCall)
    assert isinstance(params.tools, list)
    assert isinstance(params.tools[0], Tool)
    assert isinstance(params.tool_choice, ToolChoiceObject)
    assert isinstance(params.image, ImageOptions)
    assert isinstance(params.audio, AudioOutputOptions)
    assert params.to_body()["messages"][1]["content"][3] == {
        "type": "video_url",
        "video_url": {"url": "https://x/v.mp4"},
        "fps": "1",
    }


def test_dicts_are_accepted_for_nested_models_of_other_requests() -> None:
    compare = CompareParams(
        models=["a"], messages=[USER_HI], model_overrides=[{"model": "a", "max_tokens": 5}]
    )
    assert isinstance(compare.messages[0], ChatMessage)
    assert compare.model_overrides is not None
    assert isinstance(compare.model_overrides[0], ModelOverride)
    batch = CreateBatchParams(requests=[{"custom_id": "r", "body": {}}])
    assert isinstance(batch.requests[0], BatchRequestItem)
    embeddings = EmbeddingsParams(
        input=[{"type": "image_url", "image_url": {"url": "https://x/y.png"}}],
        provider={"order": ["openai"], "allow_fallbacks": False},
    )
    assert isinstance(embeddings.provider, ProviderPreferences)
    assert isinstance(embeddings.input, list)
    first = embeddings.input[0]
    assert isinstance(first, MultimodalEmbeddingInput)
    assert isinstance(first.image_url, ImageEmbeddingUrl)


def test_nested_dict_errors_are_located_inside_the_nesting() -> None:
    with pytest.raises(ValidationError) as info:
        ChatCompletionParams(messages=[USER_HI, {"role": "user", "contnet": "typo"}])
    _assert_names(info.value, "messages", 1, "contnet")
    with pytest.raises(ValidationError) as info:
        ChatCompletionParams(messages=[USER_HI], image={"n": 20})
    _assert_names(info.value, "image", "n")


def test_content_part_type_selects_the_part_and_unknown_types_fail() -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(ContentPart)
    assert isinstance(adapter.validate_python({"type": "text", "text": "x"}), ContentPartText)
    with pytest.raises(ValidationError):
        adapter.validate_python({"type": "file", "file": {}})
    with pytest.raises(ValidationError):
        ChatMessage(role="user", content=[{"type": "text"}])


def test_chat_content_can_be_a_string_parts_or_none() -> None:
    assert ChatMessage(role="user", content="hi").content == "hi"
    assert ChatMessage(role="assistant").to_body() == {"role": "assistant"}
    with pytest.raises(ValidationError):
        ChatMessage(role="user", content=5)  # type: ignore[arg-type]


def test_closed_enumerations_are_literals() -> None:
    role: TypeAdapter[Any] = TypeAdapter(ChatRole)
    assert [role.validate_python(r) for r in ("system", "user", "assistant", "tool")]
    with pytest.raises(ValidationError):
        role.validate_python("developer")
    choice: TypeAdapter[Any] = TypeAdapter(ToolChoice)
    for value in ("auto", "none", "required"):
        assert choice.validate_python(value) == value
    with pytest.raises(ValidationError):
        choice.validate_python("any")
    for fmt in ("wav", "mp3", "aiff", "aac", "ogg", "flac", "m4a", "pcm16", "pcm24"):
        InputAudio(format=fmt)  # type: ignore[arg-type]
    for fmt in ("wav", "mp3", "flac", "opus", "pcm16"):
        AudioOutputOptions(format=fmt)  # type: ignore[arg-type]


def test_assistant_tool_calls_from_a_response_can_be_sent_back() -> None:
    reply = ChatCompletionResponse.model_validate(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "call_a1",
                                "function": {"name": "f", "arguments": "{}"},
                                "thought_signature": "sig",
                                "x_provider": 1,
                            }
                        ],
                    },
                }
            ],
        }
    )
    message = reply.choices[0].message
    assert message is not None
    echoed = ChatMessage(role="assistant", content=message.content, tool_calls=message.tool_calls)
    assert echoed.to_body()["tool_calls"] == [
        {
            "id": "call_a1",
            "type": "function",
            "function": {"name": "f", "arguments": "{}"},
            "thought_signature": "sig",
            "x_provider": 1,
        }
    ]


def test_responses_tools_are_function_or_builtin() -> None:
    params = ResponsesParams(
        input=[{"role": "user", "content": "hi"}],
        tools=[
            {"name": "get_weather", "parameters": {"type": "object"}},
            {"type": "file_search", "vector_store_ids": ["vs_1"]},
            BuiltinTool(type="code_interpreter", container={"type": "auto"}),
        ],
    )
    assert params.tools is not None
    assert [type(tool) for tool in params.tools] == [
        ResponsesFunctionTool,
        BuiltinTool,
        BuiltinTool,
    ]
    assert params.to_body()["tools"] == [
        {"type": "function", "name": "get_weather", "parameters": {"type": "object"}},
        {"type": "file_search", "vector_store_ids": ["vs_1"]},
        {"type": "code_interpreter", "container": {"type": "auto"}},
    ]
    with pytest.raises(ValidationError) as info:
        ResponsesParams(input="hi", tools=[{"type": "web_search"}])
    _assert_names(info.value, "tools", 0)
    with pytest.raises(ValidationError) as info:
        ResponsesParams(input="hi", tools=[{"type": "function"}])
    _assert_names(info.value, "tools", 0)
    with pytest.raises(ValidationError):
        ResponsesParams(input="hi", tools=[{"type": "function", "name": "f", "strictt": True}])


def test_responses_input_list_may_hold_models() -> None:
    params = ResponsesParams(input=[ChatMessage(role="user", content="hi"), {"role": "user"}])
    assert params.to_body()["input"] == [{"role": "user", "content": "hi"}, {"role": "user"}]


def test_embeddings_input_takes_every_protocol_shape() -> None:
    for value in ("hi", ["a", "b"], [1, 2, 3], [[1, 2], [3]], [{"type": "text", "text": "x"}]):
        assert EmbeddingsParams(input=value).to_body()["input"] == value  # type: ignore[arg-type]
    assert EmbeddingsParams(input="x", provider="openai").to_body()["provider"] == "openai"


def test_upload_file_params_hold_bytes() -> None:
    params = UploadFileParams(file_name="a.txt", mime_type="text/plain", content=b"\x00\xff")
    assert params.content == b"\x00\xff"
    with pytest.raises(ValidationError) as info:
        UploadFileParams(file_name="a.txt", mime_type="text/plain")  # type: ignore[call-arg]
    _assert_names(info.value, "content")


def test_required_request_fields_are_required() -> None:
    cases: list[tuple[type[RequestModel], dict[str, Any], str]] = [
        (ChatCompletionParams, {}, "messages"),
        (ChatMessage, {}, "role"),
        (ResponsesParams, {}, "input"),
        (EmbeddingsParams, {}, "input"),
        (ImageGenerationParams, {}, "prompt"),
        (CompareParams, {"messages": [USER_HI]}, "models"),
        (CompareParams, {"models": ["a"]}, "messages"),
        (BatchRequestItem, {"body": {}}, "custom_id"),
        (BatchRequestItem, {"custom_id": "r"}, "body"),
        (CreateBatchParams, {}, "requests"),
        (CreateTemplateParams, {}, "name"),
        (InitUploadRequest, {"mime_type": "text/plain"}, "file_name"),
        (InitUploadRequest, {"file_name": "a"}, "mime_type"),
        (BulkEmbedRequest, {}, "file_ids"),
        (SearchRequest, {}, "query"),
        (ToolFunction, {}, "name"),
        (ResponsesFunctionTool, {}, "name"),
        (ModelOverride, {}, "model"),
        (InputAudio, {}, "format"),
    ]
    for model, kwargs, field in cases:
        with pytest.raises(ValidationError) as info:
            model(**kwargs)
        assert info.value.errors()[0]["type"] == "missing"
        _assert_names(info.value, field)
