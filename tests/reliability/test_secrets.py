"""Secrets: the token shows nowhere, goes nowhere it should not, and TLS is verified.

* A representative scenario set (successes, retries, every kind of error, streams,
  RAG, realtime) runs on every driver with all logging captured at DEBUG (the root
  logger and `meshapi`, `httpx`, `httpcore`, `aiohttp`), the debug lines on stderr, the
  resilience events, and the text of every exception (str, repr, args and the whole
  formatted chain of causes); the token is in none of them, nor in the repr or str of
  the client, its config, its resources, its streams, its sessions and the core's
  `Request` values.
* The realtime `api_key` is redacted from every URL the SDK shows.
* `Authorization` never reaches the RAG signed URL, nor another host on a redirect:
  redirects are never followed, not even through a caller's client set to follow them.
* TLS is verified by default, by the HTTP clients and by realtime, against a local TLS
  endpoint with a self-signed certificate; turning verification off takes an explicit
  option: the caller's own HTTP client (httpx `verify=False`, or an aiohttp session
  whose connector has `ssl=False`). Realtime has no way to turn it off.
"""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import subprocess
import threading
import traceback
from collections.abc import Awaitable, Callable, Iterator
from contextlib import suppress
from typing import Any
from urllib.parse import quote, quote_plus

import anyio
import httpx
import pytest

from meshapi import APIConnectionError, MeshAPIError, RetryPolicy, Timeout
from meshapi.testing import (
    Fail,
    HtmlPage,
    MeshAPIGateway,
    MidStreamError,
    RawBytes,
    ResetAfterChunks,
    ResetBeforeResponse,
    StallBeforeHeaders,
    TruncatedJson,
)
from meshapi_core._config import RequestOptions
from meshapi_core._operations import operation
from meshapi_core._request import build_request
from meshapi_core.types import ChatCompletionParams
from tests.client._harness import Blocking, user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
REALTIME_MODEL = "openai/gpt-realtime-mini"
CHAT = "/v1/chat/completions"
LOGGERS = ("", "meshapi", "httpx", "httpcore", "aiohttp", "hpack", "wsproto")
FAST = RetryPolicy(max_retries=2, backoff_base_ms=1, backoff_max_ms=5)


def spellings(token: str) -> set[str]:
    """Every way the token could travel: as is, percent-encoded, form-encoded."""
    return {token, quote(token, safe=""), quote_plus(token)}


def inner(client: Any) -> Any:
    return client.wrapped if isinstance(client, Blocking) else client


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Texts(list[str]):
    """Everything the SDK showed during a run: what the test searches for the token."""

    def exception(self, error: BaseException) -> None:
        self.extend([str(error), repr(error), *map(str, error.args)])
        self.append("".join(traceback.format_exception(error)))  # causes and contexts too
        if isinstance(error, MeshAPIError):
            self.extend(
                map(str, (error.request_id, error.details, error.provider_error, error.param))
            )

    def shown(self, *values: object) -> None:
        for value in values:
            self.extend([repr(value), str(value)])

    async def attempt(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """Run one scenario step; keep the text of whatever it raised (or returned)."""
        try:
            result = await call()
        except Exception as error:
            self.exception(error)
            return None
        self.shown(result)
        return result


async def read_stream(stream: Any) -> list[Any]:
    async with stream:
        return [item async for item in stream]


async def run_scenarios(
    make_client: Any, gw: MeshAPIGateway, token: str, texts: Texts, other: MeshAPIGateway
) -> None:
    """The representative scenario set, on one driver."""
    events: list[Any] = []
    client = make_client(retry=FAST, debug=True, logger=events.append)
    texts.shown(client, inner(client).config, client.chat, client.chat.completions, client.rag)
    chat = client.chat.completions

    def create(**options: Any) -> Callable[[], Awaitable[Any]]:
        return lambda: chat.create(model=MODEL, messages=user("hi"), **options)

    def stream(**options: Any) -> Callable[[], Awaitable[Any]]:
        return lambda: read_stream(chat.stream(model=MODEL, messages=user("hi"), **options))

    # Successes, a retried call, a stream.
    gw.add_fault(Fail(503, retry_after=1), path=CHAT)
    await texts.attempt(create())
    await texts.attempt(stream())
    opened = chat.stream(model=MODEL, messages=user("hi"))
    texts.shown(opened)
    await texts.attempt(lambda: read_stream(opened))
    await texts.attempt(client.models.list)
    # Every kind of error, unary and streaming.
    for fault in (
        Fail(400, code="invalid_request"),
        Fail(429, retry_after=1),
        HtmlPage(502),
        TruncatedJson(),
        ResetBeforeResponse(),
        Fail(404, code="model_not_found"),
    ):
        gw.add_fault(fault, path=CHAT, times=None)
        await texts.attempt(create())
        await texts.attempt(stream())
        gw.clear_faults()
    for fault in (MidStreamError(after=1), ResetAfterChunks(1)):
        gw.add_fault(fault, path=CHAT)
        await texts.attempt(stream())
    gw.add_fault(StallBeforeHeaders(2.0), path=CHAT, times=2)
    await texts.attempt(create(timeout=Timeout(read=0.2)))
    await texts.attempt(stream(timeout=Timeout(read=0.2)))
    await texts.attempt(lambda: client.models.get("nobody/nothing"))
    # A redirect to another host, never followed.
    gw.add_fault(redirect_to(other), path="/v1/models")
    await texts.attempt(client.models.list)
    # RAG: the init, then the PUT to the signed URL.
    await texts.attempt(
        lambda: client.rag.upload_file(file_name="a.txt", mime_type="text/plain", content=b"hi")
    )
    # Nothing listening; a key the gateway refuses.
    nowhere = make_client(base_url=f"http://127.0.0.1:{dead_port()}", retry=FAST)
    await texts.attempt(nowhere.models.list)
    await texts.attempt(
        lambda: read_stream(nowhere.chat.completions.stream(model=MODEL, messages=user("hi")))
    )
    refused = make_client(token=token + "x")  # a key the gateway never issued
    await texts.attempt(refused.models.list)
    # Realtime: a session, a refused upgrade, an unknown key, nothing listening, a stall.
    await realtime_scenarios(client, refused, nowhere, gw, texts)
    texts.shown(*events)
    # The core's request values, as a driver receives them.
    config = inner(client).config
    params = ChatCompletionParams(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    request = build_request(config, operation("chat.completions.create"), params, RequestOptions())
    texts.shown(request)


async def realtime_scenarios(
    client: Any, refused: Any, nowhere: Any, gw: MeshAPIGateway, texts: Texts
) -> None:
    async def session_round_trip() -> None:
        async with client.realtime.connect(model=REALTIME_MODEL) as session:
            texts.shown(session, session.url)
            message = await session.receive(timeout=5)
            texts.shown(message)
            await session.send({"type": "nonsense"})
            with suppress(MeshAPIError):
                await session.receive(timeout=5)
        texts.shown(session)

    async def unknown_key() -> None:
        async with refused.realtime.connect(model=REALTIME_MODEL) as session:
            texts.shown(session, session.url)
            while True:
                await session.receive(timeout=5)

    await texts.attempt(session_round_trip)
    await texts.attempt(unknown_key)
    gw.add_fault(Fail(403, code="forbidden"), path="/v1/realtime")
    await texts.attempt(lambda: client.realtime.connect(model=REALTIME_MODEL))
    gw.add_fault(StallBeforeHeaders(2.0), path="/v1/realtime")
    await texts.attempt(
        lambda: client.realtime.connect(model=REALTIME_MODEL, timeout=Timeout(connect=0.2))
    )
    await texts.attempt(lambda: nowhere.realtime.connect(model=REALTIME_MODEL))


def redirect_to(other: MeshAPIGateway) -> RawBytes:
    """A 302 pointing at another host (`localhost` is not the gateway's `127.0.0.1`)."""
    return RawBytes(
        b"",
        status=302,
        content_type=None,
        headers={"Location": f"http://localhost:{other.port}/v1/models"},
    )


@pytest.fixture(scope="module")
def other_host() -> Iterator[MeshAPIGateway]:
    """A second gateway, reached by another host name: the target of redirects."""
    with MeshAPIGateway() as gw:
        yield gw


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    return caplog


# ------------------------------------------------------------------------------ tests


async def test_the_token_shows_in_no_text_and_no_log_record(
    make_client: Any,
    gw: MeshAPIGateway,
    token: str,
    other_host: MeshAPIGateway,
    everything_logged: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other_host.clear_requests()
    texts = Texts()
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    await run_scenarios(make_client, gw, token, texts, other_host)

    captured = capsys.readouterr()
    # The SDK's records: the gateway is the test's peer, on its own thread, not the SDK.
    records = [r for r in everything_logged.records if r.threadName != "meshapi-testing-gateway"]
    logged = [formatter.format(record) for record in records]
    assert len(texts) > 100 and "[meshapi] retrying" in captured.err  # it all really ran
    for secret in spellings(token) | spellings(token + "x"):
        for text in [*texts, *logged, captured.out, captured.err]:
            assert secret not in text, f"the token leaked into: {text[:300]!r}"
    assert other_host.requests == []  # the redirect was not followed


async def test_the_realtime_url_shows_the_key_as_stars(client: Any, token: str) -> None:
    async with client.realtime.connect(model=REALTIME_MODEL) as session:
        shown = [session.url, repr(session), str(session)]
    assert all("api_key=***" in text for text in shown[:2])
    assert not any(secret in text for text in shown for secret in spellings(token))


async def test_the_signed_url_put_carries_no_authorization(
    client: Any, gw: MeshAPIGateway, token: str
) -> None:
    await client.rag.upload_file(file_name="a.txt", mime_type="text/plain", content=b"hello")

    [put] = gw.find_requests(method="PUT")
    assert not put.has_header("authorization")
    assert [name for name, _ in put.headers if name.lower().startswith("x-")] == []
    assert all(token not in value for _, value in put.headers)
    assert token not in put.raw_path


async def test_server_text_echoing_the_token_is_redacted(
    client: Any, gw: MeshAPIGateway, token: str
) -> None:
    # A proxy or upstream that puts the key into an error body must not get it into
    # `str(e)`, and so into the caller's logs (§1.2).
    gw.add_fault(
        Fail(401, message=f"invalid key {token}", param=token), path="/v1/chat/completions"
    )
    with pytest.raises(MeshAPIError) as caught:
        await client.chat.completions.create(model="openai/gpt-4o-mini", messages=user("hi"))
    assert caught.value.status == 401
    assert token not in str(caught.value)
    assert token not in repr(caught.value)
    assert caught.value.param == "***"

    gw.add_fault(
        MidStreamError(after=1, message=f"upstream saw {token}"), path="/v1/chat/completions"
    )
    stream = client.chat.completions.stream(model="openai/gpt-4o-mini", messages=user("hi"))
    with pytest.raises(MeshAPIError) as caught:
        async for _ in stream:
            pass
    assert caught.value.error_code == "gateway_timeout"
    assert token not in str(caught.value)


async def test_a_redirect_to_another_host_is_not_followed(
    client: Any, gw: MeshAPIGateway, other_host: MeshAPIGateway
) -> None:
    other_host.clear_requests()
    gw.add_fault(redirect_to(other_host), path="/v1/models")

    with pytest.raises(MeshAPIError) as caught:
        await client.models.list()

    assert (caught.value.status, caught.value.error_code) == (302, "http_error")
    assert other_host.requests == []


async def test_not_even_a_callers_client_set_to_follow_redirects_follows_one(
    driver: str, make_client: Any, gw: MeshAPIGateway, other_host: MeshAPIGateway
) -> None:
    other_host.clear_requests()
    own = following_client(driver)
    try:
        client = make_client(**own_client_option(driver, own))
        gw.add_fault(redirect_to(other_host), path="/v1/models")

        with pytest.raises(MeshAPIError) as caught:
            await client.models.list()
    finally:
        await close_own(driver, own)

    assert (caught.value.status, caught.value.error_code) == (302, "http_error")
    assert other_host.requests == []


def following_client(driver: str) -> Any:
    if driver == "sync":
        return httpx.Client(follow_redirects=True)
    if driver in ("asyncio", "trio"):
        return httpx.AsyncClient(follow_redirects=True)
    import aiohttp

    return aiohttp.ClientSession()  # aiohttp follows redirects by default


def own_client_option(driver: str, own: Any) -> dict[str, Any]:
    key = {"sync": "httpx_client", "asyncio": "async_httpx_client", "trio": "async_httpx_client"}
    return {key.get(driver, "session"): own}


async def close_own(driver: str, own: Any) -> None:
    if driver == "sync":
        own.close()
    elif driver == "aiohttp":
        await own.close()
    else:
        await own.aclose()


# --------------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for localhost and 127.0.0.1: (cert path, key path)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
            *("-nodes", "-days", "1", "-keyout", key, "-out", cert, "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class TlsFront:
    """A TLS endpoint with a self-signed certificate that forwards to the gateway.

    `refused` counts handshakes the client broke off (it did not trust the certificate);
    `forwarded` counts connections that got through to the gateway.
    """

    def __init__(self, certificate: tuple[str, str], target: tuple[str, int]) -> None:
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(*certificate)
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.refused = 0
        self.forwarded = 0
        self._closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closing:
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            tls = self._context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.refused += 1
            raw.close()
            return
        self.forwarded += 1
        upstream = socket.create_connection(self._target)
        threading.Thread(target=_pump, args=(upstream, tls), daemon=True).start()
        _pump(tls, upstream)

    def close(self) -> None:
        self._closing = True
        self._listener.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for end in (source, sink):
        with suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()


@pytest.fixture
def tls_front(certificate: tuple[str, str], gw: MeshAPIGateway) -> Iterator[TlsFront]:
    front = TlsFront(certificate, (gw.host, gw.port))
    yield front
    front.close()


async def test_tls_is_verified_by_default(
    make_client: Any, gw: MeshAPIGateway, tls_front: TlsFront, token: str
) -> None:
    client = make_client(base_url=f"https://localhost:{tls_front.port}", retry=FAST)

    with pytest.raises(APIConnectionError) as http_call:
        await client.models.list()
    with pytest.raises(APIConnectionError) as realtime:
        await client.realtime.connect(model=REALTIME_MODEL)

    for error in (http_call.value, realtime.value):
        assert (error.status, error.error_code) == (0, "connection_error")
    # Both handshakes were broken off by the client (the server saw them fail), so not
    # a byte of a request got through; a client that does not verify gets through (below).
    with anyio.move_on_after(2):
        while tls_front.refused < 2:
            await anyio.sleep(0.01)
    assert (tls_front.refused, tls_front.forwarded) == (2, 0)
    assert gw.requests == []


async def test_our_own_http_clients_verify(driver: str, client: Any) -> None:
    transport = inner(client)._transport
    if driver == "aiohttp":
        await client.models.list()  # our session is made on first use
        connector = transport.session.connector
        assert connector._ssl is True  # aiohttp's "verify with the default context"
    else:
        context = transport.client._transport._pool._ssl_context
        assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


def realtime_context(driver: str) -> ssl.SSLContext:
    if driver == "aiohttp":
        from meshapi_aiohttp._tcp import tls_context

        return tls_context()
    from meshapi_httpx._net_sync import default_ssl_context

    return default_ssl_context()


async def test_realtime_tls_contexts_verify(driver: str) -> None:
    context = realtime_context(driver)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


async def test_turning_verification_off_takes_the_callers_own_client(
    driver: str, make_client: Any, gw: MeshAPIGateway, tls_front: TlsFront
) -> None:
    if driver == "sync":
        own: Any = httpx.Client(verify=False)
    elif driver in ("asyncio", "trio"):
        own = httpx.AsyncClient(verify=False)
    else:
        import aiohttp

        own = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False))
    try:
        client = make_client(
            base_url=f"https://localhost:{tls_front.port}", **own_client_option(driver, own)
        )
        assert await client.models.list()
    finally:
        await close_own(driver, own)

    assert tls_front.forwarded >= 1
    assert [r.path for r in gw.requests] == ["/v1/models"]
