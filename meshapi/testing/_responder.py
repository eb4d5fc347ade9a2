"""The deterministic "model": every reply is a pure function of the request.

Rules (a client test can predict every byte from them):

* **Tokens are whitespace-separated words.** `prompt_tokens` is the number of words in the
  text of every input message (string content, text parts, and tool-call arguments);
  `completion_tokens` is the number of words in the reply (for a tool call: the words of
  the function name plus those of the arguments JSON). `total = prompt + completion`.
* **Text replies echo.** The reply to a user message `X` is `You said: X`; after a tool
  result `R` it is `The tool returned: R`; with no user message it is a fixed greeting.
* **`stop`** cuts the reply before the earliest occurrence of any stop string
  (`finish_reason: "stop"`), then **`max_tokens`** keeps at most that many words
  (`finish_reason: "length"` when it cut anything).
* **Tool calls.** With `tools` and a `tool_choice` of `"required"`, a named function, or
  `"auto"`/absent when the last message is a user message naming a tool (its name, or its
  name with `_` read as spaces, case-insensitively), the reply is one call to that tool
  (`finish_reason: "tool_calls"`, no text). Its arguments are generated from the tool's
  JSON schema and always validate against it: every property (required ones included),
  `enum`/`const` honoured, numbers within `minimum`/`maximum` (the prompt's first number
  when it fits: "for 3 days" → `3`), string lengths within bounds, and string values
  taken from the prompt's last capitalised word ("weather in Paris" → `"Paris"`).
* **Structured outputs** (`response_format`, §7.1). For `{"type": "json_schema",
  "json_schema": {"schema": S}}` the reply is a JSON value generated from `S` by the same
  rules as tool arguments (`$ref`s into `$defs` followed), so it validates against `S`,
  its values taken from the conversation's *first* user message (the one carrying the
  data: later user turns of a structured exchange are usually corrections);
  for `{"type": "json_object"}` it is `{"reply": <the text reply>}`. A model without
  `supports_structured_output` ignores `response_format` and replies in prose, as such
  models do. Tool calls take precedence; `stop` and `max_tokens` still apply (a cut
  reply is no longer valid JSON, as with a real model).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Reply",
    "ToolCallReply",
    "UnknownToolError",
    "count_tokens",
    "generate_arguments",
    "message_text",
    "prompt_token_count",
    "respond",
    "respond_text",
    "split_arguments",
    "split_words",
    "structured_reply",
    "truncate_words",
]

GREETING = "Hello! I am the MeshAPI test gateway."


class UnknownToolError(ValueError):
    """`tool_choice` names a function that is not among `tools`."""


def count_tokens(text: str | None) -> int:
    """Words, the emulator's unit of tokens."""
    return len(text.split()) if text else 0


def message_text(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence) and not isinstance(content, (bytes, bytearray)):
        texts = []
        for part in content:
            if isinstance(part, Mapping):
                text = part.get("text")
                if isinstance(text, str):
                    texts.append(text)
            elif isinstance(part, str):
                texts.append(part)
        return " ".join(texts)
    return ""


def prompt_token_count(messages: Sequence[Mapping[str, Any]]) -> int:
    """Words in every message's text and tool-call arguments."""
    total = 0
    for message in messages:
        total += count_tokens(message_text(message.get("content")))
        calls = message.get("tool_calls")
        if isinstance(calls, Sequence):
            for call in calls:
                function = call.get("function") if isinstance(call, Mapping) else None
                if isinstance(function, Mapping):
                    total += count_tokens(str(function.get("arguments") or ""))
    return total


def truncate_words(text: str, limit: int) -> tuple[str, bool]:
    """The text up to the end of its `limit`-th word, and whether anything was cut."""
    if limit < 0:
        limit = 0
    matches = list(re.finditer(r"\S+", text))
    if len(matches) <= limit:
        return text, False
    if limit == 0:
        return "", True
    return text[: matches[limit - 1].end()], True


def apply_stop(text: str, stop: str | Sequence[str] | None) -> tuple[str, bool]:
    """The text cut before the earliest stop string, and whether one was found."""
    if stop is None:
        return text, False
    stops = [stop] if isinstance(stop, str) else [s for s in stop if isinstance(s, str)]
    cut = len(text)
    found = False
    for candidate in stops:
        if not candidate:
            continue
        index = text.find(candidate)
        if index != -1 and index < cut:
            cut, found = index, True
    return text[:cut], found


def split_words(text: str) -> list[str]:
    """Stream deltas: each word with the whitespace after it (the first keeps any lead)."""
    if not text:
        return []
    lead = re.match(r"\s*", text)
    prefix = lead.group() if lead else ""
    pieces = re.findall(r"\S+\s*", text[len(prefix) :])
    if not pieces:
        return [text]
    pieces[0] = prefix + pieces[0]
    return pieces


def split_arguments(arguments: str, parts: int = 3) -> list[str]:
    """An arguments JSON string cut into (at most) `parts` non-empty fragments."""
    if not arguments:
        return [""]
    size = max(1, -(-len(arguments) // parts))
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]


@dataclass(frozen=True)
class ToolCallReply:
    """A generated tool call."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Reply:
    """What the model "said"."""

    text: str | None
    tool_call: ToolCallReply | None
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        """prompt + completion."""
        return self.prompt_tokens + self.completion_tokens

    def usage(self) -> dict[str, int]:
        """The chat `usage` object."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


def _last_message(messages: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return messages[-1] if messages else None


def _last_user_text(messages: Sequence[Mapping[str, Any]]) -> str | None:
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message.get("content"))
    return None


def base_reply(messages: Sequence[Mapping[str, Any]]) -> str:
    """The full reply before stop sequences and max_tokens."""
    last = _last_message(messages)
    if last is not None and last.get("role") == "tool":
        return f"The tool returned: {message_text(last.get('content'))}"
    user = _last_user_text(messages)
    if user is None:
        return GREETING
    return f"You said: {user}"


def respond_text(
    text: str,
    *,
    prompt_tokens: int,
    max_tokens: int | None = None,
    stop: str | Sequence[str] | None = None,
) -> Reply:
    """A text reply with stop and max_tokens applied."""
    finish = "stop"
    text, _ = apply_stop(text, stop)
    if max_tokens is not None:
        text, cut = truncate_words(text, max_tokens)
        if cut:
            finish = "length"
    return Reply(
        text=text,
        tool_call=None,
        finish_reason=finish,
        prompt_tokens=prompt_tokens,
        completion_tokens=count_tokens(text),
    )


def _tool_name(tool: Mapping[str, Any]) -> str | None:
    # Chat tools nest the function; responses tools are flat.
    function = tool.get("function")
    if isinstance(function, Mapping):
        name = function.get("name")
    else:
        name = tool.get("name")
    return name if isinstance(name, str) else None


def _tool_schema(tool: Mapping[str, Any]) -> Mapping[str, Any]:
    function = tool.get("function")
    source = function if isinstance(function, Mapping) else tool
    schema = source.get("parameters")
    return schema if isinstance(schema, Mapping) else {"type": "object", "properties": {}}


def _named_in(text: str, name: str) -> bool:
    lowered = text.lower()
    return name.lower() in lowered or name.replace("_", " ").lower() in lowered


def choose_tool(
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    tool_choice: Any,
) -> Mapping[str, Any] | None:
    """The tool the reply calls, or None for a text reply."""
    function_tools = [t for t in tools or () if isinstance(t, Mapping) and _tool_name(t)]
    if not function_tools or tool_choice == "none":
        return None
    if isinstance(tool_choice, Mapping):
        function = tool_choice.get("function")
        wanted = function.get("name") if isinstance(function, Mapping) else tool_choice.get("name")
        for tool in function_tools:
            if _tool_name(tool) == wanted:
                return tool
        raise UnknownToolError(f"tool_choice names an unknown function: {wanted!r}")
    user = _last_user_text(messages) or ""
    named = [t for t in function_tools if _named_in(user, _tool_name(t) or "")]
    if tool_choice == "required":
        return named[0] if named else function_tools[0]
    last = _last_message(messages)
    if last is not None and last.get("role") == "user" and named:
        return named[0]
    return None


def structured_reply(
    messages: Sequence[Mapping[str, Any]], response_format: Mapping[str, Any] | None
) -> str | None:
    """The JSON text a structured-output request gets, or None for a prose reply."""
    if not isinstance(response_format, Mapping):
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        return json.dumps({"reply": base_reply(messages)}, ensure_ascii=True)
    if kind != "json_schema":
        return None
    wrapper = response_format.get("json_schema")
    schema = wrapper.get("schema") if isinstance(wrapper, Mapping) else None
    if not isinstance(schema, Mapping):
        schema = {"type": "object", "properties": {}}
    first_user = next((m for m in messages if m.get("role") == "user"), None)
    prompt = message_text(first_user.get("content")) if first_user is not None else ""
    value = generate_value(schema, prompt, root=schema)
    return json.dumps(value, ensure_ascii=True)


def respond(
    messages: Sequence[Mapping[str, Any]],
    *,
    max_tokens: int | None = None,
    stop: str | Sequence[str] | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: Any = None,
    response_format: Mapping[str, Any] | None = None,
    structured: bool = True,
) -> Reply:
    """The reply to a chat conversation.

    `response_format` asks for structured output; `structured` is whether the model
    honours it (its `supports_structured_output`).
    """
    prompt = prompt_token_count(messages)
    tool = choose_tool(messages, tools, tool_choice)
    if tool is None:
        text = structured_reply(messages, response_format) if structured else None
        return respond_text(
            text if text is not None else base_reply(messages),
            prompt_tokens=prompt,
            max_tokens=max_tokens,
            stop=stop,
        )
    name = _tool_name(tool) or "tool"
    user = _last_user_text(messages) or ""
    arguments = json.dumps(
        generate_arguments(_tool_schema(tool), user), separators=(",", ":"), ensure_ascii=True
    )
    digest = hashlib.sha256(f"{name}\0{arguments}\0{user}".encode()).hexdigest()
    call = ToolCallReply(id=f"call_{digest[:24]}", name=name, arguments=arguments)
    return Reply(
        text=None,
        tool_call=call,
        finish_reason="tool_calls",
        prompt_tokens=prompt,
        completion_tokens=count_tokens(name) + count_tokens(arguments),
    )


# ------------------------------------------------------------------ JSON-schema value maker


def _hint_word(prompt: str) -> str:
    words = [w.strip(".,;:!?\"'()[]{}") for w in prompt.split()]
    words = [w for w in words if w]
    capitalised = [w for i, w in enumerate(words) if i > 0 and w[:1].isupper() and w.isalpha()]
    if capitalised:
        return capitalised[-1]
    alpha = [w for w in words if w.isalpha()]
    return alpha[-1] if alpha else "example"


def _string_value(schema: Mapping[str, Any], prompt: str) -> str:
    fmt = schema.get("format")
    formats = {
        "date": "2026-01-01",
        "date-time": "2026-01-01T00:00:00Z",
        "time": "00:00:00",
        "email": "user@example.com",
        "uri": "https://example.com",
        "url": "https://example.com",
        "uuid": "00000000-0000-4000-8000-000000000000",
    }
    value = formats.get(fmt, _hint_word(prompt)) if isinstance(fmt, str) else _hint_word(prompt)
    min_length = schema.get("minLength")
    max_length = schema.get("maxLength")
    if isinstance(min_length, int) and len(value) < min_length:
        value = value + "x" * (min_length - len(value))
    if isinstance(max_length, int) and len(value) > max_length:
        value = value[:max_length]
    return value


def _within(value: float, schema: Mapping[str, Any]) -> bool:
    def bound(name: str) -> float | None:
        limit = schema.get(name)
        if isinstance(limit, bool) or not isinstance(limit, (int, float)):
            return None
        return float(limit)

    low, high = bound("minimum"), bound("maximum")
    ex_low, ex_high = bound("exclusiveMinimum"), bound("exclusiveMaximum")
    return (
        (low is None or value >= low)
        and (high is None or value <= high)
        and (ex_low is None or value > ex_low)
        and (ex_high is None or value < ex_high)
    )


def _prompt_number(prompt: str, integer: bool) -> int | float | None:
    # The prompt's first number ("Ada is 36" → 36; "for 3 days" → 3).
    match = re.search(r"(?<![\w.])-?[0-9]+(?:\.[0-9]+)?(?!\w)", prompt)
    if match is None:
        return None
    text = match.group()
    if "." in text:
        return None if integer else float(text)
    return int(text) if integer else float(text)


def _number_value(schema: Mapping[str, Any], integer: bool, prompt: str = "") -> int | float:
    candidate = _prompt_number(prompt, integer)
    if candidate is not None and _within(candidate, schema):
        return candidate
    low = schema.get("minimum")
    high = schema.get("maximum")
    ex_low = schema.get("exclusiveMinimum")
    ex_high = schema.get("exclusiveMaximum")
    value: float = 1
    if isinstance(low, (int, float)) and not isinstance(low, bool):
        value = low
    if isinstance(ex_low, (int, float)) and not isinstance(ex_low, bool) and value <= ex_low:
        value = ex_low + 1
    if isinstance(high, (int, float)) and not isinstance(high, bool) and value > high:
        value = high
    if isinstance(ex_high, (int, float)) and not isinstance(ex_high, bool) and value >= ex_high:
        value = ex_high - (1 if integer else 0.5)
    if integer:
        return int(value) if float(value).is_integer() else int(value) + 1
    return float(value)


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any] | None) -> Any:
    # A local `$ref` (`#/$defs/Name`, as pydantic writes them, or `#/definitions/Name`).
    reference = schema.get("$ref")
    if not isinstance(reference, str) or not reference.startswith("#/") or root is None:
        return schema
    target: Any = root
    for part in reference[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        target = target.get(part) if isinstance(target, Mapping) else None
    if not isinstance(target, Mapping):
        return schema
    # Keywords beside the $ref (pydantic puts `description` there) are kept.
    siblings = {k: v for k, v in schema.items() if k != "$ref"}
    return {**target, **siblings}


def generate_value(
    schema: Any, prompt: str, depth: int = 0, *, root: Mapping[str, Any] | None = None
) -> Any:
    """A value valid against `schema` (the subset of JSON Schema tools and structured
    outputs use); `root` is the document local `$ref`s point into."""
    if not isinstance(schema, Mapping) or depth > 8:
        return _hint_word(prompt)
    if root is None:
        root = schema
    schema = _resolve(schema, root)
    if not isinstance(schema, Mapping):
        return _hint_word(prompt)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, Sequence) and not isinstance(enum, str) and enum:
        return enum[0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        options = schema.get(combinator)
        if isinstance(options, Sequence) and options:
            typed = [o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")]
            if combinator == "allOf" and len(options) > 1:
                merged: dict[str, Any] = {}
                for option in options:
                    resolved = _resolve(option, root) if isinstance(option, Mapping) else {}
                    merged.update(resolved if isinstance(resolved, Mapping) else {})
                return generate_value(merged, prompt, depth + 1, root=root)
            return generate_value((typed or list(options))[0], prompt, depth + 1, root=root)
    kind = schema.get("type")
    if isinstance(kind, Sequence) and not isinstance(kind, str):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if kinds else "null"
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        return _object_value(schema, prompt, depth, root)
    if kind == "array":
        items = schema.get("items", {"type": "string"})
        min_items = schema.get("minItems")
        max_items = schema.get("maxItems")
        count = min_items if isinstance(min_items, int) and min_items > 1 else 1
        if isinstance(max_items, int) and count > max_items:
            count = max_items
        prefix = schema.get("prefixItems")
        if isinstance(prefix, Sequence) and not isinstance(prefix, str) and prefix:
            # A tuple: one value per position.
            return [generate_value(item, prompt, depth + 1, root=root) for item in prefix]
        return [generate_value(items, prompt, depth + 1, root=root) for _ in range(count)]
    if kind == "integer":
        return _number_value(schema, integer=True, prompt=prompt)
    if kind == "number":
        return _number_value(schema, integer=False, prompt=prompt)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string_value(schema, prompt)


def _object_value(
    schema: Mapping[str, Any], prompt: str, depth: int, root: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    required = schema.get("required")
    names = list(properties)
    if isinstance(required, Sequence) and not isinstance(required, str):
        names += [n for n in required if isinstance(n, str) and n not in properties]
    return {
        name: generate_value(properties.get(name, {}), prompt, depth + 1, root=root)
        for name in names
    }


def generate_arguments(schema: Mapping[str, Any], prompt: str) -> dict[str, Any]:
    """Arguments for a tool: always a JSON object."""
    value = generate_value(schema, prompt)
    return value if isinstance(value, dict) else {"value": value}
