"""Templates: CRUD, ownership, and `{{var}}` use from chat, responses and compare (§2.10, §6.1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from meshapi.testing import MeshAPIGateway
from meshapi_core.types import TemplateSummary

from ._helpers import user


def create(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    r = client.post("/v1/templates", json=fields)
    assert r.status_code == 200, r.text
    TemplateSummary.model_validate(r.json())
    return r.json()  # type: ignore[no-any-return]


def test_crud_round_trip(client: httpx.Client) -> None:
    created = create(
        client,
        name="support-agent",
        system="You help {{company}}.",
        model="openai/gpt-4o-mini",
        params={"temperature": 0.2},
        variables=["company"],
    )
    assert created["id"].startswith("tmpl_") and created["owner"] and created["is_global"] is False
    assert created["created_at"] == created["updated_at"]
    assert client.get(f"/v1/templates/{created['id']}").json() == created
    listing = client.get("/v1/templates").json()
    assert isinstance(listing, list) and listing[0]["id"] == created["id"]
    patched = client.patch(f"/v1/templates/{created['id']}", json={"description": "new"}).json()
    assert patched["description"] == "new" and patched["system"] == created["system"]
    assert (
        patched["updated_at"] > created["updated_at"]
        and patched["created_at"] == created["created_at"]
    )
    deleted = client.delete(f"/v1/templates/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    gone = client.get(f"/v1/templates/{created['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"


def test_list_is_newest_first(client: httpx.Client) -> None:
    ids = [create(client, name=f"t{i}")["id"] for i in range(3)]
    assert [t["id"] for t in client.get("/v1/templates").json()] == ids[::-1]


def test_duplicate_name_conflicts_and_missing_name_is_422(client: httpx.Client) -> None:
    create(client, name="dup")
    r = client.post("/v1/templates", json={"name": "dup"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    r = client.post("/v1/templates", json={"system": "x"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["body", "name"]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_ids_are_404_and_ids_are_percent_decoded(client: httpx.Client, method: str) -> None:
    r = client.request(method, "/v1/templates/a%2Fb%3Fc", json={} if method == "PATCH" else None)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert "a/b?c" in r.json()["error"]["message"]
    assert r.headers["x-request-id"] == r.json()["request_id"]


def test_global_templates_are_visible_and_read_only(
    gw: MeshAPIGateway, client: httpx.Client
) -> None:
    shared = gw.add_global_template(name="house-style", system="Write plainly.")
    assert shared["is_global"] is True
    assert shared["id"] in [t["id"] for t in client.get("/v1/templates").json()]
    for method in ("PATCH", "DELETE"):
        r = client.request(
            method,
            f"/v1/templates/{shared['id']}",
            json={"name": "x"} if method == "PATCH" else None,
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    reply = client.post(
        "/v1/chat/completions", json={"template": "house-style", "messages": user("hi")}
    )
    assert reply.status_code == 200


def test_keys_do_not_see_each_others_templates(gw: MeshAPIGateway, client: httpx.Client) -> None:
    mine = create(client, name="private")
    other = gw.add_token()
    r = httpx.get(
        f"{gw.url}/v1/templates/{mine['id']}", headers={"Authorization": f"Bearer {other}"}
    )
    assert r.status_code == 404


def test_interpolation_in_chat_responses_and_compare(client: httpx.Client) -> None:
    create(
        client,
        name="greeter",
        system="You work for {{ company }}.",
        messages=[{"role": "user", "content": "Greet {{who}} from {{company}}"}],
        model="anthropic/claude-haiku-4.5",
        params={"max_tokens": 3},
    )
    chat = client.post(
        "/v1/chat/completions",
        json={
            "template": "greeter",
            "variables": {"company": "ACME", "who": "Ann"},
            "messages": [],
        },
    ).json()
    assert chat["model"] == "anthropic/claude-haiku-4.5"  # the template's model
    assert chat["choices"][0]["message"]["content"] == "You said: Greet"  # template max_tokens 3
    assert chat["choices"][0]["finish_reason"] == "length"
    # 4 words of system, 4 of the template message: the rendered text was counted.
    assert chat["usage"]["prompt_tokens"] == 8
    overridden = client.post(
        "/v1/chat/completions",
        json={
            "template": "greeter",
            "variables": {"company": "ACME", "who": "Ann"},
            "max_tokens": 50,
            "model": "openai/gpt-4o",
            "messages": [],
        },
    ).json()
    assert overridden["model"] == "openai/gpt-4o"
    assert overridden["choices"][0]["message"]["content"] == "You said: Greet Ann from ACME"
    response = client.post(
        "/v1/responses",
        json={
            "template": "greeter",
            "variables": {"company": "ACME", "who": "Bo"},
            "input": "and hi",
        },
    ).json()
    # The request's input comes after the template's messages; all of them are counted.
    assert response["output"][0]["content"][0]["text"] == "You said: and hi"
    assert response["usage"]["input_tokens"] == 4 + 4 + 2
    compare = client.post(
        "/v1/chat/compare",
        json={
            "template": "greeter",
            "variables": {"company": "ACME", "who": "Cy"},
            "messages": [],
            "models": ["openai/gpt-4o-mini"],
        },
    ).json()
    assert compare["results"][0]["content"] == "You said: Greet Cy from ACME"


def test_missing_template_and_missing_variable(client: httpx.Client) -> None:
    r = client.post("/v1/chat/completions", json={"template": "nope", "messages": user("x")})
    assert r.status_code == 404 and "nope" in r.json()["error"]["message"]
    create(client, name="needs", system="Hello {{name}}")
    r = client.post("/v1/chat/completions", json={"template": "needs", "messages": user("x")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unprocessable_entity"
    assert "name" in r.json()["error"]["message"]
