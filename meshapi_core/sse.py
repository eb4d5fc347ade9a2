"""Incremental Server-Sent Events decoding (WHATWG HTML "event stream", protocol.md §3.2).

Theory of operation
-------------------
`SSEDecoder.feed(bytes)` takes the body in whatever pieces the transport hands over and
returns the events completed by those bytes; `end()` says the body is over. The output
never depends on how the bytes were split (a hypothesis property in the tests).

Lines are split on *bytes* and only complete lines are decoded, so a multibyte UTF-8
character split across two reads survives, and U+2028/U+2029/U+0085 inside a value stay
data (they are not line ends in an event stream, which is why `str.splitlines` is never
used). The only state carried between reads is:

* `_tail`: the incomplete last line, which holds no CR or LF. New bytes are searched
  for line ends, never the tail again, so the total work is linear in the body size
  (`_scanned` counts the bytes searched; the tests hold it to the body length);
* `_skip_lf`: the previous read ended with CR, so an LF opening this read belongs to
  that same CRLF line end and is dropped;
* the pending event: its `data` lines, its type, and the persistent last event id and
  reconnection time.

The common case (LF-only lines, `data: {json}` then a blank line) goes through C-level
`bytes.split` once per read and one `startswith` plus one `decode` per line. A read that
holds a CR is first normalised with two `bytes.replace` calls (CRLF, then lone CR, to LF),
which is also linear.

Errors: an event (its data lines plus the line being read) larger than `max_event_size`
is a `RemoteProtocolError` instead of unbounded memory. A call never loses events that
were completed before the failure: it returns them and the failure is raised by the next
call (or at once when the call completed nothing). After that, and after `end()`, the
decoder refuses further use with `DecoderStateError`.
"""

from __future__ import annotations

import contextlib
import enum
from dataclasses import dataclass
from typing import TypeAlias

from ._errors import RemoteProtocolError

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "DecoderStateError", "SSEDecoder", "ServerSentEvent"]

#: protocol.md §3.1: frames carry base64 images, so lines of at least 16 MiB must pass;
#: the extra MiB leaves room for the `data: ` prefix and other fields of the same event.
DEFAULT_MAX_EVENT_SIZE = 17 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
_LF = 0x0A
_CR = 0x0D
_COLON = 0x3A


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSentEvent:
    """One dispatched event.

    Attributes:
        event: The event type; `"message"` when the event had no (or an empty) `event`
            field.
        data: The `data` lines joined with LF, without the final LF.
        id: The last event id seen on the stream so far (it persists across events, as
            WHATWG says); `None` until an `id` field arrives.
        retry: The reconnection time in milliseconds from the last valid `retry` field
            seen so far (it persists too); `None` until one arrives. The SDK never
            reconnects (protocol.md §3.2), it only records it.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


#: An event as the hot path carries it: (event, data, id, retry), as in ServerSentEvent.
RawEvent: TypeAlias = "tuple[str, str, str | None, int | None]"


class DecoderStateError(RuntimeError):
    """The caller misused a decoder: fed it after `end()`, or after it raised.

    This is a local usage error (the caller's bug), not a protocol error from the peer,
    so it is deliberately not a `MeshAPIError`.
    """


class _State(enum.Enum):
    OPEN = "open"  # accepting bytes
    FAILED = "failed"  # a protocol error is waiting to be raised by the next call
    CLOSED = "closed"  # end() was called, or the error was raised: refuse further use


# Module constants: an enum member read through its class costs ~50 ns on Python 3.11,
# which on the hot path is more than some whole checks.
_OPEN = _State.OPEN


class SSEDecoder:
    """Turns event-stream bytes, in any chunking, into `ServerSentEvent` values.

    Args:
        max_event_size: The most bytes one pending event may hold: its `data` lines
            plus the line currently being read (line ends not counted). The default
            accepts 16 MiB lines (protocol.md §3.1).

    Raises:
        ValueError: If `max_event_size` is not a positive int.
    """

    __slots__ = (
        "_data",
        "_data_size",
        "_error",
        "_event",
        "_expect_bom",
        "_head",
        "_last_id",
        "_max_event_size",
        "_retry",
        "_scanned",
        "_skip_lf",
        "_state",
        "_tail",
    )

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        if not isinstance(max_event_size, int) or max_event_size <= 0:
            raise ValueError(f"max_event_size must be a positive int, not {max_event_size!r}")
        self._max_event_size = max_event_size
        self._state = _State.OPEN
        self._error: RemoteProtocolError | None = None
        # BOM: the first bytes of the stream, held only while they could still be a
        # (split) BOM.
        self._expect_bom = True
        self._head = b""
        # Line splitting.
        self._tail = bytearray()
        self._skip_lf = False
        self._scanned = 0
        # The pending event.
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Decode the next piece of the body.

        Args:
            data: The next bytes of the body, of any length (`b""` is allowed).

        Returns:
            The events completed by these bytes, in order (often empty).

        Raises:
            RemoteProtocolError: An event grew larger than `max_event_size`. Events
                completed earlier in the same piece are returned first and the error is
                raised by the next call; the decoder then refuses further use.
            DecoderStateError: The decoder was ended, or has already raised.
        """
        return [
            ServerSentEvent(event=event, data=data, id=last_id, retry=retry)
            for event, data, last_id, retry in self._feed_raw(data)
        ]

    def end(self) -> list[ServerSentEvent]:
        """Say the body is over.

        A final event without its terminating blank line is discarded, as WHATWG
        requires (protocol.md §3.2, "End of body"); whether the stream as a whole ended
        cleanly is for the stream decoder to decide (§3.4).

        Returns:
            Always an empty list (kept so `feed` and `end` read alike at call sites).

        Raises:
            RemoteProtocolError: A protocol error found by the previous `feed` is still
                waiting to be raised.
            DecoderStateError: The decoder was already ended, or has already raised.
        """
        if self._state is not _State.OPEN:
            self._raise_unusable()
        self._state = _State.CLOSED
        self._tail = bytearray()
        self._data = []
        self._head = b""
        return []

    # -- internals -----------------------------------------------------------------------

    def _feed_raw(self, data: bytes) -> list[RawEvent]:
        """`feed`, returning plain tuples: the stream decoders' hot path.

        Building a frozen dataclass costs more than decoding the event's lines, and
        the typed stream decoders only need the type and data.
        """
        text = self._feed_one(data)
        if text is not None:
            return [("message", text, self._last_id, self._retry)]
        if self._state is not _OPEN:
            self._raise_unusable()
        if type(data) is not bytes:
            data = bytes(data)  # bytearray / memoryview from a driver
        if self._expect_bom:
            data = self._strip_bom(data)
        if data and self._skip_lf:
            # A CR ended the previous read: an LF here is the second half of that CRLF.
            self._skip_lf = False
            if data[0] == _LF:
                data = data[1:]
        events: list[RawEvent] = []
        if data:
            self._decode(data, events)
        return events

    def _feed_one(self, data: bytes) -> str | None:
        """The data of the one event `data` completes, for the commonest read of all.

        A gateway flushes one event per write, so most reads are exactly one
        `data: ...` line and its blank line. When such a read finds nothing pending (no
        partial line, no data lines, no event type, no BOM or half CRLF still to look
        for), its event is `("message", <the line's value>)` and the decoder's state is
        unchanged but for `_scanned`; that is decided here without the general machinery.
        Any other read returns None and changes nothing: `_feed_raw` takes it.
        """
        if (
            type(data) is bytes
            # The first LF is the last-but-one byte and the last is an LF: one line, then
            # the blank line.
            and data.find(b"\n") == len(data) - 2
            and data[-1] == _LF
            and data.startswith(b"data: ")
            and b"\r" not in data
            and self._state is _OPEN
            and not self._tail
            and not self._data
            and not self._event
            and not self._expect_bom
            and not self._skip_lf
            and len(data) - 2 <= self._max_event_size
        ):
            self._scanned += len(data)
            return data[6:-2].decode("utf-8", "replace")
        return None

    def _raise_unusable(self) -> None:
        error, self._error = self._error, None
        self._state = _State.CLOSED
        if error is not None:
            raise error
        raise DecoderStateError("the SSE decoder was ended or has failed; make a new one")

    def _fail(self, message: str, events: list[RawEvent]) -> None:
        """Stop decoding; raise now, or after handing back the events already complete."""
        self._tail = bytearray()
        self._data = []
        error = RemoteProtocolError(message)
        if events:
            self._state = _State.FAILED
            self._error = error
            return
        self._state = _State.CLOSED
        raise error

    def _strip_bom(self, data: bytes) -> bytes:
        # WHATWG: one U+FEFF at the very start of the stream is removed; any later one is
        # data. The BOM itself may be split across reads, so hold up to two bytes.
        head = self._head + data
        if len(head) < len(_BOM) and _BOM.startswith(head):
            self._head = head
            return b""
        self._expect_bom = False
        self._head = b""
        return head[len(_BOM) :] if head.startswith(_BOM) else head

    def _decode(self, chunk: bytes, events: list[RawEvent]) -> None:
        self._scanned += len(chunk)
        if b"\r" in chunk:
            # CRLF, LF and CR each end a line (§3.2). A CR that ends this read may be the
            # first half of a CRLF: remember to drop an LF that opens the next read.
            if chunk[-1] == _CR:
                self._skip_lf = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = chunk.split(b"\n")
        rest = lines.pop()  # the bytes after the last line end: an incomplete line
        if not lines:
            self._tail += rest
            self._check_tail(events)
            return
        if self._tail:
            lines[0] = bytes(self._tail) + lines[0]
            self._tail = bytearray(rest)
        elif rest:
            self._tail = bytearray(rest)
        if self._process_lines(lines, events):
            self._check_tail(events)

    def _check_tail(self, events: list[RawEvent]) -> None:
        if self._data_size + len(self._tail) > self._max_event_size:
            self._fail(self._too_large(self._data_size + len(self._tail)), events)

    def _too_large(self, size: int) -> str:
        return (
            f"server-sent event larger than max_event_size ({size} > "
            f"{self._max_event_size} bytes); the stream is malformed or the limit too low"
        )

    def _process_lines(self, lines: list[bytes], events: list[RawEvent]) -> bool:
        """Apply complete lines to the pending event; False if the decoder failed."""
        # Hot loop: state lives in locals and is written back once at the end.
        data = self._data
        size = self._data_size
        event = self._event
        limit = self._max_event_size
        append = events.append
        last_id = self._last_id  # written back at once wherever an `id` or `retry`
        retry = self._retry  # line changes them, so `_fail` never sees them stale
        for line in lines:
            if not line:
                # Blank line: dispatch, unless the data buffer is empty (§3.2 Dispatch).
                if data:
                    append((event or "message", "\n".join(data), last_id, retry))
                    data = []
                event = ""
                size = 0
                continue
            grown = size + len(line)
            if grown > limit:
                self._fail(self._too_large(grown), events)
                return False
            if line.startswith(b"data: "):  # the gateway's form, by far the commonest
                data.append(line[6:].decode("utf-8", "replace"))
                size = grown
                continue
            if line[0] == _COLON:
                continue  # a comment, such as ": keep-alive"
            name, value = _split_field(line)
            if name == b"data":
                data.append(value.decode("utf-8", "replace"))
                size = grown
            elif name == b"event":
                event = value.decode("utf-8", "replace")  # the last one wins
            elif name == b"id" and b"\0" not in value:  # WHATWG: an id with NUL is ignored
                last_id = self._last_id = value.decode("utf-8", "replace")
            elif name == b"retry" and value.isdigit():  # ASCII digits only, and non-empty
                # More digits than sys.get_int_max_str_digits() (4300 by default) is a
                # ValueError: no reconnection time is that long and the SDK never
                # reconnects, so such a field is ignored rather than let it escape.
                with contextlib.suppress(ValueError):
                    retry = self._retry = int(value)
            # Any other field name is ignored (§3.2 "Other fields").
        self._data = data
        self._data_size = size
        self._event = event
        return True


def _split_field(line: bytes) -> tuple[bytes, bytes]:
    """`name:value` split at the first colon, one leading space dropped from the value.

    A line with no colon is a field whose name is the whole line and whose value is
    empty (WHATWG). Splitting before decoding is safe: ":" and " " are ASCII and never
    part of a multibyte UTF-8 sequence, so the decoded name and value are the same as
    those of the decoded line.
    """
    colon = line.find(b":")
    if colon < 0:
        return line, b""
    start = colon + 1
    if line[start : start + 1] == b" ":
        start += 1
    return line[:colon], line[start:]
