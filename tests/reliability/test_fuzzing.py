"""The fuzzing properties the suite must hold, each at 2,000 examples or more.

The properties themselves live beside the code they test (tests/core): "whatever the
bytes, only the project's documented exceptions escape" for

* the SSE decoder (events or a `MeshAPIError`, fed whole and one byte at a time);
* every stream decoder kind (items or a `MeshAPIError`, the same however chunked);
* the error mapping (any status, headers and body give a `MeshAPIError`, never raise);
* the realtime receive path (the answer to the upgrade, then arbitrary frames: messages
  or `MeshAPIError`s with the key scrubbed, never a wsproto or other exception).

This module makes sure they stay there, with their budget set explicitly (so no
hypothesis profile can lower it), and that the stream property covers every stream
kind. The long-running, larger-input version of the same invariants is
`fuzz/fuzz_decoders.py`, run by hand.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from meshapi_core._kinds import StreamKind

REQUIRED = 2_000

PROPERTIES = [
    ("tests.core.test_sse", "test_arbitrary_bytes_give_events_or_a_meshapi_error"),
    ("tests.core.test_streams", "test_arbitrary_bytes_give_items_or_a_meshapi_error"),
    ("tests.core.test_error_mapping", "test_any_response_maps_to_an_error"),
    (
        "tests.core.test_realtime_protocol",
        "test_arbitrary_answers_to_the_upgrade_open_or_raise_mesh_api_errors",
    ),
    (
        "tests.core.test_realtime_protocol",
        "test_arbitrary_bytes_after_the_handshake_give_messages_or_mesh_api_errors",
    ),
]


def property_test(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize(("module", "name"), PROPERTIES, ids=[n for _, n in PROPERTIES])
def test_the_property_exists_with_its_budget_set_explicitly(module: str, name: str) -> None:
    test = property_test(module, name)

    assert getattr(test, "is_hypothesis_test", False), f"{name} is not a hypothesis property"
    settings = test._hypothesis_internal_use_settings
    assert settings.max_examples >= REQUIRED


def test_the_stream_property_covers_every_stream_kind() -> None:
    test = property_test(*PROPERTIES[1])

    [marker] = [m for m in test.pytestmark if m.name == "parametrize"]
    assert marker.args[0] == "kind"
    assert set(marker.args[1]) == set(StreamKind)
