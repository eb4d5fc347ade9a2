"""What every client method does before any I/O: turn its arguments into values.

`params_from` accepts the 0.1.x style (one params model) and the keyword style
(`create(model=..., messages=[...])`), validated by the same strict model, so a bad field
fails here, naming it. `options_from` builds the per-call RequestOptions. `ClientState`
is what the sync and async clients share: the resolved config, the retry policy, the
jitter source and the resilience-event sink.
"""

from __future__ import annotations

import contextlib
import random
import sys
from collections.abc import Mapping
from typing import Any, TypeVar

from meshapi_core._config import MeshAPIConfig, RequestOptions, Timeout
from meshapi_core._resilience import DEBUG_PREFIX, ResilienceEvent
from meshapi_core._retry import RetryPolicy
from meshapi_core.types._base import RequestModel

__all__ = ["ClientState", "options_from", "params_from"]

P = TypeVar("P", bound=RequestModel)


def params_from(model: type[P], params: object, fields: Mapping[str, Any]) -> P:
    """The params object of a call: the one given, or one built from keyword fields.

    Raises:
        pydantic.ValidationError: a bad keyword field, naming it.
        TypeError: both a params object and keyword fields, or a params object of the
            wrong type.
    """
    if params is None:
        return model(**fields)
    if fields:
        raise TypeError(
            f"pass either a {model.__name__} or keyword fields, not both "
            f"(got {', '.join(sorted(fields))})"
        )
    if isinstance(params, model):
        return params
    if isinstance(params, Mapping):
        return model.model_validate(dict(params))
    raise TypeError(f"expected {model.__name__}, got {type(params).__name__}")


def options_from(
    *,
    timeout: Timeout | float | None = None,
    max_retries: int | None = None,
    extra_headers: Mapping[str, str | None] | None = None,
    extra_query: Mapping[str, object] | None = None,
    extra_body: Mapping[str, object] | None = None,
    request_id: str | None = None,
    idempotency_key: str | None = None,
) -> RequestOptions:
    """The per-call options (protocol.md §2.2), validated before any I/O."""
    return RequestOptions(
        timeout=Timeout.coerce(timeout) if timeout is not None else None,
        max_retries=max_retries,
        extra_headers=extra_headers,
        extra_query=extra_query,
        extra_body=extra_body,
        request_id=request_id,
        idempotency_key=idempotency_key,
    )


class ClientState:
    """The non-I/O state one client holds (shared by the sync and async flavours)."""

    __slots__ = ("config", "policy", "rng")

    def __init__(self, config: MeshAPIConfig, *, rng: random.Random | None = None) -> None:
        self.config = config
        self.policy: RetryPolicy = config.retry_policy
        self.rng = rng or random.Random()

    def emit(self, event: ResilienceEvent) -> None:
        """Hand a resilience event to the logger, and print its line with debug=True.

        The two outputs are independent (protocol.md §5.6). A logger that raises must
        not break the call it observes, so its exceptions are swallowed.
        """
        logger = self.config.logger
        if logger is not None:
            with contextlib.suppress(Exception):
                logger(event)
        if self.config.debug:
            line = event.debug_line()
            if line is not None:
                print(DEBUG_PREFIX + line, file=sys.stderr, flush=True)
