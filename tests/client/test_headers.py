"""What goes on the wire besides the body: request ids, the api-version header, auth,
the SDK header, per-request extra headers, query and body."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import meshapi
from meshapi import MESH_API_VERSION, NotFoundError, validate_request_id
from meshapi.testing import MeshAPIGateway

from ._harness import user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
CHAT = "/v1/chat/completions"


# ----------------------------------------------------------------------------- request ids


async def test_a_request_id_is_sent_and_echoed_into_the_result(
    client: Any, gw: MeshAPIGateway
) -> None:
    reply = await client.chat.completions.create(
        model=MODEL, messages=user("hi"), request_id="trace.1:a-b_c"
    )

    assert gw.last_request(path=CHAT).header("x-request-id") == "trace.1:a-b_c"
    assert reply._request_id == "trace.1:a-b_c"


async def test_a_request_id_on_a_get_and_on_bare_array_items(
    client: Any, gw: MeshAPIGateway
) -> None:
    models = await client.models.list(request_id="list-models-1")

    assert gw.last_request(path="/v1/models").header("x-request-id") == "list-models-1"
    assert {m._request_id for m in models} == {"list-models-1"}


async def test_without_a_request_id_the_header_is_absent_and_the_gateway_mints_one(
    client: Any, gw: MeshAPIGateway
) -> None:
    reply = await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert not gw.last_request(path=CHAT).has_header("x-request-id")
    assert reply._request_id is not None and reply._request_id.startswith("req_")


async def test_a_request_id_on_a_stream_is_the_streams_request_id(
    client: Any, gw: MeshAPIGateway
) -> None:
    stream = client.chat.completions.stream(model=MODEL, messages=user("hi"), request_id="stream-7")
    assert stream.request_id is None  # nothing was sent yet

    async with stream:
        assert stream.request_id == "stream-7"
        final = await stream.get_final_completion()

    assert gw.last_request(path=CHAT).header("x-request-id") == "stream-7"
    assert final._request_id == "stream-7"


async def test_a_request_id_is_echoed_into_errors(client: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.chat.completions.create(
            model="nope/nope", messages=user("hi"), request_id="failing-call-1"
        )

    assert caught.value.request_id == "failing-call-1"


@pytest.mark.parametrize(
    "bad",
    ["", "x" * 65, "has space", "bang!", "a/b", "what?", "line\nbreak", "emoji\U0001f600"],
    ids=["empty", "65-chars", "space", "bang", "slash", "question", "newline", "emoji"],
)
async def test_an_invalid_request_id_is_refused_before_any_request(
    client: Any, gw: MeshAPIGateway, bad: str
) -> None:
    with pytest.raises(ValueError, match="request_id"):
        await client.chat.completions.create(model=MODEL, messages=user("hi"), request_id=bad)
    with pytest.raises(ValueError, match="request_id"):
        await client.models.list(request_id=bad)
    with pytest.raises(ValueError, match="request_id"):
        validate_request_id(bad)

    assert gw.requests == []


async def test_stream_validates_the_request_id_when_called_not_when_used(
    client: Any, gw: MeshAPIGateway
) -> None:
    with pytest.raises(ValueError, match="request_id"):
        client.chat.completions.stream(model=MODEL, messages=user("hi"), request_id="bad id")
    with pytest.raises(ValueError, match="request_id"):
        client.compare.stream(models=[MODEL], messages=user("hi"), request_id="bad id")

    assert gw.requests == []


async def test_concurrent_calls_each_keep_their_own_request_id(client: Any) -> None:
    results: dict[str, str | None] = {}

    async def call(n: int) -> None:
        reply = await client.chat.completions.create(
            model=MODEL, messages=user(f"call {n}"), request_id=f"call-{n}"
        )
        results[f"call-{n}"] = reply._request_id

    async with anyio.create_task_group() as tasks:
        for n in range(5):
            tasks.start_soon(call, n)

    assert results == {f"call-{n}": f"call-{n}" for n in range(5)}


async def test_a_64_character_request_id_is_accepted(client: Any) -> None:
    request_id = "r" * 64

    reply = await client.embeddings.create(
        model="openai/text-embedding-3-small", input="x", request_id=request_id
    )

    assert reply._request_id == request_id


# ------------------------------------------------------------------------- api version


async def test_the_api_version_header_is_sent_by_default_on_every_shape(
    client: Any, gw: MeshAPIGateway
) -> None:
    await client.chat.completions.create(model=MODEL, messages=user("hi"))
    await client.models.list()
    async with client.chat.completions.stream(model=MODEL, messages=user("hi")) as stream:
        await stream.until_done()
    await client.templates.create(name="versioned", system="x")

    assert MESH_API_VERSION == "2026-08"
    assert [r.header("x-mesh-version") for r in gw.requests] == [MESH_API_VERSION] * 4


async def test_an_api_version_override_is_what_is_sent(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    client = make_client(api_version="2026-09")

    with pytest.raises(meshapi.BadRequestError):  # the gateway knows only 2026-08
        await client.models.list()

    assert gw.last_request(path="/v1/models").header_values("x-mesh-version") == ["2026-09"]


@pytest.mark.parametrize("omitted", [None, ""], ids=["none", "empty"])
async def test_api_version_none_or_empty_leaves_the_header_out(
    make_client: Any, gw: MeshAPIGateway, omitted: str | None
) -> None:
    client = make_client(api_version=omitted)

    await client.models.list()
    async with client.chat.completions.stream(model=MODEL, messages=user("hi")) as stream:
        await stream.until_done()

    assert not any(r.has_header("x-mesh-version") for r in gw.requests)


# --------------------------------------------------------------------- the other headers


async def test_every_request_carries_the_token_and_the_sdk_header(
    client: Any, gw: MeshAPIGateway, token: str
) -> None:
    await client.chat.completions.create(model=MODEL, messages=user("hi"))
    await client.models.free()

    for request in gw.requests:
        assert request.header("authorization") == f"Bearer {token}"
        assert request.header("x-meshapi-sdk") == f"python/{meshapi.__version__}"


async def test_posts_carry_json_and_an_idempotency_key_gets_neither(
    client: Any, gw: MeshAPIGateway
) -> None:
    await client.chat.completions.create(model=MODEL, messages=user("hi"))
    await client.models.list()

    post, get = gw.requests
    assert post.header("content-type") == "application/json"
    assert post.header("accept") == "application/json"
    assert post.idempotency_key is not None
    assert not get.has_header("content-type")
    assert get.idempotency_key is None


async def test_extra_headers_apply_last_and_none_removes_a_header(
    client: Any, gw: MeshAPIGateway
) -> None:
    await client.chat.completions.create(
        model=MODEL,
        messages=user("hi"),
        extra_headers={"X-Mesh-Cache": "no-store", "X-Mesh-Version": None},
    )

    sent = gw.last_request(path=CHAT)
    assert sent.header("x-mesh-cache") == "no-store"
    assert not sent.has_header("x-mesh-version")


async def test_extra_query_and_extra_body_are_merged(client: Any, gw: MeshAPIGateway) -> None:
    await client.chat.completions.create(
        model=MODEL,
        messages=user("hi"),
        extra_query={"trace": "on"},
        extra_body={"session_id": "s-1", "cache": False},
    )

    sent = gw.last_request(path=CHAT)
    assert sent.query == {"trace": ["on"]}
    body = sent.json()
    assert (body["session_id"], body["cache"]) == ("s-1", False)
    assert body["model"] == MODEL


async def test_default_headers_go_on_every_request(make_client: Any, gw: MeshAPIGateway) -> None:
    client = make_client(default_headers={"X-Team": "search"})

    await client.models.list()
    async with client.chat.completions.stream(model=MODEL, messages=user("hi")) as stream:
        await stream.until_done()

    assert [r.header("x-team") for r in gw.requests] == ["search", "search"]


async def test_a_base_url_path_prefix_is_kept(make_client: Any, gw: MeshAPIGateway) -> None:
    client = make_client(base_url=gw.url + "/mesh/", max_retries=0)

    with pytest.raises(meshapi.MeshAPIError):  # the gateway serves no /mesh prefix
        await client.models.list()

    assert gw.requests[-1].path == "/mesh/v1/models"
