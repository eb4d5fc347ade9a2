"""The TCP listener: aiohttp's request handler, counted per connection.

aiohttp's `TCPSite` hands `loop.create_server` the runner's `Server` as the protocol
factory. This site hands it a factory of `RequestHandler` subclasses instead, which tell
the `ConnectionTracker` when a TCP connection opens and closes. That is how client tests
can assert that an abandoned stream released its connection, or that a stream read to the
end left a connection the client reused (no new connection opened).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from ._recording import ConnectionTracker

__all__ = ["CountingSite"]

# Access logs are off unless a test configures this logger: they are noise in test output.
_access_log = logging.getLogger("meshapi.testing.access")


class _CountingHandler(web.RequestHandler):
    """A `RequestHandler` that reports its connection's life to a tracker."""

    def __init__(self, manager: web.Server, *, tracker: ConnectionTracker, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._tracker = tracker
        self._tracked = False
        self.mesh_connection = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.mesh_connection = self._tracker.opened()
        self._tracked = True
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._tracked:
            self._tracked = False
            self._tracker.closed()
        super().connection_lost(exc)


class CountingSite(web.BaseSite):
    """A TCP site on `host:port` (port 0 picks a free one) whose connections are counted."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        tracker: ConnectionTracker,
        max_field_size: int = 64 * 1024,
    ) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port
        self._tracker = tracker
        self._max_field_size = max_field_size
        self.bound_port = port

    @property
    def name(self) -> str:
        """The URL served."""
        return f"http://{self._host}:{self.bound_port}"

    async def start(self) -> None:
        """Bind and listen."""
        await super().start()
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None, "runner.setup() must run first"
        tracker = self._tracker
        max_field_size = self._max_field_size

        def factory() -> _CountingHandler:
            return _CountingHandler(
                server,
                tracker=tracker,
                loop=loop,
                access_log=_access_log,
                max_field_size=max_field_size,
                max_line_size=max_field_size,
            )

        self._server = listener = await loop.create_server(
            factory, self._host, self._port, reuse_address=True
        )
        sockets = listener.sockets
        if sockets:
            self.bound_port = int(sockets[0].getsockname()[1])
