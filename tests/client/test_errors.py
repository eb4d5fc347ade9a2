"""Error mapping: every failure is a MeshAPIError subclass with the contract's fields."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from meshapi import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    MeshAPIError,
    NotFoundError,
    RateLimitError,
    ResponseParseError,
    UnprocessableEntityError,
)
from meshapi.testing import Fail, HtmlPage, JsonBody, MeshAPIGateway, RawBytes, TruncatedJson

from ._harness import user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
CHAT = "/v1/chat/completions"


def assert_is_ours(error: BaseException) -> None:
    """A MeshAPIError of the SDK's own hierarchy, never a transport's exception."""
    assert isinstance(error, MeshAPIError)
    assert type(error).__module__.startswith("meshapi")
    assert isinstance(error.error_code, str) and error.error_code
    assert isinstance(error.request_id, str)


async def test_a_bad_token_is_an_authentication_error(make_client: Any) -> None:
    client = make_client(token="rsk_not_a_real_key")

    with pytest.raises(AuthenticationError) as caught:
        await client.chat.completions.create(model=MODEL, messages=user("hi"))

    error = caught.value
    assert_is_ours(error)
    assert (error.status, error.error_code) == (401, "unauthorized")
    assert error.request_id.startswith("req_")
    assert "rsk_not_a_real_key" not in str(error) + repr(error)


async def test_a_bad_token_on_a_stream_raises_on_entry(make_client: Any) -> None:
    client = make_client(token="rsk_not_a_real_key")
    stream = client.chat.completions.stream(model=MODEL, messages=user("hi"))

    with pytest.raises(AuthenticationError):
        async with stream:
            pass


async def test_an_unknown_model_is_not_found_with_its_own_code(client: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.chat.completions.create(model="nope/nope", messages=user("hi"))

    assert_is_ours(caught.value)
    assert (caught.value.status, caught.value.error_code) == (404, "model_not_found")
    assert "nope/nope" in str(caught.value)


async def test_an_unknown_model_on_a_stream_raises_on_first_iteration(client: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        async for _ in client.chat.completions.stream(model="nope/nope", messages=user("hi")):
            pass

    assert caught.value.error_code == "model_not_found"


async def test_an_unknown_template_is_not_found(client: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.templates.get("tmpl_missing")

    assert (caught.value.status, caught.value.error_code) == (404, "not_found")


async def test_a_gateway_validation_failure_carries_its_details(client: Any) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        await client.chat.completions.create(
            model=MODEL, messages=user("hi"), extra_body={"reasoning_effort": "extreme"}
        )

    error = caught.value
    assert (error.status, error.error_code) == (422, "validation_error")
    assert error.details[0]["loc"] == ["body", "reasoning_effort"]
    assert "reasoning_effort" in str(error)


async def test_an_injected_429_envelope_is_a_rate_limit_error_with_its_delay(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(Fail(429, body_retry_after=12), path=CHAT)

    with pytest.raises(RateLimitError) as caught:
        await client.chat.completions.create(model=MODEL, messages=user("hi"), max_retries=0)

    error = caught.value
    assert (error.status, error.error_code) == (429, "rate_limit_exceeded")
    assert error.retry_after_seconds == 12
    assert error.request_id == gw.last_request(path=CHAT).request_id


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (500, "internal_error"),
        (502, "upstream_error"),
        (503, "provider_not_available"),
        (504, "gateway_timeout"),
    ],
)
async def test_injected_5xx_envelopes_are_internal_server_errors_with_the_body_code(
    client: Any, gw: MeshAPIGateway, status: int, code: str
) -> None:
    provider_error = {"provider": "openai", "status": status, "message": "boom"}
    gw.add_fault(Fail(status, code=code, provider_error=provider_error), path=CHAT)

    with pytest.raises(InternalServerError) as caught:
        await client.chat.completions.create(model=MODEL, messages=user("hi"), max_retries=0)

    assert (caught.value.status, caught.value.error_code) == (status, code)
    assert caught.value.provider_error == provider_error


async def test_an_html_error_page_is_a_parse_error_of_that_status(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(HtmlPage(502), path="/v1/models")

    with pytest.raises(InternalServerError) as caught:
        await client.models.list(max_retries=0)

    error = caught.value
    assert isinstance(error, MeshAPIError)
    assert (error.status, error.error_code) == (502, "parse_error")
    assert "502 Bad Gateway" in str(error)
    assert error.request_id.startswith("req_")


async def test_a_fastapi_style_detail_body_is_mapped_by_status(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(JsonBody(404, {"detail": "Model not found"}), path="/v1/models")

    with pytest.raises(NotFoundError, match="Model not found") as caught:
        await client.models.list()

    assert caught.value.error_code == "not_found"


async def test_a_success_body_that_is_not_json_is_a_parse_error_with_status_200(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(RawBytes(b"surprise", content_type="text/plain"), path="/v1/models")

    with pytest.raises(ResponseParseError) as caught:
        await client.models.list()

    assert (caught.value.status, caught.value.error_code) == (200, "parse_error")


async def test_a_truncated_success_body_is_a_parse_error(client: Any, gw: MeshAPIGateway) -> None:
    gw.add_fault(TruncatedJson(), path=CHAT)

    with pytest.raises(ResponseParseError) as caught:
        await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert caught.value.status == 200
    assert caught.value.request_id.startswith("req_")


@pytest.mark.parametrize(
    ("status", "error_class", "code"),
    [(401, AuthenticationError, "unauthorized"), (404, NotFoundError, "not_found")],
)
async def test_a_non_json_4xx_is_mapped_by_its_status(
    client: Any, gw: MeshAPIGateway, status: int, error_class: type, code: str
) -> None:
    gw.add_fault(RawBytes(b"  nope  ", status=status, content_type="text/plain"), path="/v1/models")

    with pytest.raises(error_class) as caught:
        await client.models.list()

    assert (caught.value.status, caught.value.error_code, str(caught.value)) == (
        status,
        code,
        "nope",
    )


async def test_a_redirect_is_not_followed_but_raised_as_an_http_error(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(
        RawBytes(b"", status=302, content_type=None, headers={"Location": gw.url + "/v1/models"}),
        path="/v1/models/free",
    )

    with pytest.raises(MeshAPIError) as caught:
        await client.models.free()

    assert (caught.value.status, caught.value.error_code) == (302, "http_error")
    assert [r.path for r in gw.requests] == ["/v1/models/free"]


async def test_an_unknown_api_version_is_a_bad_request(make_client: Any) -> None:
    client = make_client(api_version="1999-01")

    with pytest.raises(BadRequestError) as caught:
        await client.models.list()

    assert caught.value.error_code == "invalid_api_version"


async def test_a_refused_connection_is_a_connection_error_with_the_cause_chained(
    make_client: Any,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{port}", max_retries=0)

    with pytest.raises(APIConnectionError) as caught:
        await client.models.list()

    error = caught.value
    assert_is_ours(error)
    assert (error.status, error.error_code) == (0, "connection_error")
    assert error.__cause__ is not None
    stream = client.chat.completions.stream(model=MODEL, messages=user("hi"))
    with pytest.raises(APIConnectionError):
        async with stream:
            pass
