"""Models (list, free, paid, filters) and templates (CRUD, use from chat by name)."""

from __future__ import annotations

from typing import Any

import pytest

from meshapi import (
    ConflictError,
    CreateTemplateParams,
    ModelInfo,
    NotFoundError,
    TemplateSummary,
    UnprocessableEntityError,
    UpdateTemplateParams,
)
from meshapi.testing import MeshAPIGateway

from ._harness import user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"


# --------------------------------------------------------------------------------- models


async def test_models_list_returns_the_whole_catalogue_each_item_with_its_request_id(
    client: Any, gw: MeshAPIGateway
) -> None:
    models = await client.models.list()

    assert models and all(isinstance(m, ModelInfo) for m in models)
    assert MODEL in {m.id for m in models}
    assert len({m._request_id for m in models}) == 1
    assert models[0]._request_id is not None
    sent = gw.last_request(path="/v1/models")
    assert sent.query_string == ""
    assert not sent.has_header("content-type")
    assert not sent.has_header("idempotency-key")


async def test_free_and_paid_split_the_catalogue(client: Any) -> None:
    everything = {m.id for m in await client.models.list()}
    free = await client.models.free()
    paid = await client.models.paid()

    assert free and all(m.is_free for m in free)
    assert paid and not any(m.is_free for m in paid)
    assert {m.id for m in free} | {m.id for m in paid} == everything
    assert {m.id for m in free} & {m.id for m in paid} == set()


async def test_list_filters_by_free_type_and_provider(client: Any, gw: MeshAPIGateway) -> None:
    free = await client.models.list(free=True)
    assert gw.last_request(path="/v1/models").query == {"free": ["true"]}
    paid = await client.models.list(free=False)
    assert gw.last_request(path="/v1/models").query == {"free": ["false"]}
    embedding = await client.models.list(type="embedding")
    anthropic = await client.models.list(provider="anthropic")

    assert {m.id for m in free} == {m.id for m in await client.models.free()}
    assert {m.id for m in paid} == {m.id for m in await client.models.paid()}
    assert embedding and {m.model_type for m in embedding} == {"embedding"}
    assert anthropic and {m.provider for m in anthropic} == {"anthropic"}


async def test_model_prices_are_decimal_strings(client: Any) -> None:
    (row,) = [m for m in await client.models.list() if m.id == MODEL]

    assert row.pricing is not None
    assert isinstance(row.pricing.input_usd_per_unit, str)
    assert float(row.pricing.input_usd_per_unit) > 0


async def test_with_raw_response_works_on_a_bare_array_result(client: Any) -> None:
    raw = await client.models.with_raw_response.free()

    assert raw.status == 200
    assert all(m._request_id == raw.headers["x-request-id"] for m in raw.parsed)


# ------------------------------------------------------------------------------ templates


async def test_template_crud_round_trip(client: Any, gw: MeshAPIGateway) -> None:
    created = await client.templates.create(
        CreateTemplateParams(
            name="support-agent",
            system="You are a support agent for {{company}}. Be concise.",
            model=MODEL,
            variables=["company"],
        )
    )
    assert isinstance(created, TemplateSummary)
    assert created.created_at == created.updated_at
    assert created.is_global is False and created.owner

    listed = await client.templates.list()
    assert [t.id for t in listed] == [created.id]
    assert listed[0]._request_id is not None
    assert (await client.templates.get(created.id)).name == "support-agent"

    gw.clock.advance(2)
    updated = await client.templates.update(
        created.id, UpdateTemplateParams(description="for the help desk")
    )
    assert updated.description == "for the help desk"
    assert updated.system == created.system  # a partial PATCH keeps the rest
    assert updated.updated_at > created.updated_at
    patch = gw.last_request(method="PATCH")
    assert patch.json() == {"description": "for the help desk"}
    assert not patch.has_header("idempotency-key")

    assert await client.templates.delete(created.id) is None
    assert not gw.last_request(method="DELETE").has_header("content-type")
    with pytest.raises(NotFoundError) as caught:
        await client.templates.get(created.id)
    assert caught.value.error_code == "not_found"


async def test_a_duplicate_template_name_is_a_conflict(client: Any) -> None:
    await client.templates.create(name="dup", system="x")

    with pytest.raises(ConflictError) as caught:
        await client.templates.create(name="dup", system="y")

    assert caught.value.error_code == "conflict"


async def test_template_ids_are_percent_encoded_in_the_path(
    client: Any, gw: MeshAPIGateway
) -> None:
    with pytest.raises(NotFoundError):
        await client.templates.get("a/b?c")

    assert gw.last_request(method="GET").raw_path == "/v1/templates/a%2Fb%3Fc"


async def test_an_empty_template_id_is_refused_before_any_request(
    client: Any, gw: MeshAPIGateway
) -> None:
    before = len(gw.requests)

    with pytest.raises(ValueError):
        await client.templates.get("")

    assert len(gw.requests) == before


async def test_chat_uses_a_template_by_name_with_its_variables(
    client: Any, gw: MeshAPIGateway
) -> None:
    await client.templates.create(
        name="greeter", system="You are a support agent for {{company}}. Be concise."
    )

    reply = await client.chat.completions.create(
        model=MODEL, messages=user("hi"), template="greeter", variables={"company": "Acme"}
    )

    # The rendered system message (9 words) is part of the prompt, plus "hi".
    assert reply.usage is not None and reply.usage.prompt_tokens == 10
    sent = gw.last_request(path="/v1/chat/completions").json()
    assert sent["template"] == "greeter" and sent["variables"] == {"company": "Acme"}


async def test_chat_with_an_unknown_template_name_is_not_found_naming_it(client: Any) -> None:
    with pytest.raises(NotFoundError, match="no-such-template") as caught:
        await client.chat.completions.create(messages=user("hi"), template="no-such-template")

    assert caught.value.error_code == "not_found"


async def test_chat_with_a_template_slot_left_empty_is_unprocessable(client: Any) -> None:
    await client.templates.create(name="needs-company", system="Work for {{company}}.")

    with pytest.raises(UnprocessableEntityError, match="company") as caught:
        await client.chat.completions.create(messages=user("hi"), template="needs-company")

    assert caught.value.error_code == "unprocessable_entity"
