"""Typed stream decoding: event-stream bytes to stream items (protocol.md §3.3–§3.9).

Theory of operation
-------------------
`StreamDecoder` wraps an `SSEDecoder` and turns each dispatched event into an item of
the endpoint's model, applying §3.3 in order:

1. data that is `[DONE]` (ASCII whitespace stripped) ends the stream cleanly; later bytes
   are ignored;
2. data that is not JSON, or JSON but not an object, is skipped (logged at DEBUG);
3. an error frame (§3.5 a–d) raises `MeshAPIError`;
4. on chat only, an object whose `type` starts with `response.` is skipped;
5. the object is validated into the item model; the SSE event name, when present, is
   set as `.event` (it wins over an `event` key); a failure is a `parse_error`.

`end()` then applies §3.4: a stream that did not end the way its endpoint promises is
`stream_interrupted`, never a silently shorter answer.

Hot path. Parsing every payload twice (once with `json.loads` to look at `error` and
`type`, once more to validate) would double the cost of the commonest case. Instead a
payload on an event not named `error` is validated first, straight from its text, with
the item model's lean validator (`types/_lean.py`: the same result as the model's own,
or a refusal; `[DONE]`, non-JSON and non-objects are refused, since an item is a JSON
object). The *validated* item then shows whether steps 1–4
could have applied, with no text scanning and no way for JSON escapes to hide a key: a
top-level `error` key (§3.5 a, c) and, on chat, a `type` key (step 4) are unknown to the
item models, so they sit in the item's extra fields; a responses event shows its `type`
(§3.5 d). An item that shows any of those, any payload the fast validation refuses, and
any `error` event take the slow path, the reference reading of
§3.3: `json.loads`, the checks, then `model_validate`. So the fast path changes speed,
never results. It is only taken for item models that keep unknown fields (all of them:
responses are lenient), since one that dropped them could hide an `error` key.

Errors never lose items: a `feed` that completes items and then meets an error frame (or
a validation failure, or malformed SSE) returns those items, and the next call raises.
"""

from __future__ import annotations

import enum
import json
import logging
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from ._errors import MeshAPIError, RemoteProtocolError, make_error, redact_secret
from ._kinds import StreamKind
from .sse import DEFAULT_MAX_EVENT_SIZE, DecoderStateError, RawEvent, SSEDecoder
from .types._base import ResultModel, request_id_store
from .types._lean import lean_validator

__all__ = ["StreamDecoder"]

_log = logging.getLogger("meshapi")

T = TypeVar("T", bound=ResultModel)

# WHATWG "ASCII whitespace" (§3.3 step 1); str.strip() with no argument would also strip
# Unicode spaces such as U+00A0 and U+2028.
_ASCII_WHITESPACE = "\t\n\x0c\r "

# §3.4: the events after which EOF is a clean end of a responses stream.
_RESPONSES_TERMINAL = frozenset({"response.completed", "response.failed", "response.incomplete"})


class _State(enum.Enum):
    OPEN = "open"
    FAILED = "failed"  # an error is waiting to be raised by the next call
    CLOSED = "closed"  # ended, or the error was raised


# Module constants: an enum member read through its class costs ~50 ns on Python 3.11.
_OPEN = _State.OPEN
_setattr = object.__setattr__


class StreamDecoder(Generic[T]):
    """Decodes one streaming response body into items of `item_model`.

    Args:
        kind: Which stream this is; it selects the error-frame rules (§3.5) and the
            clean end (§3.4).
        item_model: The model each event is validated into (`ChatCompletionChunk`,
            `ResponsesStreamEvent`, `CompareStreamEvent`, `ImageGenerationChunk`).
        request_id: The response's `x-request-id` header, if already known. The driver
            may also set the `request_id` attribute once the headers arrive; it is used
            for errors and set as `_request_id` on every item.
        max_event_size: The largest event accepted, in bytes (see `SSEDecoder`).

    The decoder is single-use: once `done` (a clean end) it ignores further bytes; once
    it has raised, or after `end()`, it refuses further use with `DecoderStateError`.
    """

    __slots__ = (
        "_chat",
        "_clean_at_eof",
        "_declared_error",
        "_error",
        "_fast",
        "_has_event_field",
        "_private",
        "_responses",
        "_sse",
        "_state",
        "_validate_json",
        "done",
        "error_pending",
        "item_model",
        "kind",
        "request_id",
        "secret",
    )

    def __init__(
        self,
        kind: StreamKind,
        item_model: type[T],
        *,
        request_id: str | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        secret: str | None = None,
    ) -> None:
        # The credential, so error frames that echo it are redacted (§1.2).
        self.secret = secret
        self.kind = kind
        self.item_model = item_model
        self.request_id = request_id
        self._sse = SSEDecoder(max_event_size)
        self._has_event_field = "event" in item_model.model_fields
        self._chat = kind is StreamKind.CHAT
        self._responses = kind is StreamKind.RESPONSES
        # Which validated items could still be error frames (module docstring): one with
        # a declared `error` field shows it in its fields set, except on compare, where
        # a string `error` is data (§3.8) and an object one fails validation.
        self._declared_error = "error" in item_model.model_fields and kind is not (
            StreamKind.COMPARE
        )
        self._fast = item_model.model_config.get("extra") == "allow"
        # The fast path validates with the model's lean validator (types/_lean.py): what
        # it accepts it reads exactly as the model does; what it refuses goes the slow way.
        self._validate_json = lean_validator(item_model).validate_json
        # The private store every item gets (see `_store`), made once per request id.
        self._private: dict[str, Any] | None = None
        # Plain attributes, not properties: a stream reads both after every read.
        #: True once the stream ended cleanly (§3.4); later bytes are then ignored.
        self.done = False
        #: True when the last `feed` returned items and an error waits behind them. A
        #: driver that sees it after handing those items over can call `end()` (or
        #: `feed(b"")`) to raise the error at once, instead of waiting for more bytes.
        self.error_pending = False
        # §3.4: responses and images may end cleanly at EOF after certain items.
        self._clean_at_eof = False
        self._state = _State.OPEN
        self._error: MeshAPIError | None = None

    def feed(self, data: bytes) -> list[T]:
        """Decode the next piece of the body.

        Args:
            data: The next bytes of the body, in any chunking.

        Returns:
            The items completed by these bytes, in order. Empty once `done`.

        Raises:
            MeshAPIError: An error frame (status 0, the frame's code, §3.5); a
                `ResponseParseError` (`parse_error`, status 0) for an item that does not
                validate or for malformed SSE. Items completed earlier in the same piece
                are returned first and the error is raised by the next call. The decoder
                then refuses further use.
            DecoderStateError: Fed after `end()` or after it raised.
        """
        if self.done:
            return []  # the driver drains the rest of the body; it means nothing now
        if self._state is not _OPEN:
            self._raise_unusable()
        sse = self._sse
        text = sse._feed_one(data)
        if text is None:
            try:
                events = sse._feed_raw(data)
            except RemoteProtocolError as exc:
                self._state = _State.CLOSED
                exc.request_id = self.request_id or ""
                raise
            if not events:
                return []
            return self._decode_events(events)
        # The read was exactly one `data:` event (the commonest read by far): the fast
        # path of `_decode_events` for it, without building the event tuple.
        refused = False
        if self._fast:
            try:
                item: T = self._validate_json(text)
            except ValidationError:
                # The lean validator refused it: the slow reading decides, below, outside
                # this handler, so that its error does not carry this one as its context.
                refused = True
            else:
                extra = item.__pydantic_extra__
                if not (
                    (extra and ("error" in extra or (self._chat and "type" in extra)))
                    or (self._declared_error and "error" in item.__pydantic_fields_set__)
                    or (self._responses and getattr(item, "type", None) == "error")
                ):
                    if self.request_id is not None:
                        _setattr(item, "__pydantic_private__", self._store())
                    if not self._chat:
                        self._note_end(item)
                    return [item]
        return self._decode_events([("message", text, sse._last_id, sse._retry)], refused)

    def _decode_events(self, events: list[RawEvent], slowly: bool = False) -> list[T]:
        """§3.3 for each dispatched event, in order (see `feed` for the error rule).

        `slowly` skips the fast path (for an event the lean validator already refused).
        """
        items: list[T] = []
        validate = self._validate_json
        chat = self._chat
        private = None if self.request_id is None else self._store()
        fast = self._fast and not slowly
        declared_error = self._declared_error
        responses = self._responses
        has_event_field = self._has_event_field
        append = items.append
        for name, text, _id, _retry in events:
            try:
                item: T | None
                item = None
                if fast and name != "error":
                    # Fast path (module docstring): validate, then look at the item.
                    try:
                        item = validate(text)
                    except ValidationError:
                        pass  # the slow path decides, outside this handler (no context)
                    else:
                        extra = item.__pydantic_extra__
                        if (
                            (extra and ("error" in extra or (chat and "type" in extra)))
                            or (declared_error and "error" in item.__pydantic_fields_set__)
                            or (responses and getattr(item, "type", None) == "error")
                        ):
                            item = None
                        elif has_event_field and name != "message":
                            item.event = name  # type: ignore[union-attr]
                if item is None:
                    item = self._decode_slowly(name, text)
            except MeshAPIError as exc:
                self._fail(exc, items)
                return items
            if item is not None:
                if private is not None:
                    # The request id, the way set_fresh_request_id sets it, with a store
                    # shared by the stream's items (types/_base.py: copy on write).
                    _setattr(item, "__pydantic_private__", private)
                if not chat:
                    self._note_end(item)  # chat ends only at [DONE]
                append(item)
            if self.done:
                break
        return items

    def end(self) -> list[T]:
        """Say the body is over, and check that the stream ended cleanly (§3.4).

        Returns:
            Always an empty list (a final event without its blank line is discarded,
            §3.2).

        Raises:
            StreamInterruptedError: The stream did not end the way its endpoint promises
                (`stream_interrupted`, status 0, `request_id` = the stream's header id).
            MeshAPIError: An error found by the previous `feed` is still waiting.
            DecoderStateError: Called twice, or after the decoder raised.
        """
        if self.done:
            return []
        if self._state is not _State.OPEN:
            self._raise_unusable()
        self._state = _State.CLOSED
        try:
            self._sse.end()
        except RemoteProtocolError as exc:
            exc.request_id = self.request_id or ""
            raise
        if self._clean_at_eof:
            self.done = True
            return []
        raise MeshAPIError.stream_interrupted(None, request_id=self.request_id)

    # -- internals -----------------------------------------------------------------------

    def _store(self) -> dict[str, Any]:
        """The private store holding `request_id` (which the driver may set late)."""
        private = self._private
        if private is None or private["_request_id"] is not self.request_id:
            assert self.request_id is not None
            private = self._private = request_id_store(self.request_id)
        return private

    def _raise_unusable(self) -> None:
        error, self._error = self._error, None
        self._state = _State.CLOSED
        self.error_pending = False
        if error is not None:
            raise error
        raise DecoderStateError("the stream decoder was ended or has failed; make a new one")

    def _fail(self, error: MeshAPIError, items: list[T]) -> None:
        """Raise now, or (when items came first) after the caller has received them."""
        redact_secret(error, self.secret)
        if items:
            self._state = _State.FAILED
            self.error_pending = True
            self._error = error
            return
        self._state = _State.CLOSED
        raise error

    def _note_end(self, item: T) -> None:
        """Record what lets this stream end cleanly (§3.4)."""
        kind = self.kind
        if kind is StreamKind.RESPONSES:
            if getattr(item, "type", None) in _RESPONSES_TERMINAL:
                self._clean_at_eof = True
        elif kind is StreamKind.COMPARE:
            # §3.8: `done` is always last; it is the clean end, so stop reading there.
            if getattr(item, "event", None) == "done":
                self.done = True
        elif kind is StreamKind.IMAGE and getattr(item, "data", None):
            self._clean_at_eof = True

    def _decode_slowly(self, name: str, text: str) -> T | None:
        """§3.3 exactly, for any payload the fast path could not take."""
        if text.strip(_ASCII_WHITESPACE) == "[DONE]":
            # Step 1. On compare the `done` event is the end and a `[DONE]` is only
            # tolerated (§3.4): skip it and keep waiting for `done`.
            if self.kind is not StreamKind.COMPARE:
                self.done = True
            return None
        # Step 2.
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            _log.debug(
                "skipping SSE data that is not JSON on a %s stream: %.200r", self.kind.value, text
            )
            return None
        if not isinstance(obj, dict):
            _log.debug(
                "skipping SSE data that is not a JSON object on a %s stream: %.200r",
                self.kind.value,
                text,
            )
            return None
        # Step 3.
        error = _maybe_frame_error(self.kind, name, obj, self.request_id)
        if error is not None:
            raise error
        # Step 4.
        if self.kind is StreamKind.CHAT:
            frame_type = obj.get("type")
            if isinstance(frame_type, str) and frame_type.startswith("response."):
                return None
        # Step 5.
        if self._has_event_field and name != "message":
            obj["event"] = name  # the SSE event name wins over the payload's key
        try:
            return self.item_model.model_validate(obj)
        except ValidationError as exc:
            raise self._parse_error(exc) from exc

    def _parse_error(self, exc: ValidationError) -> MeshAPIError:
        first = exc.errors(include_url=False, include_context=False, include_input=False)
        where = ".".join(str(part) for part in first[0]["loc"]) if first else ""
        what = first[0]["msg"] if first else str(exc)
        error = make_error(
            f"stream item did not validate as {self.item_model.__name__}: "
            f"{exc.error_count()} error(s), first at {where or '<root>'}: {what}",
            status=0,
            error_code="parse_error",
            request_id=self.request_id,
            details=first,
        )
        error.__cause__ = exc
        return error


def _maybe_frame_error(
    kind: StreamKind, name: str, obj: dict[str, Any], header_request_id: str | None
) -> MeshAPIError | None:
    """The error an event raises if it is an error frame (§3.5), else None."""
    error = obj.get("error")
    code: Any
    if isinstance(error, dict):
        # (a), and (b) when `error` is an object: the fields are read from `error`.
        fields: dict[str, Any] = error
        code = error.get("code")
        message = error.get("message")
    elif name == "error":
        # (b): an `event: error` frame without an object `error` reads the top level. A
        # string `error` is still the best message if the top level has none.
        fields = obj
        code = obj.get("code")
        message = obj.get("message")
        if not (isinstance(message, str) and message) and isinstance(error, str):
            message = error
    elif isinstance(error, str) and kind is not StreamKind.COMPARE:
        # (c): on compare a string `error` is one model's failure, data (§3.8).
        fields = obj
        code = None  # "the code is upstream_error"
        message = error
    elif kind is StreamKind.RESPONSES and obj.get("type") == "error":
        # (d): a Responses `type: "error"` event carries code/message/param at the top.
        fields = obj
        code = obj.get("code")
        message = obj.get("message")
    else:
        return None
    request_id = obj.get("request_id")
    if not (isinstance(request_id, str) and request_id):
        request_id = header_request_id
    details = fields.get("details")
    provider_error = fields.get("provider_error")
    retry_after = fields.get("retry_after_seconds")
    param = fields.get("param")
    return make_error(
        message if isinstance(message, str) and message else "upstream error",
        status=0,
        error_code=code if isinstance(code, str) and code else "upstream_error",
        request_id=request_id,
        details=details if isinstance(details, list) else None,
        provider_error=provider_error if isinstance(provider_error, dict) else None,
        retry_after_seconds=(
            retry_after
            if isinstance(retry_after, int)
            and not isinstance(retry_after, bool)
            and retry_after >= 0
            else None
        ),
        param=param if isinstance(param, str) else None,
    )
