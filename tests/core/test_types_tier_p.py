"""The tier-P models (protocol.md §7.1): strict params with their sent defaults, lenient
results with their documented defaults."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from meshapi_core.types import (
    AudioTranslationsParams,
    AutoRouterMeta,
    ImageEditParams,
    ImageRef,
    ListVideoGenerationsParams,
    ListVoicesParams,
    ModelSearchParams,
    ModelsPage,
    ModerationParams,
    ModerationResponse,
    ResponsesListResponse,
    RouterSelectParams,
    RouterSelectResponse,
    SpeechParams,
    TranscriptionParams,
    TranscriptionResponse,
    VideoGenerationParams,
    VideoTaskListResponse,
    VideoTaskResponse,
    Voice,
    VoicesResponse,
    WebSearchParams,
    WebSearchResponse,
)


def test_sent_defaults() -> None:
    assert WebSearchParams(query="q").to_body() == {
        "query": "q",
        "max_results": 5,
        "search_depth": "basic",
        "include_answer": False,
    }
    assert (
        WebSearchParams(query="q", include_page_content=False).to_body()["include_page_content"]
        is False
    )
    assert ModerationParams(input="x").to_body() == {
        "input": "x",
        "model": "omni-moderation-latest",
    }
    assert RouterSelectParams(messages=[{"role": "user", "content": "hi"}]).to_body() == {
        "messages": [{"role": "user", "content": "hi"}],
        "api_type": "completions",
    }
    assert ImageEditParams(model="m", image=ImageRef(url="data:,")).to_body() == {
        "model": "m",
        "image": {"url": "data:,"},
        "prompt": "",
        "operation": "edit",
    }
    assert SpeechParams(input="hi").to_body() == {"input": "hi"}


@pytest.mark.parametrize(
    ("model", "fields", "loc"),
    [
        (WebSearchParams, {"query": ""}, "query"),
        (WebSearchParams, {"query": "x" * 2001}, "query"),
        (WebSearchParams, {"query": "q", "max_results": 0}, "max_results"),
        (WebSearchParams, {"query": "q", "search_depth": "deep"}, "search_depth"),
        (WebSearchParams, {"query": "q", "provider": "bing"}, "provider"),
        (RouterSelectParams, {"messages": []}, "messages"),
        (RouterSelectParams, {"messages": [{"role": "user"}], "api_type": "x"}, "api_type"),
        (ImageEditParams, {"model": "m", "image": "x", "operation": "paint"}, "operation"),
        (ImageEditParams, {"image": "x"}, "model"),
        (VideoGenerationParams, {"model": "m", "content": []}, "content"),
        (VideoGenerationParams, {"model": "m", "content": [{"text": "x"}]}, "type"),
        (AudioTranslationsParams, {"model": "m", "temperature": 2.5}, "temperature"),
        (TranscriptionParams, {}, "model"),
        (TranscriptionParams, {"model": "m", "keyterms": "one"}, "keyterms"),
        (TranscriptionParams, {"model": "m", "diarize": "true"}, "diarize"),
        (SpeechParams, {"input": "x", "speeed": 1}, "speeed"),
        (ModelSearchParams, {"sort": "price"}, "sort"),
        (ModelSearchParams, {"limit": 0}, "limit"),
        (ListVoicesParams, {"page_size": 0}, "page_size"),
        (ListVideoGenerationsParams, {"offset": -1}, "offset"),
        (ModerationParams, {"input": [{"type": "video"}]}, "input"),
    ],
)
def test_params_are_strict_and_name_the_field(
    model: type[pydantic.BaseModel], fields: dict[str, Any], loc: str
) -> None:
    with pytest.raises(pydantic.ValidationError, match=loc):
        model(**fields)


def test_absent_is_not_false_on_voice_pages() -> None:
    page = VoicesResponse.model_validate({"voices": [{"voice_id": "v", "name": "V"}]})
    assert page.has_more is None and page.total_count is None and page.next_page_token is None
    assert page.voices[0].labels == {}
    voice = Voice.model_validate({"voice_id": "v", "name": "V", "labels": None, "age": 3})
    assert voice.labels == {} and voice.model_extra == {"age": 3}
    with pytest.raises(pydantic.ValidationError):
        Voice.model_validate({"voice_id": "v"})


def test_result_defaults_and_kept_extras() -> None:
    web = WebSearchResponse.model_validate(
        {
            "query": "q",
            "provider": "some-new-engine",
            "results": [
                {"title": "t", "url": "u"},
                {"title": "t", "url": "u", "page_content": "", "content": None},
            ],
            "request_id": "body-id",
            "cost": "0.005",
        }
    )
    first, second = web.results
    assert (first.content, first.page_content, first.page_content_truncated) == ("", None, False)
    assert second.page_content == "" and second.content == ""
    assert web.request_id == "body-id" and web._request_id is None
    assert web.model_extra == {"cost": "0.005"}
    assert ModerationResponse.model_validate({}).results == []
    router = RouterSelectResponse.model_validate({"model": "m", "auto_router": {}})
    assert router.auto_router == AutoRouterMeta(fallback_used=False)
    assert ResponsesListResponse.model_validate({}).model_dump() == {
        "object": "list",
        "data": [],
        "has_more": False,
        "first_id": None,
        "last_id": None,
    }
    page = ModelsPage.model_validate({"total": 0, "limit": 5, "offset": 0})
    assert page.items == [] and page.brands == []
    assert TranscriptionResponse.model_validate({"language_code": "en"}).text is None


@pytest.mark.parametrize(
    ("status", "done"),
    [("queued", False), ("running", False), ("succeeded", True), ("failed", True)],
)
def test_a_video_task_is_done_only_when_terminal(status: str, done: bool) -> None:
    task = VideoTaskResponse.model_validate({"id": "t", "status": status, "novel": 1})
    assert task.done is done and task.model_extra == {"novel": 1}
    listing = VideoTaskListResponse.model_validate(
        {
            "data": [{"id": "t", "status": status}],
            "has_more": False,
            "total": 1,
            "limit": 1,
            "offset": 0,
        }
    )
    assert listing.data[0].status == status
    with pytest.raises(pydantic.ValidationError):
        VideoTaskListResponse.model_validate({"data": []})
