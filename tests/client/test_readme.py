"""Every ```python block of README.md, run against the local gateway.

How the blocks are found and grouped
    Each fenced block whose info string is `python` is one test, named after its section,
    its subsection and its position there (`chat-completions/streaming-2`), so a failure
    points at the block; the traceback shows README.md line numbers. Other fences
    (`bash`, `text`) are documentation only. Blocks under one `##` heading (its `###`
    subsections included) share one namespace and run in README order, so a block can use
    what an earlier one defined. Running a single block (`-k`) first runs the blocks
    before it in its section, silently.

Where the blocks send their requests
    One `MeshAPIGateway` serves the module. The README is written for users, so its
    examples say `MeshAPI(base_url="https://api.meshapi.ai", token="rsk_...")` (the 0.1.x
    examples exactly as their users wrote them), `base_url="..."`, or nothing at all
    (`MeshAPI()`, reading the environment). While this module runs, and only then:

    * `MESHAPI_BASE_URL` / `MESHAPI_TOKEN` point at the gateway;
    * the client classes the README imports (`meshapi.MeshAPI`, `meshapi.AsyncMeshAPI`,
      `meshapi_aiohttp.AsyncMeshAPI`) are replaced on their modules by subclasses that
      redirect the constructor: a `base_url` that is not a loopback URL (or is absent)
      becomes the gateway's URL, and a placeholder token (absent, or containing `...`)
      becomes the gateway's token. A block that starts its own `MeshAPIGateway` and passes
      its 127.0.0.1 URL keeps it, and a deliberately wrong key such as
      `rsk_not_a_real_key` is kept, so the 401 example gets its 401.

    Both are undone when the module ends. The redirecting classes keep the real names and
    are real subclasses, so `repr`, `isinstance` and the rest behave as for users.

How a block runs
    * A block with a top-level `asyncio.run(...)` or `trio.run(...)` runs as it is.
    * A block with a bare top-level `await`, `async for` or `async with` is compiled with
      `ast.PyCF_ALLOW_TOP_LEVEL_AWAIT` (an implicit async function whose names land in the
      section namespace) and run on one asyncio loop kept for the module, so async objects
      made for one block (an `AsyncMeshAPI` client) stay usable and are closed on it.
    * Anything else is `exec`-ed.

    A block's stdout is captured; a block that calls `print` must print something, except
    the few listed in `QUIET` (each with the reason).

What the test adds around the blocks
    * Every section starts with the names of the README's Authentication block: `MeshAPI`
      and `client` (a sync client), as the later sections assume.
    * `PRELUDES` gives blocks the placeholder data the README leaves to the reader
      (`pdf_bytes`, `pcm_bytes`, `process_audio`, `template_id`, `ctrl`, `params`,
      `process`), keyed by heading. A prelude runs once, just before the first block under
      its heading; a `###` prelude's names are restored when that subsection ends, so
      `### Async streaming` can make `client` an `AsyncMeshAPI` without leaking it.
    * The gateway's RAG uploads become `ready` the moment the bytes arrive and embedding
      is immediate, as the 0.1.4 RAG example (which embeds straight after uploading)
      assumes; batches still move through `validating` and `in_progress`.
    * A block preceded by `<!-- readme-test: skip -->` is skipped; each such block needs
      a reason in `SKIPPED` (the test fails otherwise).
    * Blocks using a feature that is not importable yet (realtime, the aiohttp driver)
      are expected to fail (`xfail(strict=False)`), decided at collection by looking for
      the feature; once it exists they must pass.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import dataclasses
import importlib
import inspect
import io
import re
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import meshapi
from meshapi.testing import GatewayTimings, MeshAPIGateway

README = Path(__file__).resolve().parents[2] / "README.md"
SKIP_MARK = "<!-- readme-test: skip -->"
_MISSING: Any = object()

# --------------------------------------------------------------------------- the tables

# Placeholder data per heading (the heading's text without the #s), run before its first
# block. The README leaves these to the reader ("your PDF", "your audio callback").
PRELUDES: dict[str, str] = {
    # The 0.1.x snippet iterates `client.chat.completions.stream(params)` with `async for`:
    # an AsyncMeshAPI client and some params, for this subsection only.
    "Async streaming": """
from meshapi import AsyncMeshAPI, ChatCompletionParams, ChatMessage
client = AsyncMeshAPI(base_url="https://api.meshapi.ai", token="rsk_...")
params = ChatCompletionParams(
    model="openai/gpt-4o-mini",
    messages=[ChatMessage(role="user", content="Write a haiku about Python.")],
)
""",
    "RAG (Retrieval-Augmented Generation)": """
pdf_bytes = (
    b"Employee handbook.\\n\\n"
    b"Section 2. Onboarding. New hires complete the onboarding process in week one."
)
""",
    "Realtime (Speech-to-Speech WebSocket)": """
import math, struct
pcm_bytes = b"".join(  # 100 ms of a 440 Hz tone, PCM16 24 kHz mono
    struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / 24000))) for n in range(2400)
)
received_audio = []
process_audio = received_audio.append
""",
    # The 0.1.3 CRUD example manages "the template you created" through `ctrl`, a client
    # holding a control-plane JWT; the gateway takes the data-plane key for both.
    "Managing templates": """
ctrl = client
template_id = next(t.id for t in client.templates.list() if t.name == "support-agent")
""",
    # The 0.1.x error example catches the failure of `params`: a request that fails, so
    # the handler runs (an unknown model: model_not_found).
    "Error handling": """
from meshapi import ChatCompletionParams, ChatMessage
params = ChatCompletionParams(
    model="acme/no-such-model",
    messages=[ChatMessage(role="user", content="Hello!")],
)
""",
    "Streaming failure recovery": """
from meshapi import ChatCompletionParams, ChatMessage
params = ChatCompletionParams(
    model="openai/gpt-4o-mini",
    messages=[ChatMessage(role="user", content="Write a haiku about Python.")],
)
received_chunks = []
process = received_chunks.append
""",
    # The 0.1.4 templates example creates "support-agent" itself, then updates and deletes
    # `template_id`; clear a leftover "support-agent" and give it a template to manage.
    "Upgrading from 0.1.x": """
from meshapi import ChatCompletionParams, ChatMessage, CreateTemplateParams, MeshAPI
for _t in client.templates.list():
    if _t.name == "support-agent" and not _t.is_global:
        client.templates.delete(_t.id)
template_id = client.templates.create(
    CreateTemplateParams(name="readme-upgrade-example", system="You are terse.")
).id
""",
}

# Blocks (found by a snippet of their code) that call print but rightly print nothing.
QUIET: dict[str, str] = {
    'if event.event == "delta":': (
        "the 0.1.x compare loop waits for `delta` events, which the compare stream never "
        "sends (its events are meta, model_chunk, ...); the README says it prints nothing"
    ),
}

# Blocks marked `<!-- readme-test: skip -->` (found by a snippet), and why.
SKIPPED: dict[str, str] = {
    'model="openai/gpt-4o-realtime-preview"': (
        "the verbatim 0.1.4 realtime example, shown in the upgrade notes as what no longer "
        "works: its session.update lacks session.type (the GA protocol refuses it with "
        "missing_required_parameter), its preview model is not in the catalogue, it "
        "waits for a response.done without sending response.create, and its async half "
        "sends the placeholder `{...}` (a Python set, not JSON)"
    ),
}


def _realtime_available() -> bool:
    client = meshapi.MeshAPI(base_url="http://127.0.0.1:9", token="rsk_probe")
    try:
        return hasattr(client, "realtime") and hasattr(client.realtime, "connect")
    finally:
        client.close()


def _aiohttp_available() -> bool:
    try:
        module = importlib.import_module("meshapi_aiohttp")
    except Exception:  # a half-written driver may fail in any way on import
        return False
    return isinstance(getattr(module, "AsyncMeshAPI", None), type)


@dataclasses.dataclass(frozen=True)
class Feature:
    """A feature some blocks need; they xfail while `available()` is false."""

    marker: re.Pattern[str]
    available: Callable[[], bool]
    reason: str


FEATURES = (
    Feature(
        re.compile(r"\.realtime\.connect\("),
        _realtime_available,
        "client.realtime is not implemented yet",
    ),
    Feature(
        re.compile(r"\bmeshapi_aiohttp\b"),
        _aiohttp_available,
        "meshapi_aiohttp.AsyncMeshAPI is not importable yet",
    ),
)

# The names of the README's Authentication block, which later sections use as `client`.
SECTION_START = """
from meshapi import MeshAPI
client = MeshAPI(base_url="https://api.meshapi.ai", token="rsk_...")
"""

# -------------------------------------------------------------------- reading the README


@dataclasses.dataclass(frozen=True)
class Block:
    """One ```python block and where it sits."""

    section: str  # the `##` heading (or the `#` title before the first `##`)
    heading: str  # the nearest heading above: the `###` one, else the section's
    index: int  # 1-based position under `heading`
    line: int  # README line of the block's first code line
    source: str
    skipped: bool

    @property
    def id(self) -> str:
        section = _slug(self.section)
        if self.heading == self.section:
            return f"{section}-{self.index}"
        return f"{section}/{_slug(self.heading)}-{self.index}"


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def read_blocks(text: str) -> list[Block]:
    """The README's python blocks, in order."""
    blocks: list[Block] = []
    section = heading = ""
    counts: dict[tuple[str, str], int] = {}
    lines = text.splitlines()
    fence: str | None = None  # the info string of the open fence
    start = 0
    previous = ""  # the last non-blank line outside fences
    skip = False
    for number, line in enumerate(lines, 1):
        if fence is None:
            if line.startswith("```"):
                fence = line[3:].strip()
                start = number
                skip = previous.strip() == SKIP_MARK
                continue
            match = re.match(r"(#{1,3}) (.+)", line)
            if match:
                level, title = len(match.group(1)), match.group(2).strip()
                if level <= 2:
                    section = heading = title
                else:
                    heading = title
            if line.strip():
                previous = line
        elif line.startswith("```"):
            if fence == "python":
                key = (section, heading)
                counts[key] = counts.get(key, 0) + 1
                source = "\n".join(lines[start : number - 1]) + "\n"
                blocks.append(Block(section, heading, counts[key], start + 1, source, skip))
            fence = None
            previous = line
    assert fence is None, f"README.md: the fence opened on line {start} is never closed"
    return blocks


BLOCKS = read_blocks(README.read_text(encoding="utf-8"))


def _snippet_entry(table: dict[str, str], block: Block) -> str | None:
    for snippet, reason in table.items():
        if snippet in block.source:
            return reason
    return None


def _param(block: Block) -> Any:
    marks: list[Any] = []
    if block.skipped:
        reason = _snippet_entry(SKIPPED, block)
        marks.append(pytest.mark.skip(reason=reason or "UNJUSTIFIED"))
    for feature in FEATURES:
        if feature.marker.search(block.source) and not feature.available():
            marks.append(pytest.mark.xfail(reason=feature.reason, strict=False))
    return pytest.param(block, id=block.id, marks=marks)


# --------------------------------------------------------------------- the redirection


def _is_loopback(base_url: object) -> bool:
    if not isinstance(base_url, str):
        return False
    host = urllib.parse.urlsplit(base_url).hostname
    return host in ("127.0.0.1", "localhost", "::1")


def _is_placeholder_token(token: object) -> bool:
    return token is None or (isinstance(token, str) and "..." in token)


def _on_loop_or_none(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether the caller runs on `loop`, or on no event loop at all (not on trio's)."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        pass
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_task()
        except RuntimeError:
            return True
        return False
    return True


class Redirect:
    """Client classes that send README examples to the module's gateway."""

    def __init__(self, gateway: MeshAPIGateway) -> None:
        self.gateway = gateway
        self.sync_clients: list[Any] = []
        self.async_clients: list[Any] = []  # made outside any running loop, or on ours

    def wrap(self, cls: type[Any], *, is_async: bool, loop: asyncio.AbstractEventLoop) -> type[Any]:
        redirect = self

        def __init__(self: Any, **kwargs: Any) -> None:
            if not _is_loopback(kwargs.get("base_url")):
                kwargs["base_url"] = redirect.gateway.url
                if _is_placeholder_token(kwargs.get("token")):
                    kwargs["token"] = redirect.gateway.token
            cls.__init__(self, **kwargs)
            if not is_async:
                redirect.sync_clients.append(self)
            elif _on_loop_or_none(loop):
                # Clients made inside a block's own asyncio.run / trio.run are that
                # block's to close; the rest are used on the module's loop, closed there.
                redirect.async_clients.append(self)

        return type(
            cls.__name__,
            (cls,),
            {
                "__init__": __init__,
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "__doc__": cls.__doc__,
            },
        )

    def close_all(self, loop: asyncio.AbstractEventLoop) -> None:
        for client in self.sync_clients:
            with contextlib.suppress(Exception):
                client.close()
        for client in self.async_clients:
            with contextlib.suppress(Exception):
                loop.run_until_complete(client.aclose())


# ------------------------------------------------------------------------ running blocks


def _top_level_run(tree: ast.Module) -> bool:
    """Whether the block calls asyncio.run(...) / trio.run(...) at its top level."""
    for node in tree.body:
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr == "run"
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id in ("asyncio", "trio")
        ):
            return True
    return False


def _calls_print(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
        for node in ast.walk(tree)
    )


@dataclasses.dataclass
class Outcome:
    """What running one block gave."""

    stdout: str
    error: BaseException | None


class _Tee(io.StringIO):
    """Captures a block's output and passes it on (pytest shows it on failure)."""

    def __init__(self, through: Any) -> None:
        super().__init__()
        self._through = through

    def write(self, text: str) -> int:
        with contextlib.suppress(Exception):
            self._through.write(text)
        return super().write(text)


class SectionRun:
    """Runs the blocks of one `##` section, in order, in one namespace."""

    def __init__(self, blocks: list[Block], loop: asyncio.AbstractEventLoop) -> None:
        self.blocks = blocks
        self.loop = loop
        self.namespace: dict[str, Any] = {"__name__": "__readme__", "__builtins__": __builtins__}
        self.outcomes: list[Outcome] = []
        self.opened: set[str] = set()
        # Names a `###` prelude bound: name -> (the value before, the prelude's value).
        self.scoped: dict[str, tuple[Any, Any]] = {}
        self.scope: str | None = None
        self.started = False

    def outcome(self, block: Block) -> Outcome:
        position = self.blocks.index(block)
        while len(self.outcomes) <= position:
            self.outcomes.append(self._run(self.blocks[len(self.outcomes)]))
        return self.outcomes[position]

    def earlier_failures(self, block: Block) -> list[str]:
        position = self.blocks.index(block)
        return [
            self.blocks[i].id
            for i, outcome in enumerate(self.outcomes[:position])
            if outcome.error is not None
        ]

    def _run(self, block: Block) -> Outcome:
        if block.skipped:
            return Outcome("", None)
        buffer = _Tee(sys.stdout)
        try:
            with contextlib.redirect_stdout(buffer):
                self._enter(block)
                self._execute(block.source, str(README), block.line - 1)
        except BaseException as error:  # the test reports it, with the README line
            if isinstance(error, KeyboardInterrupt):
                raise
            return Outcome(buffer.getvalue(), error)
        return Outcome(buffer.getvalue(), None)

    def _enter(self, block: Block) -> None:
        if not self.started:
            self.started = True
            self._execute(SECTION_START, "<section start>", 0)
            self._prelude(block.section, scoped=False)
        if block.heading != block.section and block.heading != self.scope:
            self._leave_scope()
            self.scope = block.heading
            self._prelude(block.heading, scoped=True)
        elif block.heading == block.section:
            self._leave_scope()

    def _prelude(self, heading: str, *, scoped: bool) -> None:
        code = PRELUDES.get(heading)
        if code is None or heading in self.opened:
            return
        self.opened.add(heading)
        before = dict(self.namespace)
        self._execute(code, f"<prelude: {heading}>", 0)
        if scoped:
            for name, value in self.namespace.items():
                if before.get(name, _MISSING) is not value:
                    self.scoped[name] = (before.get(name, _MISSING), value)

    def _leave_scope(self) -> None:
        for name, (old, new) in self.scoped.items():
            if self.namespace.get(name, _MISSING) is not new:
                continue  # a block rebound it: keep the block's value
            if old is _MISSING:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = old
        self.scoped = {}
        self.scope = None

    def _execute(self, source: str, filename: str, line_offset: int) -> None:
        tree = ast.parse(source, filename, "exec")
        ast.increment_lineno(tree, line_offset)
        if _top_level_run(tree):
            exec(compile(tree, filename, "exec"), self.namespace)
            return
        code = compile(tree, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        if code.co_flags & inspect.CO_COROUTINE:
            self.loop.run_until_complete(eval(code, self.namespace))
        else:
            exec(code, self.namespace)


# ------------------------------------------------------------------------------ fixtures


# RAG files are ready as soon as the bytes arrive (see the module docstring); batches
# still pass through their states, quickly.
_TIMINGS = GatewayTimings(
    rag_upload=0.0,
    rag_embedding_pending=0.0,
    rag_embedding_processing=0.0,
    batch_validating=0.2,
    batch_in_progress=0.5,
    image_processing_interval=0.01,
)


@pytest.fixture(scope="module")
def readme_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


@pytest.fixture(scope="module")
def readme_runs(readme_loop: asyncio.AbstractEventLoop) -> Iterator[dict[str, SectionRun]]:
    """One gateway for the module, the redirection in place, one run per section."""
    with MeshAPIGateway(timings=_TIMINGS) as gateway, pytest.MonkeyPatch.context() as mp:
        mp.setenv("MESHAPI_BASE_URL", gateway.url)
        mp.setenv("MESHAPI_TOKEN", gateway.token)
        redirect = Redirect(gateway)
        mp.setattr(
            meshapi, "MeshAPI", redirect.wrap(meshapi.MeshAPI, is_async=False, loop=readme_loop)
        )
        mp.setattr(
            meshapi,
            "AsyncMeshAPI",
            redirect.wrap(meshapi.AsyncMeshAPI, is_async=True, loop=readme_loop),
        )
        if _aiohttp_available():
            import meshapi_aiohttp

            mp.setattr(
                meshapi_aiohttp,
                "AsyncMeshAPI",
                redirect.wrap(meshapi_aiohttp.AsyncMeshAPI, is_async=True, loop=readme_loop),
            )
        sections: dict[str, list[Block]] = {}
        for block in BLOCKS:
            sections.setdefault(block.section, []).append(block)
        runs = {name: SectionRun(blocks, readme_loop) for name, blocks in sections.items()}
        try:
            yield runs
        finally:
            redirect.close_all(readme_loop)


# --------------------------------------------------------------------------------- tests


def test_readme_has_blocks() -> None:
    """The README's sections are found, and every skipped block is justified."""
    ids = [block.id for block in BLOCKS]
    assert len(ids) == len(set(ids)), "two README blocks got the same test id"
    sections = {block.section for block in BLOCKS}
    for expected in (
        "Chat completions",
        "Responses API (reasoning models)",
        "Embeddings",
        "Image generation",
        "Compare (multi-model fanout)",
        "Batches",
        "RAG (Retrieval-Augmented Generation)",
        "Realtime (Speech-to-Speech WebSocket)",
        "Models",
        "Prompt templates",
        "Error handling",
        "Retries and idempotency",
        "Type hints",
        "Testing your own code",
    ):
        assert expected in sections, f"README.md lost its {expected!r} section"
    for block in BLOCKS:
        if block.skipped:
            assert _snippet_entry(SKIPPED, block), f"{block.id}: skipped without a reason"
    headings = {block.heading for block in BLOCKS}
    unused = set(PRELUDES) - headings
    assert not unused, f"preludes for headings with no python block: {sorted(unused)}"


@pytest.mark.parametrize("block", [_param(block) for block in BLOCKS])
def test_readme_block(block: Block, readme_runs: dict[str, SectionRun]) -> None:
    run = readme_runs[block.section]
    outcome = run.outcome(block)
    if outcome.error is not None:
        earlier = run.earlier_failures(block)
        note = f" (earlier blocks of the section failed too: {earlier})" if earlier else ""
        raise AssertionError(
            f"README.md line {block.line} ({block.id}) raised "
            f"{type(outcome.error).__name__}: {outcome.error}{note}"
        ) from outcome.error
    if _calls_print(ast.parse(block.source)) and _snippet_entry(QUIET, block) is None:
        assert outcome.stdout.strip(), f"README.md line {block.line} ({block.id}) printed nothing"
