"""One test body for every driver: the blocking client seen through the async surface.

Tests in this package are written once, against `AsyncMeshAPI`'s surface (`await` for
calls, `async for` / `async with` for streams, `aclose()`). For the `sync` driver,
`Blocking` wraps the blocking `MeshAPI` and translates that surface mechanically, by
attribute proxying, never per method:

* a method call runs the blocking call at once (the gateway has its own thread, so
  blocking the test's event loop is harmless) and returns an awaitable of its result;
* a method that returns a stream or a generator (`stream()`, `list_all()`,
  `text_stream()`) returns the object itself, wrapped, exactly as the async client
  returns a stream or async iterator without `await`;
* `async with` / `async for` / `aclose()` map onto `with` / `for` / `close()`;
* resources (`client.chat`, `.completions`, `.with_raw_response`) are wrapped in turn;
  plain values (pydantic models, `request_id`, accumulators) come back untouched.

The other drivers need no facade: `AsyncMeshAPI` over httpx under asyncio or trio, and
`meshapi_aiohttp.AsyncMeshAPI` (asyncio only) once it exists.
"""

from __future__ import annotations

import dataclasses
import importlib
import types
from collections.abc import Awaitable, Callable, Generator
from typing import Any

import anyio
import pydantic

from meshapi import AsyncMeshAPI, MeshAPI, RetryPolicy
from meshapi._raw import WithRawResponse
from meshapi._sync._streams import Stream
from meshapi.testing import ConnectionStats, MeshAPIGateway

__all__ = [
    "DRIVERS",
    "FAST_RETRY",
    "Blocking",
    "aiohttp_client_class",
    "connections_settle",
    "new_client",
    "read_all",
    "user",
]

# Retries in tests sleep about a millisecond, so a retried call costs nothing.
FAST_RETRY = RetryPolicy(max_retries=3, backoff_base_ms=1, backoff_max_ms=20)


def aiohttp_client_class() -> type[Any] | None:
    """`meshapi_aiohttp.AsyncMeshAPI`, or None while that driver does not exist yet."""
    try:
        module = importlib.import_module("meshapi_aiohttp")
    except Exception:  # a half-written driver may fail in any way on import
        return None
    client_class = getattr(module, "AsyncMeshAPI", None)
    return client_class if isinstance(client_class, type) else None


DRIVERS = ("sync", "asyncio", "trio", "aiohttp")


def new_client(driver: str, **kwargs: Any) -> Any:
    """A client for `driver`, with the async surface whatever the driver."""
    if driver == "sync":
        return Blocking(MeshAPI(**kwargs))
    if driver in ("asyncio", "trio"):
        return AsyncMeshAPI(**kwargs)
    if driver == "aiohttp":
        client_class = aiohttp_client_class()
        assert client_class is not None, "the aiohttp driver is not importable"
        return client_class(**kwargs)
    raise ValueError(f"unknown driver {driver!r}")


# ---------------------------------------------------------------------------- the facade


def _is_sdk_object(value: object) -> bool:
    """Whether a value is a piece of the blocking client to wrap (not a plain value)."""
    if isinstance(value, types.GeneratorType | WithRawResponse):
        return True
    if isinstance(value, pydantic.BaseModel | BaseException | type):
        return False
    if dataclasses.is_dataclass(value):
        return False
    module = type(value).__module__
    return module.startswith(("meshapi.", "meshapi_httpx"))


def _adapt(value: Any) -> Any:
    return Blocking(value) if _is_sdk_object(value) else value


class _Ready(Awaitable[Any]):
    """The awaitable result of a blocking call that already ran.

    If the result is a context manager (a realtime session, say), it can also be used
    as `async with`, as the async client's `connect()` can.
    """

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    def __await__(self) -> Generator[Any, None, Any]:
        return _adapt(self._value)
        yield  # pragma: no cover - makes this a generator

    async def __aenter__(self) -> Any:
        entered = self._value.__enter__()
        return _adapt(entered)

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        result: bool | None = self._value.__exit__(*exc_info)
        return result


def _blocking_method(method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        if isinstance(result, Stream | types.GeneratorType):
            return Blocking(result)  # streams and iterators are not awaited
        return _Ready(result)

    call.__name__ = getattr(method, "__name__", "call")
    call.__doc__ = getattr(method, "__doc__", None)
    return call


class Blocking:
    """The async surface over an object of the blocking client (see the module doc)."""

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)

    @property
    def wrapped(self) -> Any:
        """The blocking object itself."""
        return self._target

    def __getattr__(self, name: str) -> Any:
        target = self._target
        if name == "aclose":
            name = "close"
        value = getattr(target, name)
        if callable(value) and not isinstance(value, type) and not _is_sdk_object(value):
            return _blocking_method(value)
        return _adapt(value)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    async def __aenter__(self) -> Any:
        entered = self._target.__enter__()
        return self if entered is self._target else _adapt(entered)

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        result: bool | None = self._target.__exit__(*exc_info)
        return result

    def __aiter__(self) -> Blocking:
        return self

    async def __anext__(self) -> Any:
        try:
            return _adapt(next(self._target))
        except StopIteration:
            raise StopAsyncIteration from None

    def __repr__(self) -> str:
        return f"Blocking({self._target!r})"


# ------------------------------------------------------------------------------- helpers


def user(text: str) -> list[dict[str, str]]:
    """A one-message conversation, as plain dicts (accepted wherever a message is)."""
    return [{"role": "user", "content": text}]


async def read_all(stream: Any) -> list[Any]:
    """Every item of a stream, read inside `async with` (errors propagate)."""
    async with stream:
        return [item async for item in stream]


async def connections_settle(
    gw: MeshAPIGateway,
    predicate: Callable[[ConnectionStats], bool],
    *,
    timeout: float = 2.0,
) -> ConnectionStats:
    """Poll the gateway's connection counts until `predicate` holds, or `timeout` passes.

    The server notices a client's close a moment after it happens (and an asyncio
    transport really closes its socket only on the next loop iteration), so the test
    yields to its own event loop between looks instead of blocking it.
    """
    with anyio.move_on_after(timeout):
        while not predicate(gw.connections):
            await anyio.sleep(0.01)
    return gw.connections
