"""`connect_tcp`: the realtime byte stream, over plain TCP and verified TLS.

The WebSocket session on top is shared by every async driver and tested in the
behavioural suite; here is only the stream's own contract (see `meshapi_aiohttp._tcp`).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import socketserver
import ssl
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from meshapi import APIConnectionError, APITimeoutError, MeshAPIError
from meshapi.testing import MeshAPIGateway
from meshapi_aiohttp import AiohttpTransport

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_plain_stream_talks_to_the_gateway(gw: MeshAPIGateway) -> None:
    transport = AiohttpTransport()
    stream = await transport.connect_tcp("127.0.0.1", gw.port, tls=False, timeout=5)
    try:
        await stream.send(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := await stream.receive(timeout=5):
            received += chunk
    finally:
        await stream.aclose()
        await stream.aclose()  # idempotent

    assert received.startswith(b"HTTP/1.1 401 ")  # no key: the gateway answered
    assert await stream.receive() == b""  # the end stays the end


async def test_a_receive_that_runs_out_of_time_raises_timeout_error_and_stays_usable(
    gw: MeshAPIGateway,
) -> None:
    stream = await AiohttpTransport().connect_tcp("127.0.0.1", gw.port, tls=False, timeout=5)
    try:
        with pytest.raises(TimeoutError):
            await stream.receive(timeout=0.05)  # nothing was asked, nothing comes
        await stream.send(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await stream.receive(timeout=5)).startswith(b"HTTP/1.1 ")
    finally:
        await stream.aclose()


async def test_refused_is_a_connection_error() -> None:
    with pytest.raises(APIConnectionError) as caught:
        await AiohttpTransport().connect_tcp("127.0.0.1", free_port(), tls=False, timeout=5)

    assert (caught.value.status, caught.value.error_code) == (0, "connection_error")
    assert isinstance(caught.value.__cause__, OSError)


async def test_a_silent_peer_during_the_tls_handshake_is_a_connect_timeout() -> None:
    # Accepts TCP, never answers the ClientHello: only the timeout can end the wait.
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(APITimeoutError) as caught:
            await AiohttpTransport().connect_tcp("127.0.0.1", port, tls=True, timeout=0.2)
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()

    assert caught.value.error_code == "timeout"
    assert f"connecting to 127.0.0.1:{port}" in str(caught.value)


async def test_tls_to_a_plain_port_is_a_connection_error(gw: MeshAPIGateway) -> None:
    with pytest.raises(APIConnectionError):
        await AiohttpTransport().connect_tcp("127.0.0.1", gw.port, tls=True, timeout=5)


async def test_send_after_close_is_a_connection_error(gw: MeshAPIGateway) -> None:
    stream = await AiohttpTransport().connect_tcp("127.0.0.1", gw.port, tls=False, timeout=5)
    await stream.aclose()

    with pytest.raises(MeshAPIError) as caught:
        await stream.send(b"x")
    assert caught.value.error_code == "connection_error"
    assert await stream.receive() == b""  # after our own close: the end, not an error


async def test_a_reset_while_receiving_is_a_connection_error() -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    server = await asyncio.start_server(reset, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stream = await AiohttpTransport().connect_tcp("127.0.0.1", port, tls=False, timeout=5)
    try:
        await stream.send(b"x")
        with pytest.raises(MeshAPIError) as caught:
            await stream.receive(timeout=5)
    finally:
        await stream.aclose()
        server.close()
        await server.wait_closed()

    assert caught.value.error_code == "connection_error"
    assert isinstance(caught.value.__cause__, ConnectionResetError)


# --------------------------------------------------------------------- verified TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for `localhost`, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


class _TLSEchoServer(socketserver.ThreadingTCPServer):
    """Echoes over TLS, on threads: a client refusing the certificate is this server's
    own handshake error, printed here and never raised into the test's event loop."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Echo)
        self.context = context

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        # The handshake happens on the handler's thread, at its first recv.
        wrapped = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # refused handshakes are what some tests are about


@pytest.fixture
def tls_echo(certificate: tuple[Path, Path]) -> Iterator[int]:
    """A TLS echo server with that certificate; yields its port."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = _TLSEchoServer(context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


async def test_tls_is_verified_by_default(tls_echo: int) -> None:
    with pytest.raises(APIConnectionError) as caught:
        await AiohttpTransport().connect_tcp("localhost", tls_echo, tls=True, timeout=5)

    assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
    assert "SSLCertVerificationError" in str(caught.value)  # the why, for the user


async def test_tls_with_a_trusted_certificate_connects_and_checks_the_hostname(
    tls_echo: int, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default context reads SSL_CERT_FILE when it loads its trust store.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    transport = AiohttpTransport()

    stream = await transport.connect_tcp("localhost", tls_echo, tls=True, timeout=5)
    try:
        await stream.send(b"ping")
        assert await stream.receive(timeout=5) == b"ping"
    finally:
        await stream.aclose()
    # The certificate names localhost, not 127.0.0.1: the hostname is checked.
    with pytest.raises(APIConnectionError):
        await transport.connect_tcp("127.0.0.1", tls_echo, tls=True, timeout=5)
