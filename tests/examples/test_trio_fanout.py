"""examples/trio_fanout.py: one prompt to several models at once, in a trio nursery."""

from __future__ import annotations

import pytest

import meshapi
from meshapi.testing import MeshAPIGateway, StallBeforeHeaders

from .conftest import load_example, run_example

fanout = load_example("trio_fanout")

MODELS = ["openai/gpt-4o-mini", "anthropic/claude-haiku-4.5", "google/gemini-2.5-flash"]
CHAT = "/v1/chat/completions"


def test_the_script_prints_every_models_reply_in_order(gw: MeshAPIGateway) -> None:
    args = ["What is trio?"] + [arg for model in MODELS for arg in ("-m", model)]

    result = run_example("trio_fanout", args, gw)

    assert result.returncode == 0, result.stderr
    expected = "\n".join(f"== {model}\nYou said: What is trio?\n" for model in MODELS)
    assert result.stdout == expected
    assert sorted(r.json()["model"] for r in gw.find_requests(path=CHAT)) == sorted(MODELS)


def test_a_failing_model_is_reported_and_the_others_still_answer(gw: MeshAPIGateway) -> None:
    gw.fail_model(MODELS[1], code="provider_not_available", status=503)

    args = ["hi", "-m", MODELS[0], "-m", MODELS[1], "--max-retries", "0"]

    result = run_example("trio_fanout", args, gw)

    assert result.returncode == 1
    first, second = result.stdout.split("\n\n")
    assert first == f"== {MODELS[0]}\nYou said: hi"
    assert second.startswith(f"== {MODELS[1]}\nerror: provider_not_available (HTTP 503): ")


def test_without_a_token_it_says_which_variable_to_set(gw: MeshAPIGateway) -> None:
    result = run_example("trio_fanout", ["hi"], gw, with_token=False)

    assert result.returncode == 2
    assert "MESHAPI_TOKEN" in result.stderr
    assert gw.requests == []


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_the_calls_are_in_flight_together(gw: MeshAPIGateway) -> None:
    # Every reply waits 0.3 s before its headers. Sequential calls would each find the
    # previous call's connection idle and reuse it; calls in flight together cannot, so
    # three concurrent calls arrive over three connections. (No timing assertion.)
    gw.add_fault(StallBeforeHeaders(0.3), path=CHAT, times=len(MODELS))
    async with meshapi.AsyncMeshAPI(base_url=gw.url, token=gw.token) as client:
        answers = await fanout.fan_out(client, "hi", [*MODELS, MODELS[0]])

    assert [a.model for a in answers] == MODELS  # in order, the duplicate asked once
    assert all(a.text == "You said: hi" and a.error is None for a in answers)
    requests = gw.find_requests(path=CHAT)
    assert len(requests) == len(MODELS)
    assert len({r.connection for r in requests}) == len(MODELS)
