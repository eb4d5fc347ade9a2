"""What a response body is: the stream kinds of protocol.md §3 and the plain shapes."""

from __future__ import annotations

import enum

__all__ = ["BodyEncoding", "BodyKind", "StreamKind"]


class StreamKind(enum.Enum):
    """The four SSE stream shapes; each ends differently (protocol.md §3.4)."""

    CHAT = "chat"
    RESPONSES = "responses"
    COMPARE = "compare"
    IMAGE = "image"


class BodyKind(enum.Enum):
    """What a non-streaming success body holds."""

    JSON = "json"  # one JSON document validated into the result model
    JSON_LIST = "json_list"  # a bare JSON array of result models (models, templates)
    EMPTY = "empty"  # 204, no body: the call returns None
    BYTES = "bytes"  # raw bytes handed back as they are (audio speech)
    JSON_ANY = "json_any"  # untyped JSON handed back as parsed (audio.get_transcription)


class BodyEncoding(enum.Enum):
    """How a request's params model goes on the wire (protocol.md §1.3, §1.6)."""

    JSON = "json"  # application/json
    MULTIPART = "multipart"  # multipart/form-data: the fields, then the `file` part
