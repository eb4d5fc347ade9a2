"""`meshapi realtime`: a text session over the gateway's realtime WebSocket."""

from __future__ import annotations

from meshapi.testing import MeshAPIGateway

from .conftest import Run, ok


def test_text_turns(run: Run, gateway: MeshAPIGateway) -> None:
    before = len(gateway.realtime_messages)
    result = ok(
        run("realtime", "--system", "be kind", input="hello realtime\nsecond line\n/exit\n")
    )
    assert result.stdout == "You said: hello realtime\nYou said: second line\n"
    sent = [m.event for m in gateway.realtime_messages[before:] if m.event is not None]
    kinds = [event["type"] for event in sent]
    assert kinds == [
        "session.update",
        "conversation.item.create",
        "response.create",
        "conversation.item.create",
        "response.create",
    ]
    assert sent[0]["session"] == {
        "type": "realtime",
        "output_modalities": ["text"],
        "instructions": "be kind",
    }
    assert sent[1]["item"]["content"] == [{"type": "input_text", "text": "hello realtime"}]


def test_unknown_model_is_one_error_line(run: Run) -> None:
    result = run("realtime", "-m", "x/y", input="hi\n")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: model_not_found: ")
