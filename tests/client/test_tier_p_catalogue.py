"""`images.edit`, `models.search`/`get` and `responses.list`/`get` on every driver (§7.1)."""

from __future__ import annotations

from typing import Any

import anyio
import pydantic
import pytest

from meshapi import (
    BadRequestError,
    ImageEditParams,
    ImageGenerationResponse,
    ImageRef,
    ModelInfo,
    ModelSearchParams,
    ModelsPage,
    NotFoundError,
    ResponsesListResponse,
    ResponsesResponse,
    UnprocessableEntityError,
)
from meshapi.testing import MeshAPIGateway

pytestmark = pytest.mark.anyio

PNG = (  # a 1×1 PNG, as bare base64
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg=="
)


# ---------------------------------------------------------------------------- images.edit


async def test_edit_returns_real_pngs(client: Any, gw: MeshAPIGateway) -> None:
    result = await client.images.edit(
        ImageEditParams(
            model="openai/gpt-image-1",
            image=ImageRef(url=f"data:image/png;base64,{PNG}"),
            prompt="make the sky purple",
            n=2,
        )
    )
    assert isinstance(result, ImageGenerationResponse) and result._request_id
    images = [item.image_bytes() for item in result.data]
    assert len(images) == 2 and all(data[:8] == b"\x89PNG\r\n\x1a\n" for data in images)
    sent = gw.last_request(path="/v1/images/edits")
    assert sent.idempotency_key and sent.header("content-type") == "application/json"
    assert sent.json() == {
        "model": "openai/gpt-image-1",
        "image": {"url": f"data:image/png;base64,{PNG}"},
        "prompt": "make the sky purple",
        "operation": "edit",
        "n": 2,
    }


async def test_edit_operations_and_their_errors(client: Any) -> None:
    upscaled = await client.images.edit(
        model="black-forest-labs/flux-1.1-pro", image=PNG, operation="upscale", upscale_factor=2
    )
    assert upscaled.size == "32x32"
    with pytest.raises(UnprocessableEntityError) as unsupported:
        await client.images.edit(model="openai/gpt-image-1", image=PNG, operation="upscale")
    assert "does not support the 'upscale' operation" in str(unsupported.value)
    with pytest.raises(BadRequestError) as remote:
        await client.images.edit(
            model="openai/gpt-image-1", image="https://example.com/a.png", prompt="x"
        )
    assert remote.value.error_code == "invalid_request"
    with pytest.raises(pydantic.ValidationError, match="operation"):
        await client.images.edit(model="openai/gpt-image-1", image=PNG, operation="paint")


# ---------------------------------------------------------------------------- models


async def test_search_the_catalogue(client: Any, gw: MeshAPIGateway) -> None:
    page = await client.models.search(
        ModelSearchParams(q="gpt", brand=["openai"], sort="id", limit=3, free=False)
    )
    assert isinstance(page, ModelsPage) and page._request_id
    assert page.limit == 3 and page.offset == 0 and page.total > 3
    assert [m.id for m in page.items] == sorted(m.id for m in page.items)
    assert all(isinstance(m, ModelInfo) and m.brand == "openai" for m in page.items)
    assert page.brands == ["openai"]
    assert gw.last_request(path="/v1/models/search").query == {
        "q": ["gpt"],
        "free": ["false"],
        "brand": ["openai"],
        "sort": ["id"],
        "limit": ["3"],
    }
    rest = await client.models.search(q="gpt", brand="openai", sort="id", offset=3, limit=100)
    assert len(page.items) + len(rest.items) == page.total
    everything = await client.models.search()
    assert gw.last_request(path="/v1/models/search").query_string == ""
    assert everything.total == len(await client.models.list())


async def test_get_keeps_the_slash_of_the_id(client: Any, gw: MeshAPIGateway) -> None:
    model = await client.models.get("sarvam/bulbul:v2")
    assert isinstance(model, ModelInfo) and model.id == "sarvam/bulbul:v2"
    assert model._request_id
    assert gw.last_request(method="GET").raw_path == "/v1/models/sarvam/bulbul%3Av2"
    with pytest.raises(NotFoundError) as caught:
        await client.models.get("nobody/nothing")
    assert str(caught.value) == "Model not found" and caught.value.status == 404
    with pytest.raises(ValueError, match="model_id"):
        await client.models.get("")


# ------------------------------------------------------------------ stored responses


async def test_background_responses_are_listed_and_retrieved(client: Any) -> None:
    created = await client.responses.create(input="Write one line", background=True)
    assert created.status == "queued"
    for _ in range(200):
        current = await client.responses.get(created.id)
        if current.status == "completed":
            break
        await anyio.sleep(0.02)
    assert isinstance(current, ResponsesResponse) and current._request_id
    assert current.status == "completed"
    assert current.output[0]["content"][0]["text"] == "You said: Write one line"
    listed = await client.responses.list(limit=10)
    assert isinstance(listed, ResponsesListResponse)
    assert [item.id for item in listed.data] == [created.id]
    assert listed.data[0].completed_at is not None and listed.has_more is False


async def test_responses_pages_and_unknown_ids(client: Any, gw: MeshAPIGateway) -> None:
    ids = [(await client.responses.create(input=f"n{n}", background=True)).id for n in range(3)]
    first = await client.responses.list(limit=2)
    assert [item.id for item in first.data] == ids[::-1][:2] and first.has_more
    second = await client.responses.list(after=first.last_id, limit=2)
    assert [item.id for item in second.data] == [ids[0]] and not second.has_more
    assert gw.last_request(path="/v1/responses", method="GET").query == {
        "after": [first.last_id],
        "limit": ["2"],
    }
    synchronous = await client.responses.create(input="not stored")
    with pytest.raises(NotFoundError):
        await client.responses.get(synchronous.id)
    with pytest.raises(pydantic.ValidationError, match="limit"):
        await client.responses.list(limit=0)
