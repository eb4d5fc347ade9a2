"""The gateway's image edits, model search, stored responses and structured outputs (§7.1)."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from meshapi.testing import MeshAPIGateway
from meshapi_core.types import (
    ImageGenerationResponse,
    ModelInfo,
    ModelsPage,
    ResponsesListResponse,
    ResponsesResponse,
)

from ._helpers import user
from ._schema import problems
from .test_images import assert_real_png

PNG = base64.b64encode(
    base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg=="
    )
).decode()
DATA_URL = f"data:image/png;base64,{PNG}"

# ---------------------------------------------------------------------------- image edits


def edit(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post("/v1/images/edits", json={"model": "openai/gpt-image-1", **body})


def png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("image", [DATA_URL, PNG, {"url": DATA_URL}, {"url": PNG}])
def test_an_edit_returns_real_pngs_for_every_inline_form(client: httpx.Client, image: Any) -> None:
    response = edit(client, image=image, prompt="make it blue", n=2)
    assert response.status_code == 200, response.text
    body = ImageGenerationResponse.model_validate(response.json())
    assert len(body.data) == 2 and body.size == "16x16" and body.output_format == "png"
    first, second = (item.image_bytes() for item in body.data)
    assert_real_png(first)
    assert first != second


def test_the_output_follows_the_input_prompt_and_format(client: httpx.Client) -> None:
    one = edit(client, image=DATA_URL, prompt="blue").json()["data"][0]["b64_json"]
    again = edit(client, image=DATA_URL, prompt="blue").json()["data"][0]["b64_json"]
    other = edit(client, image=DATA_URL, prompt="red").json()["data"][0]["b64_json"]
    assert one == again != other
    as_url = edit(client, image=DATA_URL, prompt="blue", response_format="url").json()
    assert as_url["data"][0]["url"] == f"data:image/png;base64,{one}"


def test_operations_by_model_capability(client: httpx.Client) -> None:
    flux = "black-forest-labs/flux-1.1-pro"
    up = client.post(
        "/v1/images/edits",
        json={"model": flux, "image": PNG, "operation": "upscale", "upscale_factor": "2x"},
    )
    assert up.status_code == 200 and up.json()["size"] == "32x32"
    assert png_size(base64.b64decode(up.json()["data"][0]["b64_json"])) == (32, 32)
    cutout = client.post(
        "/v1/images/edits", json={"model": flux, "image": PNG, "operation": "remove_background"}
    )
    assert cutout.json()["background"] == "transparent"
    unsupported = edit(client, image=PNG, operation="upscale")
    assert unsupported.status_code == 422
    assert unsupported.json() == {
        "detail": "Model 'openai/gpt-image-1' does not support the 'upscale' operation."
    }
    info = client.get("/v1/models/openai/gpt-image-1").json()
    assert info["supports_image_edit"] is True and info["supports_image_upscale"] is False
    assert ModelInfo.model_validate(info).supports_image_inpaint is True


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"image": "https://example.com/cat.png", "prompt": "x"}, 400, "invalid_request"),
        ({"image": {"url": "http://example.com/cat.png"}, "prompt": "x"}, 400, "invalid_request"),
        ({"image": "not base64!!", "prompt": "x"}, 400, "invalid_request"),
        ({"image": PNG}, 422, "validation_error"),  # edit needs a prompt
        ({"image": PNG, "operation": "inpaint"}, 422, "validation_error"),  # and a mask
        ({"image": PNG, "operation": "mix", "prompt": "x"}, 422, "validation_error"),
        ({"image": PNG, "prompt": "x", "operation": "paint"}, 422, "validation_error"),
        (
            {"image": PNG, "prompt": "x", "model": "openai/gpt-4o"},
            400,
            "model_capability_not_supported",
        ),
    ],
)
def test_edit_errors(client: httpx.Client, body: dict[str, Any], status: int, code: str) -> None:
    response = edit(client, **body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_inpaint_and_mix_with_what_they_need(client: httpx.Client) -> None:
    assert edit(client, image=PNG, operation="inpaint", mask=DATA_URL).status_code == 200
    mixed = edit(client, image=PNG, operation="mix", prompt="blend", reference_images=[PNG])
    assert mixed.status_code == 200


# --------------------------------------------------------------------------- model search


def find(client: httpx.Client, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/models/search", params=params)
    assert response.status_code == 200, response.text
    ModelsPage.model_validate(response.json())
    return response.json()  # type: ignore[no-any-return]


def test_search_is_not_taken_for_a_model_id(client: httpx.Client) -> None:
    page = find(client)
    everything = client.get("/v1/models").json()
    assert page["total"] == len(everything) and (page["limit"], page["offset"]) == (20, 0)
    assert len(page["items"]) == 20
    assert page["brands"] == sorted({m["brand"] for m in everything})


def test_filters_combine(client: httpx.Client) -> None:
    gpt = find(client, q="GPT-4O")
    assert gpt["items"] and all("gpt-4o" in m["id"] for m in gpt["items"])
    free = find(client, free="true", limit=100)
    assert free["items"] and all(m["is_free"] for m in free["items"])
    discounted = find(client, discounted="true")
    assert [m["id"] for m in discounted["items"]] == ["deepseek/deepseek-chat"]
    audio_in = find(client, input_modality="audio", limit=100)
    assert {m["id"] for m in audio_in["items"]} >= {"openai/whisper-1", "sarvam/saaras:v3"}
    brands = find(client, brand=["anthropic", "google"], limit=100)
    assert {m["brand"] for m in brands["items"]} == {"anthropic", "google"}
    assert "openai" in brands["brands"]  # the facet leaves the brand filter out
    both = find(client, q="flash", brand="google", output_modality="image")
    assert [m["id"] for m in both["items"]] == ["google/gemini-2.5-flash-image"]


def test_sorting_and_offset_pages(client: httpx.Client) -> None:
    by_id = [m["id"] for m in find(client, sort="id", limit=100)["items"]]
    assert by_id == sorted(by_id)
    desc = [m["id"] for m in find(client, sort="id", order="desc", limit=100)["items"]]
    assert desc == by_id[::-1]
    lengths = find(client, sort="context_length", order="desc", limit=100)["items"]
    known = [m["context_length"] for m in lengths if m["context_length"] is not None]
    assert known == sorted(known, reverse=True)
    assert lengths[-1]["context_length"] is None  # unknown lengths last
    pages = [find(client, sort="id", limit=7, offset=offset) for offset in range(0, 100, 7)]
    assert [m["id"] for p in pages for m in p["items"]] == by_id
    assert all(p["limit"] == 7 for p in pages)


@pytest.mark.parametrize(
    "params", [{"sort": "price"}, {"order": "up"}, {"limit": 0}, {"limit": 101}, {"free": "x"}]
)
def test_search_validation(client: httpx.Client, params: dict[str, Any]) -> None:
    assert client.get("/v1/models/search", params=params).status_code == 422


# ---------------------------------------------------------------------- stored responses


@pytest.fixture
def frozen() -> Iterator[tuple[MeshAPIGateway, httpx.Client]]:
    with (
        MeshAPIGateway(clock_speed=0) as gw,
        httpx.Client(base_url=gw.url, headers={"Authorization": f"Bearer {gw.token}"}) as http,
    ):
        yield gw, http


def test_a_background_response_is_stored_and_completes_on_the_clock(
    frozen: tuple[MeshAPIGateway, httpx.Client],
) -> None:
    gw, client = frozen
    created = client.post("/v1/responses", json={"input": "Hello there", "background": True})
    assert created.status_code == 200
    body = ResponsesResponse.model_validate(created.json())
    assert body.status == "queued" and body.output == [] and body.usage is None
    response_id = body.id
    assert client.get(f"/v1/responses/{response_id}").json()["status"] == "queued"
    gw.clock.advance(gw.timings.response_background_queued)
    assert client.get(f"/v1/responses/{response_id}").json()["status"] == "in_progress"
    gw.clock.advance(gw.timings.response_background_running)
    done = ResponsesResponse.model_validate(client.get(f"/v1/responses/{response_id}").json())
    assert done.status == "completed" and done.usage is not None
    assert done.output[0]["content"][0]["text"] == "You said: Hello there"
    listed = ResponsesListResponse.model_validate(client.get("/v1/responses").json())
    [item] = listed.data
    assert (item.id, item.status, item.usage_synced, item.provider) == (
        response_id,
        "completed",
        True,
        "openai",
    )
    assert item.completed_at is not None and listed.has_more is False


def test_synchronous_responses_are_not_retrievable(client: httpx.Client) -> None:
    created = client.post("/v1/responses", json={"input": "hi"}).json()
    missing = client.get(f"/v1/responses/{created['id']}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.get("/v1/responses").json()["data"] == []


def test_stored_responses_page_by_cursor(client: httpx.Client) -> None:
    ids = [
        client.post("/v1/responses", json={"input": f"n{i}", "background": True}).json()["id"]
        for i in range(5)
    ]
    first = client.get("/v1/responses", params={"limit": 2}).json()
    assert [r["id"] for r in first["data"]] == ids[::-1][:2] and first["has_more"] is True
    assert (first["first_id"], first["last_id"]) == (ids[4], ids[3])
    rest = client.get("/v1/responses", params={"after": first["last_id"], "limit": 10}).json()
    assert [r["id"] for r in rest["data"]] == ids[::-1][2:] and rest["has_more"] is False
    assert client.get("/v1/responses", params={"after": "resp_nope"}).status_code == 400


def test_background_responses_do_not_stream(client: httpx.Client) -> None:
    refused = client.post("/v1/responses", json={"input": "x", "background": True, "stream": True})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "background"


# -------------------------------------------------------------------- structured outputs

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "address": {"$ref": "#/$defs/Address"},
        "nickname": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["name", "age", "tags", "address"],
    "$defs": {
        "Address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "kind": {"enum": ["home", "work"]}},
            "required": ["city", "kind"],
        }
    },
}


def chat(client: httpx.Client, model: str, response_format: Any, text: str) -> httpx.Response:
    return client.post(
        "/v1/chat/completions",
        json={"model": model, "messages": user(text), "response_format": response_format},
    )


def test_a_json_schema_reply_validates_against_the_schema(client: httpx.Client) -> None:
    response_format = {"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA}}
    response = chat(client, "openai/gpt-4o-mini", response_format, "Ada Lovelace lived 36 years")
    assert response.status_code == 200
    reply = json.loads(response.json()["choices"][0]["message"]["content"])
    address = SCHEMA["$defs"]["Address"]
    resolved = {**SCHEMA, "properties": {**SCHEMA["properties"], "address": address}}
    assert problems(reply, resolved) == []
    assert reply["age"] == 36 and reply["name"] == "Lovelace"
    assert reply["address"]["kind"] == "home" and len(reply["tags"]) == 2


def test_json_object_mode_and_text_mode(client: httpx.Client) -> None:
    obj = chat(client, "openai/gpt-4o-mini", {"type": "json_object"}, "hi")
    assert json.loads(obj.json()["choices"][0]["message"]["content"]) == {"reply": "You said: hi"}
    text = chat(client, "openai/gpt-4o-mini", {"type": "text"}, "hi")
    assert text.json()["choices"][0]["message"]["content"] == "You said: hi"


def test_a_model_without_structured_outputs_replies_in_prose(client: httpx.Client) -> None:
    model = "meta-llama/llama-3.1-8b-instruct"
    info = client.get(f"/v1/models/{model}").json()
    assert info["supports_structured_output"] is False
    response_format = {"type": "json_schema", "json_schema": {"name": "p", "schema": SCHEMA}}
    prose = chat(client, model, response_format, "Ada Lovelace")
    assert prose.json()["choices"][0]["message"]["content"] == "You said: Ada Lovelace"


@pytest.mark.parametrize(
    "response_format",
    [
        {"type": "yaml"},
        {"type": "json_schema"},
        {"type": "json_schema", "json_schema": {"schema": {}}},
        {"type": "json_schema", "json_schema": {"name": "x", "schema": []}},
    ],
)
def test_a_malformed_response_format_is_422(client: httpx.Client, response_format: Any) -> None:
    response = chat(client, "openai/gpt-4o-mini", response_format, "hi")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"][:2] == ["body", "response_format"]
