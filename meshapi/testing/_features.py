"""Per-key feature flags: web search and the router are flag-gated (protocol.md §7.1).

Every key has every feature until a test turns one off with
`gw.disable_feature(token, "web_search")`; the gated route then answers 403 `forbidden`,
as the gateway does for a key without the feature.
"""

from __future__ import annotations

import threading

from ._context import RequestContext
from ._errors import GatewayError

__all__ = ["FEATURES", "FeatureFlags", "require_feature"]

FEATURES = {"web_search": "Web search", "router": "The auto-router"}


class FeatureFlags:
    """Which features are off, per key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._disabled: dict[str, set[str]] = {}

    def set(self, token: str, feature: str, enabled: bool) -> None:
        """Turn `feature` on or off for `token`."""
        if feature not in FEATURES:
            raise ValueError(f"unknown feature {feature!r}; known: {sorted(FEATURES)}")
        with self._lock:
            disabled = self._disabled.setdefault(token, set())
            if enabled:
                disabled.discard(feature)
            else:
                disabled.add(feature)

    def enabled(self, token: str, feature: str) -> bool:
        """Whether `token` may use `feature`."""
        with self._lock:
            return feature not in self._disabled.get(token, set())


def require_feature(ctx: RequestContext, feature: str) -> None:
    """403 `forbidden` unless the caller's key has `feature`."""
    principal = ctx.principal
    if principal is not None and not ctx.state.features.enabled(principal.token, feature):
        raise GatewayError(
            403, "forbidden", f"{FEATURES[feature]} is not enabled for this API key."
        )
