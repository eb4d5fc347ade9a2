"""Responses, embeddings, images and compare: every method and every stream kind."""

from __future__ import annotations

import base64
import struct
from typing import Any

import pytest

from meshapi import (
    CompareParams,
    CompareResponse,
    CompareStreamEvent,
    EmbeddingsParams,
    EmbeddingsResponse,
    ImageGenerationChunk,
    ImageGenerationParams,
    ImageGenerationResponse,
    MeshAPIError,
    ResponsesParams,
    ResponsesResponse,
    ResponsesStreamEvent,
)
from meshapi.testing import MeshAPIGateway

from ._harness import user

pytestmark = pytest.mark.anyio

CHAT_MODEL = "openai/gpt-4o-mini"
OTHER_MODEL = "anthropic/claude-haiku-4.5"
EMBEDDING_MODEL = "openai/text-embedding-3-small"
IMAGE_MODEL = "openai/gpt-image-1"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def output_text(response: ResponsesResponse) -> str:
    return "".join(
        part["text"]
        for item in response.output
        if item["type"] == "message"
        for part in item["content"]
        if part["type"] == "output_text"
    )


# ------------------------------------------------------------------------------ responses


async def test_responses_create_returns_the_output_message(client: Any) -> None:
    response = await client.responses.create(ResponsesParams(model=CHAT_MODEL, input="hello there"))

    assert isinstance(response, ResponsesResponse)
    assert response.status == "completed"
    assert output_text(response) == "You said: hello there"
    assert response.usage is not None and response.usage.total_tokens == 6
    assert response._request_id is not None


async def test_responses_create_refuses_a_params_object_that_asks_to_stream(
    client: Any, gw: MeshAPIGateway
) -> None:
    before = len(gw.requests)

    with pytest.raises(ValueError, match="stream"):
        await client.responses.create(ResponsesParams(model=CHAT_MODEL, input="x", stream=True))

    assert len(gw.requests) == before


async def test_responses_stream_yields_every_response_event_in_order(
    client: Any, gw: MeshAPIGateway
) -> None:
    async with client.responses.stream(model=CHAT_MODEL, input="hello there") as stream:
        events = [event async for event in stream]

    assert all(isinstance(event, ResponsesStreamEvent) for event in events)
    types = [event.type for event in events]
    assert types[0] == "response.created"
    assert types[-1] == "response.completed"
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == "You said: hello there"
    assert events[-1].response is not None and events[-1].response["status"] == "completed"
    assert stream.request_id is not None
    assert gw.last_request(path="/v1/responses").json()["stream"] is True


# ----------------------------------------------------------------------------- embeddings


async def test_embeddings_give_one_vector_per_input_in_order_with_dimensions(
    client: Any,
) -> None:
    result = await client.embeddings.create(
        EmbeddingsParams(
            model=EMBEDDING_MODEL, input=["first text", "second", "third"], dimensions=8
        )
    )

    assert isinstance(result, EmbeddingsResponse)
    assert [item.index for item in result.data] == [0, 1, 2]
    assert all(isinstance(item.embedding, list) for item in result.data)
    assert all(len(item.embedding) == 8 for item in result.data)
    assert result.data[0].embedding != result.data[1].embedding


async def test_base64_embeddings_decode_to_little_endian_float32(client: Any) -> None:
    floats = await client.embeddings.create(model=EMBEDDING_MODEL, input="same text", dimensions=4)
    packed = await client.embeddings.create(
        model=EMBEDDING_MODEL, input="same text", dimensions=4, encoding_format="base64"
    )

    (item,) = packed.data
    assert isinstance(item.embedding, str)
    decoded = struct.unpack("<4f", base64.b64decode(item.embedding))
    assert decoded == pytest.approx(floats.data[0].embedding, rel=1e-6)


# --------------------------------------------------------------------------------- images


async def test_images_generate_returns_decodable_png_bytes(client: Any) -> None:
    result = await client.images.generate(
        ImageGenerationParams(model=IMAGE_MODEL, prompt="a red square", response_format="b64_json")
    )

    assert isinstance(result, ImageGenerationResponse)
    (image,) = result.data
    assert image.image_bytes().startswith(PNG_SIGNATURE)


async def test_images_generate_refuses_a_params_object_that_asks_to_stream(
    client: Any,
) -> None:
    with pytest.raises(ValueError, match="stream"):
        await client.images.generate(
            ImageGenerationParams(model=IMAGE_MODEL, prompt="x", stream=True)
        )


async def test_images_stream_sends_keep_alive_chunks_then_the_image(client: Any) -> None:
    async with client.images.stream(model=IMAGE_MODEL, prompt="a red square") as stream:
        chunks = [chunk async for chunk in stream]

    assert all(isinstance(chunk, ImageGenerationChunk) for chunk in chunks)
    assert [c.status for c in chunks[:-1]] == ["processing"] * (len(chunks) - 1)
    assert all(c.data == [] for c in chunks[:-1])
    final = chunks[-1]
    assert final.status == "completed"
    assert final.data[0].image_bytes().startswith(PNG_SIGNATURE)
    assert stream.request_id is not None


# -------------------------------------------------------------------------------- compare


async def test_compare_create_answers_per_model_in_request_order_with_a_synthesis(
    client: Any,
) -> None:
    result = await client.compare.create(
        CompareParams(models=[OTHER_MODEL, CHAT_MODEL], messages=user("hi"))
    )

    assert isinstance(result, CompareResponse)
    assert result.comparison_id.startswith("cmp_")
    assert [r.model for r in result.results] == [OTHER_MODEL, CHAT_MODEL]
    assert [r.content for r in result.results] == ["You said: hi"] * 2
    assert all(r.request_id for r in result.results)
    assert result.partial is False
    assert result.comparison
    assert result.comparison_usage is not None


async def test_compare_create_with_skip_comparison_has_no_synthesis(client: Any) -> None:
    result = await client.compare.create(
        models=[CHAT_MODEL, OTHER_MODEL], messages=user("hi"), skip_comparison=True
    )

    assert result.skip_comparison is True
    assert result.comparison is None
    assert result.comparison_fallback_used is False


async def test_compare_create_reports_one_failing_model_as_data(
    client: Any, gw: MeshAPIGateway
) -> None:
    with gw.failing_model(OTHER_MODEL, code="gateway_timeout"):
        result = await client.compare.create(models=[CHAT_MODEL, OTHER_MODEL], messages=user("hi"))

    ok, failed = result.results
    assert ok.content == "You said: hi"
    assert failed.content is None
    assert isinstance(failed.error, str) and failed.error_code == "gateway_timeout"
    assert result.partial is True
    assert result.comparison_fallback_used is True  # fewer than 2 answers to compare


async def test_compare_stream_with_skip_comparison_interleaves_model_tokens(
    client: Any,
) -> None:
    params = CompareParams(
        models=[CHAT_MODEL, OTHER_MODEL], messages=user("hi there"), skip_comparison=True
    )

    async with client.compare.stream(params) as stream:
        events = [event async for event in stream]

    assert all(isinstance(event, CompareStreamEvent) for event in events)
    names = [event.event for event in events]
    assert names[0] == "meta" and names[-1] == "done"
    assert set(names[1:-1]) == {"model_chunk", "model_stream_done"}
    assert "comparison_chunk" not in names
    assert events[0].models == [CHAT_MODEL, OTHER_MODEL]
    folded = stream.accumulated
    assert folded.texts == {CHAT_MODEL: "You said: hi there", OTHER_MODEL: "You said: hi there"}
    assert folded.comparison is None
    assert folded.finished and folded.skip_comparison is True


async def test_compare_stream_with_synthesis_sends_results_then_the_judge(client: Any) -> None:
    async with client.compare.stream(
        models=[CHAT_MODEL, OTHER_MODEL], messages=user("hi"), skip_comparison=False
    ) as stream:
        events = [event async for event in stream]

    names = [event.event for event in events]
    assert names[:4] == ["meta", "model_chunk", "model_chunk", "model_done"]
    assert set(names[4:-1]) == {"comparison_chunk"}
    assert names[-1] == "done"
    model_done = events[3]
    assert model_done.results is not None
    assert [r.model for r in model_done.results] == [CHAT_MODEL, OTHER_MODEL]
    folded = stream.accumulated
    assert folded.comparison
    assert folded.partial is False and folded.comparison_fallback_used is False


async def test_compare_stream_keeps_going_when_one_model_fails(
    client: Any, gw: MeshAPIGateway
) -> None:
    with gw.failing_model(OTHER_MODEL, code="gateway_timeout"):
        async with client.compare.stream(
            models=[CHAT_MODEL, OTHER_MODEL], messages=user("hi"), skip_comparison=True
        ) as stream:
            events = [event async for event in stream]

    assert events[-1].event == "done" and events[-1].partial is True
    assert stream.accumulated.texts[CHAT_MODEL] == "You said: hi"
    assert stream.accumulated.error_codes == {OTHER_MODEL: "gateway_timeout"}


async def test_compare_create_refuses_a_params_object_that_asks_to_stream(client: Any) -> None:
    with pytest.raises(ValueError, match="stream"):
        await client.compare.create(
            CompareParams(models=[CHAT_MODEL], messages=user("x"), stream=True)
        )


async def test_compare_with_every_model_failing(client: Any, gw: MeshAPIGateway) -> None:
    with gw.failing_model(CHAT_MODEL), gw.failing_model(OTHER_MODEL, code="gateway_timeout"):
        with pytest.raises(MeshAPIError) as caught:
            await client.compare.create(models=[CHAT_MODEL, OTHER_MODEL], messages=user("hi"))
        async with client.compare.stream(
            models=[CHAT_MODEL, OTHER_MODEL], messages=user("hi"), skip_comparison=True
        ) as stream:
            events = [event async for event in stream]

    assert (caught.value.status, caught.value.error_code) == (502, "all_models_failed")
    assert events[-1].event == "done" and events[-1].partial is True
    assert stream.accumulated.error_codes == {
        CHAT_MODEL: "upstream_error",
        OTHER_MODEL: "gateway_timeout",
    }
