"""`MeshAPIGateway`: the local gateway, runnable from sync, asyncio and trio tests.

    with MeshAPIGateway() as gw:          # its own asyncio loop on a daemon thread
        httpx.get(gw.url + "/v1/models", headers={"Authorization": f"Bearer {gw.token}"})

    async with MeshAPIGateway() as gw:    # on the running asyncio loop
        ...

The threaded form works from any test, trio included, because the gateway never shares
the test's event loop. The async form shares it, so only async clients may call it there.
Everything a test touches while the gateway runs (faults, clock, keys, records, counts) is
thread-safe.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from aiohttp import web

from ._app import build_app
from ._auth import KeyRing, new_token
from ._catalogue import Catalogue, default_catalogue
from ._clock import GatewayClock
from ._faults import Effect, Fault, FaultHandle, FaultSet, ModelFault
from ._recording import ConnectionStats, RealtimeMessage, RecordedRequest
from ._server import CountingSite
from ._state import SUPPORTED_API_VERSIONS, GatewayState, GatewayTimings
from ._templates import GLOBAL_OWNER, Template

__all__ = ["MeshAPIGateway"]

_START_TIMEOUT = 10.0


class MeshAPIGateway:
    """A local MeshAPI gateway on real sockets, with fault injection and introspection.

    Arguments (all keyword-only):

    * `host`, `port`: where to listen; `port=0` (the default) picks a free port.
    * `tokens`: the accepted keys; by default one `rsk_` key is minted (`gw.token`).
    * `suspended_tokens`: keys that authenticate but get 403 `forbidden`.
    * `clock_speed`: gateway seconds per real second (0 freezes the clock; see `clock`).
    * `clock`: a `GatewayClock` to share (overrides `clock_speed`).
    * `timings`: a `GatewayTimings` (batch and RAG durations, stream pacing, ...).
    * `realtime_idle_timeout`: shorthand for `timings.realtime_idle_timeout` (default 30 s).
    * `catalogue`: a `Catalogue` replacing the built-in models.
    * `global_templates`: dicts of template fields, visible to every key and read-only.
    * `api_versions`: the accepted `X-Mesh-Version` labels, oldest (the baseline) first.
    * `max_recorded_requests`: keep only the newest N records (default: keep all).
    * `print_banner`: print the URL and the token to stdout on start (the CLI does).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tokens: Sequence[str] | None = None,
        suspended_tokens: Iterable[str] = (),
        clock_speed: float = 1.0,
        clock: GatewayClock | None = None,
        timings: GatewayTimings | None = None,
        realtime_idle_timeout: float | None = None,
        catalogue: Catalogue | None = None,
        global_templates: Iterable[Mapping[str, Any]] = (),
        api_versions: Sequence[str] = SUPPORTED_API_VERSIONS,
        max_recorded_requests: int | None = None,
        print_banner: bool = False,
    ) -> None:
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        keys = list(tokens) if tokens is not None else [new_token()]
        if not keys:
            raise ValueError("at least one token is needed")
        timings = timings or GatewayTimings()
        if realtime_idle_timeout is not None:
            timings = dataclasses.replace(timings, realtime_idle_timeout=realtime_idle_timeout)
        self._state = GatewayState(
            keys=KeyRing(keys, suspended_tokens),
            catalogue=catalogue or default_catalogue(),
            clock=clock or GatewayClock(speed=clock_speed),
            timings=timings,
            api_versions=tuple(api_versions),
            record_limit=max_recorded_requests,
        )
        for fields in global_templates:
            self.add_global_template(**fields)
        self._print_banner = print_banner
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._threaded = False

    # ----------------------------------------------------------------------- lifecycle

    async def _astart(self) -> None:
        state = self._state
        app = build_app(state)
        runner = web.AppRunner(
            app,
            handle_signals=False,
            handler_cancellation=True,
            shutdown_timeout=0.5,
            access_log=None,
        )
        await runner.setup()
        site = CountingSite(runner, self._host, self._requested_port, tracker=state.connections)
        await site.start()
        self._runner = runner
        self._port = site.bound_port
        if self._print_banner:
            print(f"MeshAPI test gateway listening on {self.url}", flush=True)
            print(f"token: {self.token}", flush=True)

    async def _astop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def start(self) -> MeshAPIGateway:
        """Start on a background daemon thread with its own event loop; returns self."""
        if self._runner is not None:
            raise RuntimeError("the gateway is already running")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=self._run_loop, args=(loop,), name="meshapi-testing-gateway", daemon=True
        )
        self._loop, self._thread, self._threaded = loop, thread, True
        thread.start()
        future = asyncio.run_coroutine_threadsafe(self._astart(), loop)
        try:
            future.result(_START_TIMEOUT)
        except BaseException:
            self._stop_thread()
            raise
        return self

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    def _stop_thread(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        self._threaded = False
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(5)

    def close(self) -> None:
        """Stop serving (idempotent). Open connections are closed."""
        if self._threaded and self._loop is not None:
            if self._runner is not None and not self._loop.is_closed():
                future = asyncio.run_coroutine_threadsafe(self._astop(), self._loop)
                try:
                    future.result(_START_TIMEOUT)
                finally:
                    self._stop_thread()
            else:
                self._stop_thread()
        elif self._runner is not None:
            raise RuntimeError("a gateway started with `async with` is closed with `aclose()`")

    async def aclose(self) -> None:
        """Stop a gateway started with `async with` / `astart()`."""
        if self._threaded:
            await asyncio.get_running_loop().run_in_executor(None, self.close)
        else:
            await self._astop()

    async def astart(self) -> MeshAPIGateway:
        """Start on the running asyncio loop; returns self."""
        if self._runner is not None:
            raise RuntimeError("the gateway is already running")
        await self._astart()
        return self

    def __enter__(self) -> MeshAPIGateway:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> MeshAPIGateway:
        return await self.astart()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def running(self) -> bool:
        """Whether the gateway is serving."""
        return self._runner is not None

    # ---------------------------------------------------------------------- addresses

    @property
    def host(self) -> str:
        """The host it listens on."""
        return self._host

    @property
    def port(self) -> int:
        """The bound port (only once started)."""
        if self._port is None:
            raise RuntimeError("the gateway is not started")
        return self._port

    @property
    def url(self) -> str:
        """The base URL, without `/v1`: `http://127.0.0.1:PORT`."""
        return f"http://{self._host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """The base URL with the `ws` scheme (realtime)."""
        return f"ws://{self._host}:{self.port}"

    # --------------------------------------------------------------------------- keys

    @property
    def token(self) -> str:
        """The first accepted key (the minted `rsk_` key by default)."""
        return self._state.keys.tokens[0]

    @property
    def tokens(self) -> list[str]:
        """Every accepted key."""
        return self._state.keys.tokens

    def add_token(self, token: str | None = None) -> str:
        """Accept another key (a fresh `rsk_` one if none is given) and return it."""
        token = token or new_token()
        self._state.keys.add(token)
        return token

    def suspend_token(self, token: str) -> None:
        """Make a key answer 403 `forbidden` from now on."""
        self._state.keys.suspend(token)

    def owner_of(self, token: str) -> str:
        """The owner id a key's templates, batches and files belong to."""
        return KeyRing.owner_of(token)

    def disable_feature(self, token: str, feature: str) -> None:
        """Turn a flag-gated feature (`"web_search"`, `"router"`) off for a key: its
        route then answers 403 `forbidden` (protocol.md §7.1)."""
        self._state.features.set(token, feature, enabled=False)

    def enable_feature(self, token: str, feature: str) -> None:
        """Turn a flag-gated feature back on for a key (every key has all by default)."""
        self._state.features.set(token, feature, enabled=True)

    # -------------------------------------------------------------------------- clock

    @property
    def clock(self) -> GatewayClock:
        """The gateway clock: `gw.clock.advance(seconds)`, `gw.clock.speed = 0`."""
        return self._state.clock

    @property
    def timings(self) -> GatewayTimings:
        """Durations in use."""
        return self._state.timings

    # ------------------------------------------------------------------------- faults

    @property
    def faults(self) -> FaultSet:
        """The HTTP fault queue: `gw.faults.add(Fault(...))`, `.clear()`, `.pending`."""
        return self._state.faults

    def add_fault(
        self,
        effect: Effect | tuple[Effect, ...],
        *,
        path: str | None = None,
        method: str | None = None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        times: int | None = 1,
    ) -> FaultHandle:
        """Queue a fault; shorthand for `gw.faults.add(Fault(effect, ...))`."""
        return self._state.faults.add(Fault(effect, path, method, predicate, times))

    @contextmanager
    def inject(
        self,
        effect: Effect | tuple[Effect, ...],
        *,
        path: str | None = None,
        method: str | None = None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        times: int | None = 1,
    ) -> Iterator[FaultHandle]:
        """A fault for the duration of a `with` block (removed on exit, used up or not)."""
        with self._state.faults.scoped(Fault(effect, path, method, predicate, times)) as handle:
            yield handle

    def fail_model(
        self,
        model: str,
        *,
        code: str = "upstream_error",
        message: str | None = None,
        status: int | None = None,
        provider_error: Mapping[str, Any] | None = None,
        times: int | None = None,
    ) -> FaultHandle:
        """Make calls to `model` fail upstream (every call, or the next `times`)."""
        return self._state.model_faults.add(
            ModelFault(model, code, message, status, provider_error, times)
        )

    @contextmanager
    def failing_model(
        self,
        model: str,
        *,
        code: str = "upstream_error",
        message: str | None = None,
        status: int | None = None,
        times: int | None = None,
    ) -> Iterator[FaultHandle]:
        """`fail_model` for the duration of a `with` block."""
        handle = self.fail_model(model, code=code, message=message, status=status, times=times)
        try:
            yield handle
        finally:
            handle.remove()

    def clear_faults(self) -> None:
        """Remove every HTTP and model fault."""
        self._state.faults.clear()
        self._state.model_faults.clear()

    # ------------------------------------------------------------------ introspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a snapshot)."""
        return self._state.log.snapshot()

    def find_requests(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> list[RecordedRequest]:
        """Recorded requests matching method, path (exact or glob) and predicate."""
        probe = Fault(effect=(), path=path, method=method, predicate=predicate)
        return [r for r in self._state.log.snapshot() if probe.matches(r)]

    def last_request(
        self, *, method: str | None = None, path: str | None = None
    ) -> RecordedRequest:
        """The most recent matching request (`LookupError` if there is none)."""
        found = self.find_requests(method=method, path=path)
        if not found:
            raise LookupError(f"no request matched method={method!r} path={path!r}")
        return found[-1]

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._state.log.clear()

    def executions(self, idempotency_key: str) -> int:
        """How many times a POST with this `Idempotency-Key` was really executed."""
        return self._state.idempotency.executions(idempotency_key)

    @property
    def execution_counts(self) -> dict[str, int]:
        """Every idempotency key's execution count."""
        return self._state.idempotency.all_executions()

    @property
    def connections(self) -> ConnectionStats:
        """TCP connections: `opened` ever, `open` now, `closed`."""
        return self._state.connections.stats()

    def wait_for_connections(
        self,
        predicate: Callable[[ConnectionStats], bool] | None = None,
        *,
        open: int | None = None,
        timeout: float = 2.0,
    ) -> ConnectionStats:
        """Block until `predicate` (or `stats.open == open`) holds, or `timeout` passes.

        Returns the last stats seen; assert on them. Call it from the test's thread, not
        from the gateway's loop (with `async with`, use `await gw.await_connections(...)`).
        """
        check = predicate or (lambda s: open is None or s.open == open)
        return self._state.connections.wait_until(check, timeout)

    async def await_connections(
        self,
        predicate: Callable[[ConnectionStats], bool] | None = None,
        *,
        open: int | None = None,
        timeout: float = 2.0,
    ) -> ConnectionStats:
        """`wait_for_connections` for code running on an event loop."""
        check = predicate or (lambda s: open is None or s.open == open)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            stats = self._state.connections.stats()
            if check(stats) or loop.time() >= deadline:
                return stats
            await asyncio.sleep(0.01)

    @property
    def realtime_messages(self) -> list[RealtimeMessage]:
        """Every frame realtime clients sent, oldest first."""
        return self._state.realtime.snapshot()

    # ---------------------------------------------------------------------- templates

    def add_global_template(self, **fields: Any) -> dict[str, Any]:
        """Add a global (read-only, visible to all) template; returns its summary."""
        if "name" not in fields:
            raise ValueError("a template needs a name")
        template: Template = self._state.templates.create(GLOBAL_OWNER, fields, is_global=True)
        return template.summary()

    def __repr__(self) -> str:
        where = self.url if self._port is not None else "not started"
        return f"MeshAPIGateway({where})"
