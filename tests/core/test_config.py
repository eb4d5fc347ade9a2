"""Client configuration: resolution order, validation, and a repr without the token."""

from __future__ import annotations

import pytest

from meshapi_core._config import (
    DEFAULT_BASE_URL,
    FallbackConfig,
    MeshAPIConfig,
    RequestOptions,
    Timeout,
)

TOKEN = "rsk_do_not_show_me"


def test_token_never_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = MeshAPIConfig.resolve(token=TOKEN)
    assert TOKEN not in repr(cfg)
    assert TOKEN not in str(cfg)
    assert "token='***'" in repr(cfg)


def test_base_url_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MESHAPI_BASE_URL", raising=False)
    assert MeshAPIConfig.resolve(token=TOKEN).base_url == DEFAULT_BASE_URL
    monkeypatch.setenv("MESHAPI_BASE_URL", "")
    assert MeshAPIConfig.resolve(token=TOKEN).base_url == DEFAULT_BASE_URL
    monkeypatch.setenv("MESHAPI_BASE_URL", "http://env.example/")
    assert MeshAPIConfig.resolve(token=TOKEN).base_url == "http://env.example"
    cfg = MeshAPIConfig.resolve(token=TOKEN, base_url="https://proxy.internal/mesh/")
    assert cfg.base_url == "https://proxy.internal/mesh"


def test_token_resolution_and_missing_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MESHAPI_TOKEN", raising=False)
    with pytest.raises(ValueError, match="MESHAPI_TOKEN"):
        MeshAPIConfig.resolve()
    monkeypatch.setenv("MESHAPI_TOKEN", "rsk_env")
    assert MeshAPIConfig.resolve().token == "rsk_env"
    assert MeshAPIConfig.resolve(token="rsk_arg").token == "rsk_arg"


def test_float_timeout_means_connect_and_read() -> None:
    assert MeshAPIConfig.resolve(token=TOKEN, timeout=7).timeout == Timeout(connect=7, read=7)


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), True, "5"])
def test_bad_timeouts_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match=r"timeout|connect|read"):
        Timeout.coerce(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, True, 1.5, "3"])
def test_bad_max_retries_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        MeshAPIConfig.resolve(token=TOKEN, max_retries=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_retries"):
        RequestOptions(max_retries=bad)  # type: ignore[arg-type]


def test_retry_policy_alias_and_override() -> None:
    from meshapi_core._retry import RetryPolicy

    assert MeshAPIConfig.resolve(token=TOKEN, max_retries=5).retry_policy.max_retries == 5
    policy = RetryPolicy(max_retries=1)
    assert MeshAPIConfig.resolve(token=TOKEN, max_retries=5, retry=policy).retry_policy is policy


def test_fallback_config_validation() -> None:
    assert FallbackConfig(models=["a/b"]).on_status == frozenset({502, 503, 504})
    with pytest.raises(ValueError, match="fallback"):
        FallbackConfig(models=[""])
    with pytest.raises(ValueError, match="on_status"):
        FallbackConfig(models=["a/b"], on_status=["503"])


def test_bad_extra_mappings_are_rejected() -> None:
    with pytest.raises(ValueError, match="extra_headers"):
        RequestOptions(extra_headers={"x": 1})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="extra_body"):
        RequestOptions(extra_body=[1])  # type: ignore[arg-type]
