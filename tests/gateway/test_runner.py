"""Ways to run: threaded `with`, `async with` on asyncio, trio, and the CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import pytest
import trio

from meshapi.testing import MeshAPIGateway


def test_threaded_form_serves_and_closes() -> None:
    started = time.perf_counter()
    with MeshAPIGateway() as gw:
        startup = time.perf_counter() - started
        assert gw.running
        assert gw.url.startswith("http://127.0.0.1:")
        assert gw.token.startswith("rsk_")
        response = httpx.get(f"{gw.url}/v1/models", headers={"Authorization": f"Bearer {gw.token}"})
        assert response.status_code == 200
        url = gw.url
    assert not gw.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v1/models", timeout=2)
    # Start-up time is measured by benchmarks, not asserted; record it for the report.
    print(f"gateway start-up: {startup * 1000:.1f} ms")


def test_library_use_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with MeshAPIGateway():
        pass
    assert capsys.readouterr().out == ""
    with MeshAPIGateway(print_banner=True) as gw:
        pass
    out = capsys.readouterr().out
    assert gw.token in out and "http://127.0.0.1:" in out


def test_configured_tokens_and_close_is_idempotent() -> None:
    gw = MeshAPIGateway(tokens=["rsk_one", "rsk_two"]).start()
    try:
        assert gw.token == "rsk_one" and gw.tokens == ["rsk_one", "rsk_two"]
        for token in gw.tokens:
            r = httpx.get(f"{gw.url}/v1/models", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200
    finally:
        gw.close()
        gw.close()


def test_async_with_on_asyncio() -> None:
    async def main() -> int:
        async with MeshAPIGateway() as gw, httpx.AsyncClient() as http:
            r = await http.get(
                f"{gw.url}/v1/models", headers={"Authorization": f"Bearer {gw.token}"}
            )
            return r.status_code

    assert asyncio.run(main()) == 200


def test_threaded_form_under_trio() -> None:
    async def main() -> int:
        with MeshAPIGateway() as gw:
            async with httpx.AsyncClient() as http:  # httpx runs on trio through anyio
                r = await http.post(
                    f"{gw.url}/v1/chat/completions",
                    headers={"Authorization": f"Bearer {gw.token}"},
                    json={"messages": [{"role": "user", "content": "hi"}]},
                )
                return r.status_code

    assert trio.run(main) == 200


def test_cli_prints_url_and_token_and_serves() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "meshapi.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        second = process.stdout.readline()
        url = first.strip().rsplit(" ", 1)[-1]
        token = second.strip().rsplit(" ", 1)[-1]
        if not (url.startswith("http://127.0.0.1:") and token.startswith("rsk_")):
            process.terminate()
            _, errors = process.communicate(timeout=10)
            pytest.fail(f"unexpected CLI output {first!r} {second!r}; stderr: {errors[-2000:]}")
        r = httpx.get(f"{url}/v1/models/free", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and all(m["is_free"] for m in r.json())
    finally:
        process.terminate()
        process.wait(10)
