"""Shared test configuration: hypothesis profiles.

`ci` (the default of scripts/test) runs enough examples to mean something on 2 cores;
`dev` is quick; `fuzz` is for long runs by hand (HYPOTHESIS_PROFILE=fuzz).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "fuzz", max_examples=200_000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
