"""Hypothesis properties of the models: whatever JSON arrives, the only failure is ValidationError.

A gateway (or a proxy in front of it) can send anything; the SDK maps a ValidationError
to `parse_error`, so any other exception escaping a model would be a crash instead.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

import meshapi_core.types as types
from meshapi_core.types import ImageItem, ModelInfo, RequestModel, ResponseModel, TemplateSummary
from meshapi_core.types._base import ResultModel

RESPONSE_MODELS = sorted(
    (
        obj
        for obj in (getattr(types, name) for name in types.__all__)
        if isinstance(obj, type) and issubclass(obj, ResponseModel) and obj is not ResponseModel
    ),
    key=lambda cls: cls.__name__,
)
REQUEST_MODELS = sorted(
    (
        obj
        for obj in (getattr(types, name) for name in types.__all__)
        if isinstance(obj, type) and issubclass(obj, RequestModel) and obj is not RequestModel
    ),
    key=lambda cls: cls.__name__,
)


def _field_names(models: list[type[BaseModel]]) -> list[str]:
    return sorted({name for model in models for name in model.model_fields})


# Keys are mostly real field names of any model (so nested objects hit nested models'
# fields too), sometimes arbitrary text; values are any JSON, with the values the models
# care about (part and tool types, data: URLs, numbers as strings) made likely.
FIELD_NAMES = _field_names([*RESPONSE_MODELS, *REQUEST_MODELS])
KEYS = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=6))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        ["text", "image_url", "input_audio", "video_url", "function", "file_search", "user", "5"]
    ),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(KEYS, children, max_size=5),
    ),
    max_leaves=12,
)
JSON_OBJECTS = st.dictionaries(KEYS, JSON_VALUES, max_size=8)

# The per-model tests are parametrized over ~70 models: give each a share of the
# profile's budget (dev, ci, fuzz in tests/conftest.py) rather than all of it.
PER_MODEL = settings(max_examples=max(10, settings().max_examples // 6))


@pytest.mark.parametrize("model", RESPONSE_MODELS, ids=lambda cls: cls.__name__)
@PER_MODEL
@given(payload=JSON_OBJECTS)
def test_response_models_validate_or_raise_validation_error(
    model: type[ResponseModel], payload: dict[str, Any]
) -> None:
    text = json.dumps(payload)
    try:
        parsed = model.model_validate(payload)
    except ValidationError:
        # JSON text fails the same way as the Python objects it encodes.
        with pytest.raises(ValidationError):
            model.model_validate_json(text)
        return
    assert model.model_validate_json(text) == parsed
    # What validated can be dumped, is JSON-able, and reads back as the same model.
    dumped = parsed.model_dump(mode="json")
    json.dumps(dumped)
    assert model.model_validate(dumped) == parsed
    if isinstance(parsed, ResultModel):
        assert parsed._request_id is None


_LIST_ADAPTERS: list[TypeAdapter[Any]] = [
    TypeAdapter(list[ModelInfo]),
    TypeAdapter(list[TemplateSummary]),
]


@given(payload=st.lists(JSON_OBJECTS, max_size=3))
def test_bare_array_lists_validate_or_raise_validation_error(payload: list[dict[str, Any]]) -> None:
    for adapter in _LIST_ADAPTERS:
        with contextlib.suppress(ValidationError):
            adapter.validate_python(payload)


@pytest.mark.parametrize("model", REQUEST_MODELS, ids=lambda cls: cls.__name__)
@PER_MODEL
@given(payload=JSON_OBJECTS)
def test_request_models_validate_or_raise_validation_error(
    model: type[RequestModel], payload: dict[str, Any]
) -> None:
    try:
        params = model.model_validate(payload)
    except ValidationError:
        return
    if model.__name__ != "UploadFileParams":  # holds bytes; never sent as JSON
        json.dumps(params.to_body())


@given(
    url=st.one_of(
        st.none(),
        st.text(max_size=30),
        st.text(max_size=30).map(lambda s: "data:" + s),
        st.text(max_size=30).map(lambda s: "data:image/png;base64," + s),
    ),
    b64_json=st.one_of(
        st.none(), st.text(max_size=30), st.binary(max_size=20).map(lambda b: b.hex())
    ),
)
def test_image_bytes_returns_bytes_or_raises_value_error(
    url: str | None, b64_json: str | None
) -> None:
    item = ImageItem(url=url, b64_json=b64_json)
    try:
        data = item.image_bytes()
    except ValueError:
        return
    assert isinstance(data, bytes)
