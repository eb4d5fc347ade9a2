"""Folding stream items into whole answers (protocol.md §3.6, §3.8, §3.10).

`ChatAccumulator` turns `ChatCompletionChunk`s into the `ChatCompletionResponse` that a
non-streaming call would have returned (`get_final_completion()`); `CompareAccumulator`
turns `CompareStreamEvent`s into per-model texts, the judge's synthesis and the
comparison's facts.

Both run in time linear in the total size of the stream: fragments are appended to
lists and joined once, when the result is asked for, never grown with repeated `+=`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .types.chat import (
    ChatCompletionChunk,
    ChatCompletionChunkDelta,
    ChatCompletionResponse,
    ToolCallChunk,
    UsageInfo,
)
from .types.compare import CompareStreamEvent, ModelCompareResult

__all__ = ["ChatAccumulator", "CompareAccumulator"]


# --------------------------------------------------------------------------------------
# Chat
# --------------------------------------------------------------------------------------


# Text fragments joined into one string at a time (`_ChoiceState.add_text`).
_JOIN_RUN = 32


@dataclass(slots=True)
class _ToolCallState:
    """One tool call being assembled; `position` is its order of first appearance."""

    position: int
    index: int | None = None
    id: str | None = None
    type: str | None = None
    name: str | None = None
    arguments: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _ToolCalls:
    """The tool calls of one choice being assembled (made on a choice's first fragment)."""

    calls: list[_ToolCallState] = field(default_factory=list)
    by_index: dict[int, _ToolCallState] = field(default_factory=dict)
    by_id: dict[str, _ToolCallState] = field(default_factory=dict)
    in_flight: _ToolCallState | None = None

    def add(self, fragment: ToolCallChunk) -> None:
        call = self._select_call(fragment)
        if fragment.id and call.id is None:
            call.id = fragment.id
            self.by_id.setdefault(fragment.id, call)
        if fragment.type:
            call.type = fragment.type
        function = fragment.function
        if function is not None:
            if function.name and call.name is None:
                call.name = function.name
            if function.arguments:
                call.arguments.append(function.arguments)
        if fragment.model_extra:
            call.extra.update(
                (key, value) for key, value in fragment.model_extra.items() if value is not None
            )
        self.in_flight = call

    def _select_call(self, fragment: ToolCallChunk) -> _ToolCallState:
        """Which call a fragment belongs to (§3.6 accumulator rules, in order)."""
        if fragment.index is not None:
            # An explicit index selects the call.
            call = self.by_index.get(fragment.index)
            if call is None:
                # The same call may have begun without an index but with this id.
                known = self.by_id.get(fragment.id) if fragment.id else None
                if known is not None and known.index is None:
                    call = known
                    call.index = fragment.index
                else:
                    call = self._new_call(index=fragment.index)
                self.by_index[fragment.index] = call
            return call
        if fragment.id:
            # Without an index, a known id continues that call and a new id starts one.
            return self.by_id.get(fragment.id) or self._new_call()
        # A bare fragment continues the call in flight.
        return self.in_flight or self._new_call()

    def _new_call(self, index: int | None = None) -> _ToolCallState:
        call = _ToolCallState(position=len(self.calls), index=index)
        self.calls.append(call)
        return call


@dataclass(slots=True)
class _ChoiceState:
    """One choice being assembled, selected by the choice's `index`.

    Tool calls and audio are kept in parts made on first use: most choices have
    neither, and every open stream holds one of these per choice.
    """

    role: str | None = None
    content: list[str] = field(default_factory=list)
    # How many leading items of `content` are already-joined runs (see `add_text`).
    joined: int = 0
    saw_content: bool = False
    finish_reason: str | None = None
    tools: _ToolCalls | None = None
    audio: dict[str, Any] | None = None
    audio_parts: dict[str, list[str]] | None = None

    def add_delta(self, delta: ChatCompletionChunkDelta) -> None:
        if delta.role and self.role is None:
            self.role = delta.role
        if delta.content is not None:
            self.add_text(delta.content)
        if delta.tool_calls:
            tools = self.tools
            if tools is None:
                tools = self.tools = _ToolCalls()
            for fragment in delta.tool_calls:
                tools.add(fragment)
        if delta.audio:
            self.add_audio(delta.audio)

    def add_text(self, text: str) -> None:
        """Append a text fragment (§3.6: text is concatenated).

        Every `_JOIN_RUN` fragments are joined into one string: a token-sized `str` costs
        some fifty bytes of object header, so an open stream would otherwise hold ten
        times its text. Each fragment is copied once more, so this stays linear.
        """
        content = self.content
        content.append(text)
        self.saw_content = True
        if len(content) - self.joined >= _JOIN_RUN:
            self.join_run()

    def join_run(self) -> None:
        """Join the fragments that arrived since the last run into one string."""
        content, joined = self.content, self.joined
        content[joined:] = ["".join(content[joined:])]
        self.joined = joined + 1

    def add_audio(self, audio: dict[str, Any]) -> None:
        # Streamed audio arrives as base64 `data` and `transcript` fragments; the other
        # keys (`id`, `expires_at`, ...) are facts, the last one wins.
        if self.audio is None or self.audio_parts is None:
            self.audio, self.audio_parts = {}, {}
        for key, value in audio.items():
            if key in ("data", "transcript") and isinstance(value, str):
                self.audio_parts.setdefault(key, []).append(value)
            elif value is not None:
                self.audio[key] = value

    def message(self) -> dict[str, Any]:
        tool_calls = _finish_tool_calls(self.tools.calls) if self.tools is not None else []
        content: str | None = "".join(self.content)
        if not content and (tool_calls or not self.saw_content):
            # A tool-call-only answer reads like the non-streaming one: content null.
            content = None
        message: dict[str, Any] = {"role": self.role or "assistant", "content": content}
        if tool_calls:
            message["tool_calls"] = tool_calls
        if self.audio or self.audio_parts:
            audio = dict(self.audio or ())
            assert self.audio_parts is not None
            audio.update((key, "".join(parts)) for key, parts in self.audio_parts.items())
            message["audio"] = audio
        return message


def _is_complete_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _finish_tool_calls(calls: list[_ToolCallState]) -> list[dict[str, Any]]:
    """The assembled tool calls, after the end-of-stream repairs of §3.6.

    "At the end, nameless argument fragments join the nearest unfinished named call, and
    a missing id becomes `call_<n>`." A named call is *unfinished* when its own
    arguments do not yet parse as JSON (they are empty or cut short). The nearest is the
    closest earlier such call, else the closest later one; a nameless call with no such
    call to join is kept (with an empty name) rather than dropped. `n` is the call's
    position in the result. One pass each way, so linear in the number of calls.
    """
    if not calls:
        return []
    unfinished = [
        bool(call.name) and not _is_complete_json("".join(call.arguments)) for call in calls
    ]
    # For each position, the nearest unfinished named call before / after it.
    before: list[int | None] = []
    last: int | None = None
    for position, flag in enumerate(unfinished):
        before.append(last)
        if flag:
            last = position
    after: list[int | None] = [None] * len(calls)
    last = None
    for position in range(len(calls) - 1, -1, -1):
        after[position] = last
        if unfinished[position]:
            last = position
    # Pieces of arguments per surviving call, tagged by position to keep arrival order.
    pieces: dict[int, list[tuple[int, list[str]]]] = {}
    ids = {call.position: call.id for call in calls if call.id}
    kept: list[_ToolCallState] = []
    for call in calls:
        target = None
        if not call.name:
            target = before[call.position]
            if target is None:
                target = after[call.position]
        if target is None:
            kept.append(call)
            pieces.setdefault(call.position, []).append((call.position, call.arguments))
            continue
        pieces.setdefault(target, []).append((call.position, call.arguments))
        if call.id:
            ids.setdefault(target, call.id)  # the host had none: it takes the fragment's
    taken = {ids[call.position] for call in kept if call.position in ids}
    result: list[dict[str, Any]] = []
    for n, call in enumerate(kept):
        call_id = ids.get(call.position)
        if not call_id:
            call_id = f"call_{n}"
            while call_id in taken:  # never collide with an id the provider chose
                call_id += "_"
            taken.add(call_id)
        arguments = "".join(
            "".join(parts) for _, parts in sorted(pieces[call.position], key=_first)
        )
        entry: dict[str, Any] = dict(call.extra)
        entry.update(
            id=call_id,
            type=call.type or "function",
            function={"name": call.name or "", "arguments": arguments},
        )
        result.append(entry)
    return result


def _first(item: tuple[int, list[str]]) -> int:
    return item[0]


class ChatAccumulator:
    """Folds the chunks of a chat stream into one `ChatCompletionResponse` (§3.6, §3.10).

    Feed every chunk to `add`, in order; `text` is the answer so far and `final()` the
    folded response once the stream has ended. Providers that leave out a tool call's
    `index` or `id` are tolerated as §3.6 describes.
    """

    __slots__ = (
        "_choices",
        "_cost",
        "_created",
        "_facts_missing",
        "_id",
        "_model",
        "_request_id",
        "_system_fingerprint",
        "_usage",
    )

    def __init__(self) -> None:
        self._choices: dict[int, _ChoiceState] = {}
        self._id = ""
        self._model = ""
        self._created = 0
        self._usage: UsageInfo | None = None
        self._cost: str | None = None
        self._system_fingerprint: str | None = None
        self._request_id: str | None = None
        self._facts_missing = True

    def add(self, chunk: ChatCompletionChunk) -> None:
        """Fold one chunk in.

        Args:
            chunk: The next chunk of the stream.
        """
        # This runs for every chunk of every stream, so the commonest chunk (one text
        # fragment for a choice already seen) takes as few steps as the rules allow.
        # Fields are read from the models' `__dict__` (where pydantic keeps every
        # field): an attribute read on a model goes through BaseModel's `__getattr__`
        # hook, which costs twice a dict lookup and cannot be specialised by CPython.
        if self._facts_missing:
            self._take_facts(chunk)
        fields = chunk.__dict__
        # §3.6: usage and cost come from the usage chunk (the last one to carry them).
        usage = fields["usage"]
        if usage is not None:
            self._usage = usage
        cost = fields["cost"]
        if cost is not None:
            self._cost = cost
        extra = chunk.__pydantic_extra__  # what `model_extra` returns, without the call
        if extra:
            fingerprint = extra.get("system_fingerprint")
            if isinstance(fingerprint, str):
                self._system_fingerprint = fingerprint
        choices = self._choices
        for choice in fields["choices"]:
            fields = choice.__dict__
            index = fields["index"]
            state = choices.get(index)
            if state is None:
                state = choices[index] = _ChoiceState()
            finish_reason = fields["finish_reason"]
            if finish_reason is not None:
                state.finish_reason = finish_reason
            delta = fields["delta"]
            if delta is None:
                continue
            fields = delta.__dict__
            if fields["role"] is None and fields["tool_calls"] is None and fields["audio"] is None:
                # A text fragment, the commonest delta by far: `add_text`, inline.
                text = fields["content"]
                if text is not None:
                    parts = state.content
                    parts.append(text)
                    state.saw_content = True
                    if len(parts) - state.joined >= _JOIN_RUN:
                        state.join_run()
            else:
                state.add_delta(delta)

    def _take_facts(self, chunk: ChatCompletionChunk) -> None:
        """The first non-empty id/model/created and request id win (the usage chunk
        repeats them); once all four are known, later chunks are not asked again."""
        if not self._id and chunk.id:
            self._id = chunk.id
        if not self._model and chunk.model:
            self._model = chunk.model
        if not self._created and chunk.created:
            self._created = chunk.created
        if self._request_id is None:
            self._request_id = chunk._request_id
        self._facts_missing = not (
            self._id and self._model and self._created and self._request_id is not None
        )

    @property
    def text(self) -> str:
        """The text of choice 0 so far (`""` before any).

        Joining is O(text so far); the parts are collapsed into the result, so asking
        again without new chunks costs nothing.
        """
        state = self._choices.get(0)
        if state is None:
            return ""
        parts = state.content
        if len(parts) != 1:
            joined = "".join(parts)
            parts[:] = [joined]
            state.joined = 1
        return parts[0]

    def final(self) -> ChatCompletionResponse:
        """The folded response, as a non-streaming call would have returned it.

        `object` is `chat.completion`; choices are ordered by index; `usage` and `cost`
        (an extra field, a decimal string) come from the usage chunk. May be called more
        than once; each call builds a new response.

        Returns:
            The `ChatCompletionResponse`, with `_request_id` taken from the chunks.
        """
        payload: dict[str, Any] = {
            "id": self._id,
            "object": "chat.completion",
            "created": self._created,
            "model": self._model,
            "choices": [
                {
                    "index": index,
                    "message": self._choices[index].message(),
                    "finish_reason": self._choices[index].finish_reason,
                }
                for index in sorted(self._choices)
            ],
        }
        if self._usage is not None:
            payload["usage"] = self._usage
        if self._system_fingerprint is not None:
            payload["system_fingerprint"] = self._system_fingerprint
        if self._cost is not None:
            payload["cost"] = self._cost
        response = ChatCompletionResponse.model_validate(payload)
        response._request_id = self._request_id
        return response


# --------------------------------------------------------------------------------------
# Compare
# --------------------------------------------------------------------------------------


class CompareAccumulator:
    """Folds the events of a compare stream (§3.8) into per-model answers and the synthesis.

    Handles both shapes: with `skip_comparison` true each `model_chunk` carries a
    `delta`; otherwise it carries the model's whole `content`. Per-model failures (a
    string `error`) are data: they land in `errors` / `error_codes`.

    Attributes:
        comparison_id, models, comparison_model, skip_comparison: From `meta` (and
            `done`).
        partial, total_latency_ms, comparison_fallback_used: From `done`.
        results: The full per-model results of `model_done` (skip_comparison false).
        finish_reasons, latency_ms, usage, errors, error_codes: Per model id.
        comparison_finish_reason: The judge's finish reason.
        finished: True once the `done` event arrived.
    """

    def __init__(self) -> None:
        self.comparison_id: str | None = None
        self.models: list[str] = []
        self.comparison_model: str | None = None
        self.skip_comparison: bool | None = None
        self.partial: bool | None = None
        self.total_latency_ms: int | None = None
        self.comparison_fallback_used: bool | None = None
        self.results: list[ModelCompareResult] | None = None
        self.finish_reasons: dict[str, str] = {}
        self.latency_ms: dict[str, int] = {}
        self.usage: dict[str, dict[str, Any]] = {}
        self.errors: dict[str, str] = {}
        self.error_codes: dict[str, str] = {}
        self.comparison_finish_reason: str | None = None
        self.finished = False
        self._texts: dict[str, list[str]] = {}
        self._comparison: list[str] | None = None

    def add(self, event: CompareStreamEvent) -> None:
        """Fold one event in; events of unknown names are ignored (forward compatible).

        Args:
            event: The next event of the stream.
        """
        name = event.event
        if name == "meta":
            self._add_meta(event)
        elif name in ("model_chunk", "model_stream_done"):
            self._add_model_event(event)
        elif name == "model_done":
            self._add_results(event.results or [])
        elif name == "comparison_chunk":
            if self._comparison is None:
                self._comparison = []
            if event.delta is not None:
                self._comparison.append(event.delta)
            if event.finish_reason is not None:
                self.comparison_finish_reason = event.finish_reason
        elif name == "done":
            self._add_done(event)

    def _add_meta(self, event: CompareStreamEvent) -> None:
        self.comparison_id = event.comparison_id
        self.comparison_model = event.comparison_model
        self.skip_comparison = event.skip_comparison
        if event.models is not None:
            self.models = list(event.models)
            for model in self.models:
                self._texts.setdefault(model, [])

    def _add_model_event(self, event: CompareStreamEvent) -> None:
        model = event.model
        if model is None:
            return
        parts = self._texts.setdefault(model, [])
        if event.content is not None:
            parts[:] = [event.content]  # skip_comparison false: the whole answer at once
        if event.delta is not None:
            parts.append(event.delta)  # skip_comparison true: one token
        if event.finish_reason is not None:
            self.finish_reasons[model] = event.finish_reason
        if event.latency_ms is not None:
            self.latency_ms[model] = event.latency_ms
        if event.usage is not None:
            self.usage[model] = event.usage
        if event.error is not None:
            self.errors[model] = event.error
        if event.error_code is not None:
            self.error_codes[model] = event.error_code

    def _add_results(self, results: list[ModelCompareResult]) -> None:
        self.results = list(results)
        for result in results:
            parts = self._texts.setdefault(result.model, [])
            if result.content is not None and not parts:
                parts.append(result.content)
            self.latency_ms.setdefault(result.model, result.latency_ms)
            if result.usage is not None and result.model not in self.usage:
                self.usage[result.model] = result.usage.model_dump(exclude_none=True)
            if result.error is not None:
                self.errors.setdefault(result.model, result.error)
            if result.error_code is not None:
                self.error_codes.setdefault(result.model, result.error_code)

    def _add_done(self, event: CompareStreamEvent) -> None:
        self.finished = True
        if event.comparison_id is not None:
            self.comparison_id = event.comparison_id
        self.total_latency_ms = event.total_latency_ms
        self.partial = event.partial
        self.comparison_fallback_used = event.comparison_fallback_used
        if event.skip_comparison is not None:
            self.skip_comparison = event.skip_comparison
        if "comparison_model" in event.model_fields_set:
            self.comparison_model = event.comparison_model

    @property
    def texts(self) -> dict[str, str]:
        """Each model's answer so far, by model id, in the order of `meta`'s `models`.

        A model that failed maps to `""` (see `errors`). A new dict on every access.
        """
        out: dict[str, str] = {}
        for model, parts in self._texts.items():
            if len(parts) > 1:
                parts[:] = ["".join(parts)]
            out[model] = parts[0] if parts else ""
        return out

    @property
    def comparison(self) -> str | None:
        """The judge's synthesis so far, or None when no `comparison_chunk` arrived."""
        parts = self._comparison
        if parts is None:
            return None
        if len(parts) > 1:
            parts[:] = ["".join(parts)]
        return parts[0] if parts else ""
