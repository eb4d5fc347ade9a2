"""ChatAccumulator and CompareAccumulator (protocol.md §3.6 accumulator rules, §3.8, §3.10).

Golden folds of protocol.md's example streams, each §3.6 rule for providers that leave
out `index` or `id`, and a hypothesis round trip: generated chunks are encoded as SSE,
split at random, decoded and folded, and the final message must equal what was sent.
"""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from meshapi_core._accumulate import ChatAccumulator, CompareAccumulator
from meshapi_core._kinds import StreamKind
from meshapi_core._streams import StreamDecoder
from meshapi_core.types import ChatCompletionChunk, CompareStreamEvent, UsageInfo

from .test_streams import (
    CHAT_TOOL_CALL_STREAM,
    COMPARE_SKIP_STREAM,
    COMPARE_SYNTHESIS_STREAM,
)


def decode_chat(body: bytes, request_id: str | None = "req_1") -> list[ChatCompletionChunk]:
    decoder = StreamDecoder(StreamKind.CHAT, ChatCompletionChunk, request_id=request_id)
    chunks = decoder.feed(body)
    decoder.end()
    return chunks


def fold(chunks: list[ChatCompletionChunk]) -> ChatAccumulator:
    accumulator = ChatAccumulator()
    for chunk in chunks:
        accumulator.add(chunk)
    return accumulator


def chunk(*choices: dict[str, Any], **top: Any) -> ChatCompletionChunk:
    payload = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7, "model": "m"}
    payload.update(top)
    payload["choices"] = list(choices)
    return ChatCompletionChunk.model_validate(payload)


def delta(index: int = 0, finish_reason: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"index": index, "delta": fields, "finish_reason": finish_reason}


def tool(
    index: int | None = None,
    id: str | None = None,
    name: str | None = None,
    arguments: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    fragment: dict[str, Any] = dict(extra)
    if index is not None:
        fragment["index"] = index
    if id is not None:
        fragment["id"] = id
    function = {}
    if name is not None:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    if function:
        fragment["function"] = function
    return fragment


def calls_of(accumulator: ChatAccumulator) -> list[tuple[str, str, str]]:
    message = accumulator.final().choices[0].message
    assert message is not None
    return [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]


def tool_chunks(*fragments: dict[str, Any]) -> list[ChatCompletionChunk]:
    return [chunk(delta(tool_calls=[fragment])) for fragment in fragments]


# --------------------------------------------------------------------------------------
# Chat: golden folds
# --------------------------------------------------------------------------------------


def test_protocol_tool_call_example_folds_to_the_non_streaming_shape() -> None:
    final = fold(decode_chat(CHAT_TOOL_CALL_STREAM)).final()
    assert final.object == "chat.completion"
    assert (final.id, final.model, final.created) == (
        "chatcmpl-9f2c",
        "openai/gpt-4o-mini",
        1767225600,
    )
    [choice] = final.choices
    assert (choice.index, choice.finish_reason) == (0, "tool_calls")
    assert choice.message is not None
    assert choice.message.role == "assistant"
    assert choice.message.content is None  # a tool-call-only answer, as non-streaming
    [call] = choice.message.tool_calls or []
    assert (call.id, call.type, call.function.name) == ("call_a1", "function", "get_weather")
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert final.usage == UsageInfo(prompt_tokens=58, completion_tokens=17, total_tokens=75)
    assert final.model_extra == {"cost": "0.0000189"}  # §3.10: cost kept as an extra field
    assert final._request_id == "req_1"


def test_text_answer() -> None:
    accumulator = fold(
        [
            chunk(delta(role="assistant", content="")),
            chunk(delta(content="Hel")),
            chunk(delta(content="lo")),
            chunk(delta(finish_reason="stop")),
            chunk(
                usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}, cost="0.1"
            ),
        ]
    )
    assert accumulator.text == "Hello"
    final = accumulator.final()
    assert final.choices[0].message is not None
    assert final.choices[0].message.content == "Hello"
    assert final.choices[0].message.tool_calls is None
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is not None
    assert final.usage.total_tokens == 3


def test_empty_text_answer_is_empty_string_and_no_content_is_none() -> None:
    final = fold([chunk(delta(role="assistant", content=""))]).final()
    assert final.choices[0].message is not None
    assert final.choices[0].message.content == ""
    final = fold([chunk(delta(finish_reason="length"))]).final()
    assert final.choices[0].message is not None
    assert final.choices[0].message.content is None
    assert final.choices[0].message.role == "assistant"


def test_text_property_grows_and_is_cheap_to_ask_again() -> None:
    accumulator = ChatAccumulator()
    assert accumulator.text == ""
    for piece in "abc":
        accumulator.add(chunk(delta(content=piece)))
        assert accumulator.text == accumulator.text
    assert accumulator.text == "abc"
    accumulator.add(chunk(delta(content="d")))
    assert accumulator.text == "abcd"
    assert accumulator.final().choices[0].message.content == "abcd"  # type: ignore[union-attr]


def test_multiple_choices_by_index() -> None:
    final = fold(
        [
            chunk(delta(1, content="B"), delta(0, content="A")),
            chunk(delta(0, content="a")),
            chunk(delta(1, content="b", finish_reason="stop")),
            chunk(delta(0, finish_reason="length")),
        ]
    ).final()
    assert [c.index for c in final.choices] == [0, 1]
    assert [c.message.content for c in final.choices] == ["Aa", "Bb"]  # type: ignore[union-attr]
    assert [c.finish_reason for c in final.choices] == ["length", "stop"]


def test_ids_model_created_come_from_the_first_chunk_that_has_them() -> None:
    final = fold([chunk(id="", model="", created=0), chunk(id="c2", model="m2", created=9)]).final()
    assert (final.id, final.model, final.created) == ("c2", "m2", 9)


def test_no_chunks_gives_an_empty_response() -> None:
    final = ChatAccumulator().final()
    assert (final.id, final.object, final.choices, final.usage) == ("", "chat.completion", [], None)


def test_system_fingerprint_is_kept() -> None:
    final = fold([chunk(delta(content="x"), system_fingerprint="fp_1")]).final()
    assert final.system_fingerprint == "fp_1"


def test_audio_fragments_are_joined() -> None:
    final = fold(
        [
            chunk(delta(audio={"id": "aud_1", "data": "AAA", "transcript": "he"})),
            chunk(delta(audio={"data": "BBB", "transcript": "llo", "expires_at": 5})),
        ]
    ).final()
    assert final.choices[0].message is not None
    assert final.choices[0].message.audio == {
        "id": "aud_1",
        "expires_at": 5,
        "data": "AAABBB",
        "transcript": "hello",
    }


# --------------------------------------------------------------------------------------
# Chat: §3.6 rules for tool calls
# --------------------------------------------------------------------------------------


def test_explicit_index_selects_the_call_even_interleaved() -> None:
    accumulator = fold(
        tool_chunks(
            tool(0, "call_a", "f", '{"a"'),
            tool(1, "call_b", "g", '{"b"'),
            tool(0, arguments=":1}"),
            tool(1, arguments=":2}"),
        )
    )
    assert calls_of(accumulator) == [("call_a", "f", '{"a":1}'), ("call_b", "g", '{"b":2}')]


def test_without_index_a_known_id_continues_and_a_new_id_starts() -> None:
    accumulator = fold(
        tool_chunks(
            tool(id="call_a", name="f", arguments='{"a"'),
            tool(id="call_b", name="g", arguments='{"b"'),
            tool(id="call_a", arguments=":1}"),
            tool(id="call_b", arguments=":2}"),
        )
    )
    assert calls_of(accumulator) == [("call_a", "f", '{"a":1}'), ("call_b", "g", '{"b":2}')]


def test_a_bare_fragment_continues_the_call_in_flight() -> None:
    accumulator = fold(
        tool_chunks(
            tool(id="call_a", name="f", arguments='{"a"'),
            tool(arguments=":1}"),
            tool(id="call_b", name="g"),
            tool(arguments='{"b":'),
            tool(arguments="2}"),
        )
    )
    assert calls_of(accumulator) == [("call_a", "f", '{"a":1}'), ("call_b", "g", '{"b":2}')]


def test_a_bare_fragment_continues_an_indexed_call() -> None:
    accumulator = fold(tool_chunks(tool(0, "call_a", "f", "{"), tool(arguments="}")))
    assert calls_of(accumulator) == [("call_a", "f", "{}")]


def test_an_index_arriving_later_for_a_known_id_continues_it() -> None:
    accumulator = fold(
        tool_chunks(tool(id="call_a", name="f", arguments="{"), tool(0, "call_a", arguments="}"))
    )
    assert calls_of(accumulator) == [("call_a", "f", "{}")]


def test_nameless_fragments_join_the_nearest_earlier_unfinished_named_call() -> None:
    accumulator = fold(
        tool_chunks(
            tool(0, "call_a", "f", "{}"),  # finished: its arguments parse
            tool(1, "call_b", "g", '{"x":'),  # unfinished
            tool(2, arguments="1"),  # nameless: joins call_b
            tool(3, arguments="}"),  # nameless: joins call_b too
        )
    )
    assert calls_of(accumulator) == [("call_a", "f", "{}"), ("call_b", "g", '{"x":1}')]


def test_nameless_fragments_before_any_named_call_join_the_next_one() -> None:
    accumulator = fold(
        tool_chunks(
            tool(0, arguments='{"x"'),
            tool(1, arguments=":"),
            tool(2, "call_b", "g", "1}"),
        )
    )
    assert calls_of(accumulator) == [("call_b", "g", '{"x":1}')]


def test_a_nameless_call_with_nowhere_to_go_is_kept() -> None:
    accumulator = fold(tool_chunks(tool(0, "call_a", "f", "{}"), tool(1, "call_z", arguments="{}")))
    assert calls_of(accumulator) == [("call_a", "f", "{}"), ("call_z", "", "{}")]


def test_a_nameless_fragment_lends_its_id_to_a_host_without_one() -> None:
    accumulator = fold(
        tool_chunks(tool(0, name="f", arguments="{"), tool(1, "call_q", arguments="}"))
    )
    assert calls_of(accumulator) == [("call_q", "f", "{}")]


def test_missing_ids_become_call_n() -> None:
    accumulator = fold(
        tool_chunks(
            tool(0, name="f", arguments="{}"),
            tool(1, "call_1", "g", "{}"),  # the provider's own id wins over a generated one
            tool(2, name="h", arguments="{}"),
        )
    )
    assert calls_of(accumulator) == [
        ("call_0", "f", "{}"),
        ("call_1", "g", "{}"),
        ("call_2", "h", "{}"),
    ]


def test_generated_id_never_collides_with_a_provider_id() -> None:
    accumulator = fold(tool_chunks(tool(0, name="f", arguments="{}"), tool(1, "call_0", "g", "{}")))
    ids = [call_id for call_id, _, _ in calls_of(accumulator)]
    assert len(set(ids)) == 2
    assert "call_0" in ids


def test_tool_call_extras_and_type_are_kept() -> None:
    accumulator = fold(
        tool_chunks(
            tool(0, "call_a", "f", "{", thought_signature="sig"),
            tool(0, arguments="}", type="function"),
        )
    )
    message = accumulator.final().choices[0].message
    assert message is not None
    [call] = message.tool_calls or []
    assert call.thought_signature == "sig"
    assert call.type == "function"


def test_final_can_be_called_twice() -> None:
    accumulator = fold(
        tool_chunks(tool(0, name="f", arguments="{"), tool(1, "call_q", arguments="}"))
    )
    assert accumulator.final() == accumulator.final()


def test_folding_is_linear_in_the_number_of_fragments() -> None:
    # 200k one-character fragments: a fold that re-joined or re-concatenated on every
    # chunk would do ~2·10^10 character copies here and time out.
    text_chunk = chunk(delta(content="x"))
    args_chunk = chunk(delta(tool_calls=[tool(0, arguments="1")]))
    accumulator = ChatAccumulator()
    accumulator.add(chunk(delta(tool_calls=[tool(0, "call_a", "f", "[")])))
    for _ in range(200_000):
        accumulator.add(text_chunk)
        accumulator.add(args_chunk)
    message = accumulator.final().choices[0].message
    assert message is not None
    assert message.content == "x" * 200_000
    assert message.tool_calls is not None
    assert message.tool_calls[0].function.arguments == "[" + "1" * 200_000


# --------------------------------------------------------------------------------------
# Chat: round trip property
# --------------------------------------------------------------------------------------


@st.composite
def chat_streams(draw: st.DrawFn) -> tuple[bytes, str, list[tuple[str, str, str]]]:
    """A chat stream as SSE bytes, with the text and tool calls it must fold into."""
    mode = draw(st.sampled_from(["indexed", "by_id", "bare"]))
    calls = []
    for n in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(["get_weather", "search", "f"]))
        arguments = json.dumps(
            draw(
                st.dictionaries(
                    st.text(max_size=4), st.integers() | st.text(max_size=6), max_size=3
                )
            )
        )
        cuts = sorted(draw(st.lists(st.integers(0, len(arguments)), max_size=4)))
        pieces = [arguments[a:b] for a, b in pairwise([0, *cuts, len(arguments)])]
        calls.append((f"call_{n}_{name}", name, pieces))
    # The order fragments arrive in: interleaved, except for bare fragments, which only
    # make sense one call after another (they continue the call in flight).
    order: list[tuple[int, int]] = []
    if mode == "bare":
        order = [(n, i) for n, (_, _, pieces) in enumerate(calls) for i in range(len(pieces))]
    else:
        sent = [0] * len(calls)
        while any(sent[n] < len(calls[n][2]) for n in range(len(calls))):
            n = draw(st.sampled_from([n for n in range(len(calls)) if sent[n] < len(calls[n][2])]))
            order.append((n, sent[n]))
            sent[n] += 1
    texts = draw(st.lists(st.text(), max_size=6))
    # Merge text deltas and tool fragments in a random interleaving.
    ops: list[tuple[str, Any]] = []
    pending_tools, pending_texts = list(order), list(texts)
    while pending_tools or pending_texts:
        take_text = pending_texts and (not pending_tools or draw(st.booleans()))
        ops.append(("text", pending_texts.pop(0)) if take_text else ("tool", pending_tools.pop(0)))

    def fragment(n: int, i: int) -> dict[str, Any]:
        call_id, name, pieces = calls[n]
        first = i == 0
        if mode == "indexed":
            return tool(n, call_id if first else None, name if first else None, pieces[i])
        if mode == "by_id":
            return tool(None, call_id, name if first else None, pieces[i])
        return tool(None, call_id if first else None, name if first else None, pieces[i])

    chunks: list[dict[str, Any]] = []
    if draw(st.booleans()):
        chunks.append(delta(role="assistant", content=""))
    for op, value in ops:
        chunks.append(
            delta(content=value) if op == "text" else delta(tool_calls=[fragment(*value)])
        )
    chunks.append(delta(finish_reason="tool_calls" if calls else "stop"))
    ascii_only = draw(st.booleans())
    frames = [
        json.dumps(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [c],
            },
            ensure_ascii=ascii_only,
        )
        for c in chunks
    ]
    frames.append(
        json.dumps(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [],
                "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
                "cost": "0.0001",
            }
        )
    )
    body = b"".join(f"data: {text}\n\n".encode() for text in [*frames, "[DONE]"])
    first_seen = sorted(range(len(calls)), key=lambda n: order.index((n, 0)))
    expected = [(calls[n][0], calls[n][1], "".join(calls[n][2])) for n in first_seen]
    return body, "".join(texts), expected


@given(stream=chat_streams(), data=st.data())
def test_generated_chat_streams_round_trip(
    stream: tuple[bytes, str, list[tuple[str, str, str]]], data: st.DataObject
) -> None:
    body, text, tool_calls = stream
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(body)), max_size=20))))
    decoder = StreamDecoder(StreamKind.CHAT, ChatCompletionChunk)
    accumulator = ChatAccumulator()
    for a, b in pairwise([0, *cuts, len(body)]):
        for item in decoder.feed(body[a:b]):
            accumulator.add(item)
    assert decoder.end() == []
    assert decoder.done
    final = accumulator.final()
    message = final.choices[0].message
    assert message is not None
    assert (message.content or "") == text
    assert accumulator.text == text
    assert [
        (c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []
    ] == tool_calls
    assert final.choices[0].finish_reason == ("tool_calls" if tool_calls else "stop")
    assert final.usage == UsageInfo(prompt_tokens=3, completion_tokens=4, total_tokens=7)
    assert final.model_extra == {"cost": "0.0001"}


# --------------------------------------------------------------------------------------
# Compare
# --------------------------------------------------------------------------------------


def fold_compare(body: bytes) -> CompareAccumulator:
    decoder = StreamDecoder(StreamKind.COMPARE, CompareStreamEvent)
    accumulator = CompareAccumulator()
    for event in decoder.feed(body):
        accumulator.add(event)
    decoder.end()
    return accumulator


def test_compare_skip_comparison_stream_folds_deltas() -> None:
    accumulator = fold_compare(COMPARE_SKIP_STREAM)
    assert accumulator.texts == {"openai/gpt-4o-mini": "Paris.", "anthropic/claude-haiku-4.5": ""}
    assert accumulator.comparison is None
    assert accumulator.comparison_id == "cmp_3f9a1c0b7d2e4f6a8b1c"
    assert accumulator.models == ["openai/gpt-4o-mini", "anthropic/claude-haiku-4.5"]
    assert (accumulator.skip_comparison, accumulator.comparison_model) == (True, None)
    assert accumulator.finish_reasons == {"openai/gpt-4o-mini": "stop"}
    assert accumulator.usage == {
        "openai/gpt-4o-mini": {"prompt_tokens": 14, "completion_tokens": 2, "total_tokens": 16}
    }
    assert accumulator.errors == {
        "anthropic/claude-haiku-4.5": "Upstream provider did not respond in time."
    }
    assert accumulator.error_codes == {"anthropic/claude-haiku-4.5": "gateway_timeout"}
    assert (accumulator.finished, accumulator.partial, accumulator.total_latency_ms) == (
        True,
        True,
        30412,
    )


def test_compare_synthesis_stream_folds_whole_contents_and_the_judge() -> None:
    accumulator = fold_compare(COMPARE_SYNTHESIS_STREAM)
    assert accumulator.texts == {
        "openai/gpt-4o-mini": "Paris.",
        "google/gemini-2.5-flash": "Paris is the capital.",
    }
    assert accumulator.comparison == "Both answers agree: Paris."
    assert accumulator.comparison_finish_reason == "stop"
    assert accumulator.latency_ms == {"google/gemini-2.5-flash": 640, "openai/gpt-4o-mini": 812}
    assert accumulator.results is not None
    assert [r.request_id for r in accumulator.results] == [
        "req_01JH7Z9A0B1C2D3E4F5G6H7J8K",
        "req_01JH7Z9A0B1C2D3E4F5G6H7J8M",
    ]
    assert accumulator.errors == {}
    assert (accumulator.comparison_model, accumulator.comparison_fallback_used) == (
        "openai/gpt-4o-mini",
        False,
    )
    assert (accumulator.finished, accumulator.partial, accumulator.skip_comparison) == (
        True,
        False,
        False,
    )


def test_compare_texts_in_progress_and_unknown_events_ignored() -> None:
    accumulator = CompareAccumulator()
    accumulator.add(CompareStreamEvent(event="meta", models=["a", "b"], skip_comparison=True))
    accumulator.add(CompareStreamEvent(event="model_chunk", model="b", delta="1"))
    assert accumulator.texts == {"a": "", "b": "1"}
    accumulator.add(CompareStreamEvent(event="model_chunk", model="b", delta="2"))
    accumulator.add(CompareStreamEvent(event="something_new", model="b", delta="ignored"))
    accumulator.add(CompareStreamEvent(event="model_chunk", delta="no model: ignored"))
    assert accumulator.texts == {"a": "", "b": "12"}
    assert not accumulator.finished


def test_compare_results_fill_texts_that_chunks_did_not_bring() -> None:
    accumulator = CompareAccumulator()
    accumulator.add(
        CompareStreamEvent.model_validate(
            {
                "event": "model_done",
                "results": [
                    {
                        "model": "a",
                        "latency_ms": 5,
                        "request_id": "r",
                        "content": "A",
                        "usage": {"total_tokens": 3},
                    },
                    {
                        "model": "b",
                        "latency_ms": 6,
                        "request_id": "s",
                        "error": "x",
                        "error_code": "y",
                    },
                ],
            }
        )
    )
    assert accumulator.texts == {"a": "A", "b": ""}
    assert accumulator.usage == {"a": {"total_tokens": 3}}
    assert (accumulator.errors, accumulator.error_codes) == ({"b": "x"}, {"b": "y"})


def test_compare_folding_is_linear() -> None:
    accumulator = CompareAccumulator()
    event = CompareStreamEvent(event="model_chunk", model="a", delta="x")
    judge = CompareStreamEvent(event="comparison_chunk", delta="y")
    for _ in range(200_000):
        accumulator.add(event)
        accumulator.add(judge)
    assert accumulator.texts == {"a": "x" * 200_000}
    assert accumulator.comparison == "y" * 200_000
