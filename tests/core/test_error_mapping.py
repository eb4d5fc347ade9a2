"""HTTP error responses to MeshAPIError: golden tables for protocol.md §4.3/§4.4, §1.5."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshapi_core._error_mapping import (
    code_for_status,
    error_from_response,
    error_from_success_body,
    parse_retry_after,
)
from meshapi_core._errors import (
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    MeshAPIError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
    UnprocessableEntityError,
)

NOW = 1_700_000_000.0  # a fixed "current time": the core never reads the clock
JSON = {"content-type": "application/json"}


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _envelope(**error: Any) -> bytes:
    return _json({"error": error, "request_id": "req_body"})


# ---------------------------------------------------------------------------------------
# §4.3 rule 1 (JSON bodies) and rule 2 (everything else): one row per rule.
# (id, status, headers, body, code, message, class)

GOLDEN: list[tuple[str, int, dict[str, str], bytes, str, str, type[MeshAPIError]]] = [
    (
        "envelope",
        429,
        JSON,
        _envelope(code="rate_limit_exceeded", message="Rate limit exceeded: 60 rpm."),
        "rate_limit_exceeded",
        "Rate limit exceeded: 60 rpm.",
        RateLimitError,
    ),
    (
        "envelope-code-wins-over-table",
        404,
        JSON,
        _envelope(code="model_not_found", message="no such model"),
        "model_not_found",
        "no such model",
        NotFoundError,
    ),
    (
        "envelope-empty-code-and-message",
        403,
        JSON,
        _envelope(code="", message=""),
        "forbidden",
        "HTTP 403",
        PermissionDeniedError,
    ),
    (
        "envelope-non-string-code-and-message",
        402,
        JSON,
        _envelope(code=7, message=None),
        "spend_limit_exceeded",
        "HTTP 402",
        PaymentRequiredError,
    ),
    (
        "envelope-missing-fields",
        400,
        JSON,
        _json({"error": {}}),
        "invalid_request",
        "HTTP 400",
        BadRequestError,
    ),
    (
        "error-string",
        401,
        JSON,
        _json({"error": "Invalid API key"}),
        "unauthorized",
        "Invalid API key",
        AuthenticationError,
    ),
    (
        "detail-string",
        404,
        JSON,
        _json({"detail": "Model not found"}),
        "not_found",
        "Model not found",
        NotFoundError,
    ),
    (
        "detail-list",
        422,
        JSON,
        _json(
            {
                "detail": [
                    {"loc": ["body", "model"], "msg": "field required", "type": "missing"},
                    {"loc": ["body", "messages", 0], "msg": "bad", "type": "x"},
                ]
            }
        ),
        "validation_error",
        "body.model: field required; body.messages.0: bad",
        UnprocessableEntityError,
    ),
    (
        "detail-list-odd-items",
        422,
        JSON,
        _json({"detail": [{"msg": "no loc"}, "plain", {"loc": "body", "msg": 3}]}),
        "validation_error",
        'no loc; "plain"; body: 3',
        UnprocessableEntityError,
    ),
    (
        "detail-object-with-message",
        409,
        JSON,
        _json({"detail": {"message": "duplicate name", "name": "t1"}}),
        "conflict",
        "duplicate name",
        ConflictError,
    ),
    (
        "detail-object-without-message",
        409,
        JSON,
        _json({"detail": {"name": "t1", "n": 2}}),
        "conflict",
        '{"name":"t1","n":2}',
        ConflictError,
    ),
    (
        "top-level-message",
        400,
        JSON,
        _json({"message": "bad input", "code": "ignored"}),
        "invalid_request",
        "bad input",
        BadRequestError,
    ),
    (
        "other-json-object",
        400,
        JSON,
        _json({"oops": [1, 2], "ok": False}),
        "invalid_request",
        '{"oops":[1,2],"ok":false}',
        BadRequestError,
    ),
    (
        "non-object-json-list",
        422,
        JSON,
        b"[1, 2, 3]",
        "validation_error",
        "[1,2,3]",
        UnprocessableEntityError,
    ),
    ("non-object-json-string", 400, JSON, b'"nope"', "invalid_request", '"nope"', BadRequestError),
    ("non-object-json-null", 503, JSON, b"null", "upstream_error", "null", InternalServerError),
    (
        "error-null-falls-through",
        400,
        JSON,
        _json({"error": None, "detail": "d"}),
        "invalid_request",
        "d",
        BadRequestError,
    ),
    (
        "malformed-json",
        500,
        JSON,
        b'{"error": {"code": ',
        "parse_error",
        '{"error": {"code":',
        InternalServerError,
    ),
    ("malformed-json-4xx", 400, JSON, b"not json", "parse_error", "not json", BadRequestError),
    ("empty-json-body", 503, JSON, b"", "parse_error", "HTTP 503", InternalServerError),
    (
        "problem-json",
        404,
        {"content-type": "application/problem+json; charset=utf-8"},
        _json({"detail": "gone", "title": "Not Found"}),
        "not_found",
        "gone",
        NotFoundError,
    ),
    (
        "json-with-parameters-and-case",
        400,
        {"content-type": " Application/JSON ; charset=UTF-8"},
        _envelope(code="invalid_api_version", message="unknown version"),
        "invalid_api_version",
        "unknown version",
        BadRequestError,
    ),
    (
        "json-with-bom",
        400,
        JSON,
        b"\xef\xbb\xbf" + _json({"detail": "bom"}),
        "invalid_request",
        "bom",
        BadRequestError,
    ),
    (
        "non-json-404",
        404,
        {"content-type": "text/plain"},
        b"  Task not found\n",
        "not_found",
        "Task not found",
        NotFoundError,
    ),
    (
        "non-json-401",
        401,
        {"content-type": "text/html"},
        b"<h1>401</h1>",
        "unauthorized",
        "<h1>401</h1>",
        AuthenticationError,
    ),
    (
        "non-json-502-html",
        502,
        {"content-type": "text/html"},
        b"<html><body>502 Bad Gateway</body></html>",
        "parse_error",
        "<html><body>502 Bad Gateway</body></html>",
        InternalServerError,
    ),
    ("no-content-type-500", 500, {}, b"", "parse_error", "HTTP 500", InternalServerError),
    ("non-json-408", 408, {}, b"slow", "timeout", "slow", APITimeoutError),
    (
        "non-json-unknown-4xx",
        418,
        {"content-type": "text/plain"},
        b"teapot",
        "http_error",
        "teapot",
        MeshAPIError,
    ),
    (
        "non-json-whitespace-body",
        429,
        {},
        b" \r\n\t ",
        "rate_limit_exceeded",
        "HTTP 429",
        RateLimitError,
    ),
    (
        "json-looking-but-text-plain",
        400,
        {"content-type": "text/plain"},
        _envelope(code="x"),
        "invalid_request",
        _envelope(code="x").decode(),
        BadRequestError,
    ),
    (
        "json-suffix-needs-a-subtype",
        400,
        {"content-type": "application/+json"},
        b"{}",
        "invalid_request",
        "{}",
        BadRequestError,
    ),
    (
        "invalid-utf8",
        404,
        {"content-type": "text/plain"},
        b"caf\xe9 \xff",
        "not_found",
        "caf\ufffd \ufffd",
        NotFoundError,
    ),
    (
        "redirect-non-json",
        302,
        {"content-type": "text/html", "location": "https://elsewhere.example/"},
        b"<a href='...'>Found</a>",
        "http_error",
        "HTTP 302: redirects are not followed (check base_url)",
        MeshAPIError,
    ),
    (
        "redirect-json-envelope-keeps-http-error",
        307,
        JSON,
        _envelope(code="moved", message="use the other host"),
        "http_error",
        "use the other host",
        MeshAPIError,
    ),
]


@pytest.mark.parametrize(
    ("status", "headers", "body", "code", "message", "cls"),
    [pytest.param(*row[1:], id=row[0]) for row in GOLDEN],
)
def test_golden(
    status: int,
    headers: dict[str, str],
    body: bytes,
    code: str,
    message: str,
    cls: type[MeshAPIError],
) -> None:
    error = error_from_response(status, headers, body, now=NOW)
    assert type(error) is cls
    assert error.status == status
    assert error.error_code == code
    assert str(error) == message
    assert error.args[0] == message


def test_envelope_carries_details_provider_error_param_and_retry_after() -> None:
    details = [{"type": "literal_error", "loc": ["body", "reasoning_effort"], "msg": "bad"}]
    provider = {"provider": "openai", "status": 500, "message": "boom"}
    body = _envelope(
        code="upstream_error",
        message="upstream failed",
        details=details,
        provider_error=provider,
        param="reasoning_effort",
        retry_after_seconds=0,
    )
    error = error_from_response(502, JSON, body, now=NOW)
    assert type(error) is InternalServerError
    assert error.details == details
    assert error.provider_error == provider
    assert error.param == "reasoning_effort"
    assert error.retry_after_seconds == 0
    assert error.request_id == "req_body"


@pytest.mark.parametrize(
    "field",
    [{"details": "x", "provider_error": "x", "param": 3}, {"details": None, "provider_error": []}],
)
def test_envelope_ignores_malformed_optional_fields(field: dict[str, Any]) -> None:
    error = error_from_response(400, JSON, _envelope(code="c", message="m", **field), now=NOW)
    assert error.details == []
    assert error.provider_error is None
    assert error.param is None


def test_detail_list_sets_details_and_object_wraps_it() -> None:
    items = [{"loc": ["query", "limit"], "msg": "too big", "type": "x"}]
    assert error_from_response(422, JSON, _json({"detail": items}), now=NOW).details == items
    obj = {"message": "m", "k": 1}
    assert error_from_response(409, JSON, _json({"detail": obj}), now=NOW).details == [obj]


@pytest.mark.parametrize(
    "body",
    [
        _json({"detail": [{"loc": ["body", f"f{i}"], "msg": "m" * 20} for i in range(100)]}),
        _json({"detail": {"blob": "x" * 900}}),
        _json(["x" * 900]),
        _json({"other": "x" * 900}),
        b"{" + b"x" * 900,
    ],
)
def test_messages_built_from_bodies_are_cut_to_500(body: bytes) -> None:
    assert len(str(error_from_response(400, JSON, body, now=NOW))) == 500


@pytest.mark.parametrize(
    "body",
    [
        _envelope(code="c", message="x" * 900),
        _json({"error": "x" * 900}),
        _json({"detail": "x" * 900}),
        _json({"detail": {"message": "x" * 900}}),
        _json({"message": "x" * 900}),
    ],
)
def test_messages_the_server_wrote_are_kept_whole(body: bytes) -> None:
    # §4.3 sets the 500 limit only for text, flattened lists and compact JSON.
    assert str(error_from_response(400, JSON, body, now=NOW)) == "x" * 900


def test_non_json_message_is_stripped_then_cut_to_500() -> None:
    error = error_from_response(404, {}, b"\n   " + b"y" * 800, now=NOW)
    assert str(error) == "y" * 500


def test_deeply_nested_json_is_a_parse_error_not_a_crash() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    error = error_from_response(500, JSON, deep, now=NOW)
    assert error.error_code == "parse_error"
    assert len(str(error)) == 500


def test_status_table() -> None:
    assert {s: code_for_status(s) for s in (400, 401, 402, 403, 404, 408, 409, 422, 429)} == {
        400: "invalid_request",
        401: "unauthorized",
        402: "spend_limit_exceeded",
        403: "forbidden",
        404: "not_found",
        408: "timeout",
        409: "conflict",
        422: "validation_error",
        429: "rate_limit_exceeded",
    }
    assert {code_for_status(s) for s in (500, 502, 503, 504)} == {"upstream_error"}
    assert {code_for_status(s) for s in (301, 405, 410, 501, 505, 599, 0, 999)} == {"http_error"}


# ---------------------------------------------------------------------------------------
# §4.4 precedence: retry_after_seconds


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("0", 0),
        ("12", 12),
        (" 7 ", 7),
        ("1.5", 2),
        ("1.0", 1),
        ("0.001", 1),
        ("1.0000000000000000000001", 2),  # exact: a float would round this to 1.0
        ("-1", None),
        ("-0.5", None),
        ("+5", None),
        ("1e3", None),
        ("inf", None),
        ("nan", None),
        ("9" * 400, None),  # beyond the float range counts as non-finite
        ("", None),
        ("soon", None),
        ("12 seconds", None),
        ("\u0661\u0662", None),  # Arabic-Indic digits are not delta-seconds
        (format_datetime(datetime.fromtimestamp(NOW + 30, timezone.utc), usegmt=True), 30),
        ("Tue, 14 Nov 2023 22:13:50 GMT", 30),  # the same date, written out
        ("Tue, 14 Nov 2023 22:13:50 -0000", 30),  # naive in email.utils: taken as GMT
        ("Tuesday, 14-Nov-23 22:13:50 GMT", 30),  # RFC 850, obsolete but allowed
        ("Tue Nov 14 22:13:50 2023", 30),  # asctime
        ("Tue, 14 Nov 2023 22:13:20.5 GMT", None),  # fractional seconds are not HTTP-date
        ("Tue, 14 Nov 2023 22:13:20 GMT", 0),  # exactly now
        ("Tue, 14 Nov 2023 22:00:00 GMT", 0),  # past: clamped at 0
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
        ("Tue, 14 Nov 2023 22:13:50 +0100", 0),  # 21:13:50 GMT is in the past
        ("Fri, 31 Dec 9999 23:59:59 GMT", 253402300799 - int(NOW)),
        ("Wed, 32 Oct 2015 07:28:00 GMT", None),
        ("Wed, 21 Oct 99999 07:28:00 GMT", None),
        ("Wed, 21 Oct 2015 07:28:00 +9999", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: int | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_date_rounds_up_against_a_fractional_now() -> None:
    date = "Tue, 14 Nov 2023 22:13:50 GMT"  # NOW + 30
    assert parse_retry_after(date, now=NOW + 0.25) == 30  # 29.75 s rounds up
    assert parse_retry_after(date, now=float("nan")) is None


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        (_envelope(code="c", retry_after_seconds=12), {"retry-after": "3"}, 12),  # body wins
        (_envelope(code="c", retry_after_seconds=0), {"retry-after": "3"}, 0),
        (_envelope(code="c", retry_after_seconds=True), {"retry-after": "3"}, 3),  # bool: no
        (_envelope(code="c", retry_after_seconds=-1), {"retry-after": "3"}, 3),
        (_envelope(code="c", retry_after_seconds=2.5), {"retry-after": "3"}, 3),  # not an int
        (_envelope(code="c", retry_after_seconds="4"), {"retry-after": "1.2"}, 2),
        (_envelope(code="c", retry_after_seconds=None), {}, None),
        (_envelope(code="c"), {"retry-after": "Tue, 14 Nov 2023 22:14:20 GMT"}, 60),
        (_envelope(code="c"), {"retry-after": "garbage"}, None),
        (_json({"detail": "x", "retry_after_seconds": 9}), {"retry-after": "5"}, 5),
        (b"not json", {"retry-after": "5"}, 5),
    ],
)
def test_retry_after_precedence(body: bytes, headers: dict[str, str], expected: int | None) -> None:
    error = error_from_response(429, {**JSON, **headers}, body, now=NOW)
    assert error.retry_after_seconds == expected


@pytest.mark.parametrize(
    "headers", [{"content-type": "text/html", "retry-after": "7"}, {"retry-after": "7"}]
)
def test_retry_after_in_non_json_branches(headers: dict[str, str]) -> None:
    assert error_from_response(503, headers, b"<html/>", now=NOW).retry_after_seconds == 7
    assert error_from_response(429, headers, b"", now=NOW).retry_after_seconds == 7


# ---------------------------------------------------------------------------------------
# §4.4 precedence: request_id


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        (
            _json({"error": {"code": "c"}, "request_id": "req_b"}),
            {"x-request-id": "req_h"},
            "req_b",
        ),
        (_json({"error": {"code": "c"}, "request_id": ""}), {"x-request-id": "req_h"}, "req_h"),
        (_json({"error": {"code": "c"}, "request_id": 5}), {"x-request-id": "req_h"}, "req_h"),
        (_json({"error": {"code": "c"}, "request_id": None}), {}, ""),
        (_json({"detail": "d", "request_id": "req_b"}), {"x-request-id": "req_h"}, "req_b"),
        (_json({"error": {"code": "c"}}), {"x-request-id": ""}, ""),
        (_json(["request_id"]), {"x-request-id": "req_h"}, "req_h"),
        (b"{broken", {"x-request-id": "req_h"}, "req_h"),
    ],
)
def test_request_id_precedence(body: bytes, headers: dict[str, str], expected: str) -> None:
    error = error_from_response(400, {**JSON, **headers}, body, now=NOW)
    assert error.request_id == expected


def test_request_id_from_header_in_non_json_branches() -> None:
    for status in (302, 404, 502):
        error = error_from_response(status, {"x-request-id": "req_h"}, b"x", now=NOW)
        assert error.request_id == "req_h"
    assert error_from_response(404, {}, b"x", now=NOW).request_id == ""


class _CaseInsensitiveHeaders(Mapping[str, str]):
    """Stands in for httpx.Headers / CIMultiDictProxy: any case on the way in."""

    def __init__(self, items: dict[str, str]) -> None:
        self._items = {k.lower(): v for k, v in items.items()}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def test_headers_may_be_a_case_insensitive_mapping() -> None:
    headers = _CaseInsensitiveHeaders(
        {"Content-Type": "application/json", "X-Request-Id": "req_h", "Retry-After": "4"}
    )
    error = error_from_response(404, headers, _json({"detail": "d"}), now=NOW)
    assert (error.error_code, str(error), error.request_id) == ("not_found", "d", "req_h")
    assert error.retry_after_seconds == 4


# ---------------------------------------------------------------------------------------
# the error value itself


def test_repr_is_the_documented_shape_and_token_free() -> None:
    token = "rsk_live_secret_token"
    error = error_from_response(
        429,
        {**JSON, "x-request-id": "req_1", "authorization": f"Bearer {token}"},
        _envelope(code="rate_limit_exceeded", message="slow down"),
        now=NOW,
    )
    assert repr(error) == (
        "RateLimitError(status=429, error_code='rate_limit_exceeded', "
        "request_id='req_body', message='slow down')"
    )
    assert token not in repr(error) + str(error) + repr(error.__dict__)


def test_errors_pickle() -> None:
    error = error_from_response(
        422, JSON, _envelope(code="validation_error", message="m", details=[{"a": 1}]), now=NOW
    )
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is UnprocessableEntityError
    assert (clone.status, clone.error_code, clone.request_id, clone.details, str(clone)) == (
        422,
        "validation_error",
        "req_body",
        [{"a": 1}],
        "m",
    )


# ---------------------------------------------------------------------------------------
# §1.5 "Non-JSON success"


class _Model(pydantic.BaseModel):
    id: str
    n: int


def test_success_body_validation_error() -> None:
    try:
        _Model.model_validate({"n": "secret-value"})
    except pydantic.ValidationError as exc:
        cause = exc
    error = error_from_success_body(200, {"x-request-id": "req_ok"}, cause)
    assert type(error) is ResponseParseError
    assert (error.status, error.error_code, error.request_id) == (200, "parse_error", "req_ok")
    assert error.__cause__ is cause
    assert str(error).startswith("HTTP 200: the response did not validate as _Model: ")
    assert "id: Field required" in str(error)
    assert [d["loc"] for d in error.details] == [["id"], ["n"]]
    # response content stays in the chained cause, out of the message and details
    assert "secret-value" not in str(error) + repr(error.details)


def test_success_body_json_error() -> None:
    try:
        json.loads("<html>")
    except ValueError as exc:
        cause = exc
    error = error_from_success_body(201, {}, cause)
    assert type(error) is ResponseParseError
    assert (error.status, error.error_code, error.request_id) == (201, "parse_error", "")
    assert str(error) == "HTTP 201: the response body is not valid JSON: " + str(cause)
    assert error.__cause__ is cause


def test_success_body_other_cause() -> None:
    cause = UnicodeError("x")  # a ValueError subclass still reads as a JSON problem
    assert "not valid JSON" in str(error_from_success_body(200, {}, cause))
    error = error_from_success_body(200, {}, KeyError("k"))
    assert str(error) == "HTTP 200: the response body could not be parsed: KeyError"


# ---------------------------------------------------------------------------------------
# totality: any input gives a MeshAPIError, never an exception

_HEADER_NAMES = st.sampled_from(
    ["content-type", "retry-after", "x-request-id", "x-mesh-version", "location"]
) | st.text(max_size=12)
_HEADER_VALUES = st.sampled_from(
    [
        "application/json",
        "application/problem+json; charset=utf-8",
        "text/html",
        "+json",
        "application/+json",
        "12",
        "1.5",
        "-3",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 +2359",
        "",
    ]
) | st.text(max_size=40)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "error",
                    "detail",
                    "message",
                    "code",
                    "request_id",
                    "retry_after_seconds",
                    "details",
                    "provider_error",
                    "param",
                    "loc",
                    "msg",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)
_BODIES = (
    st.binary(max_size=300)
    | _JSON_VALUES.map(lambda v: json.dumps(v).encode())
    | _JSON_VALUES.map(lambda v: json.dumps({"error": v, "detail": v}).encode())
    | st.integers(1, 3000).map(lambda d: b"[" * d + b"]" * d)
)


@settings(max_examples=2000, deadline=None)
@given(
    status=st.integers(min_value=100, max_value=999) | st.integers(),
    headers=st.dictionaries(_HEADER_NAMES, _HEADER_VALUES, max_size=5),
    body=_BODIES,
    now=st.floats(),
)
def test_any_response_maps_to_an_error(
    status: int, headers: dict[str, str], body: bytes, now: float
) -> None:
    error = error_from_response(status, headers, body, now=now)
    assert isinstance(error, MeshAPIError)
    assert error.status == status
    assert isinstance(error.error_code, str)
    assert error.error_code
    assert isinstance(error.request_id, str)
    assert str(error)
    assert isinstance(error.details, list)
    assert error.retry_after_seconds is None or (
        type(error.retry_after_seconds) is int and error.retry_after_seconds >= 0
    )
    repr(error)


@settings(max_examples=500, deadline=None)
@given(
    value=_HEADER_VALUES | st.text(alphabet="0123456789.:, -+GMTWedOct", max_size=40),
    now=st.floats(),
)
def test_parse_retry_after_is_total(value: str, now: float) -> None:
    result = parse_retry_after(value, now=now)
    assert result is None or (type(result) is int and result >= 0)
