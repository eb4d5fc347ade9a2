"""meshapi: the Python SDK for the MeshAPI gateway."""

from __future__ import annotations

from meshapi_core import *  # noqa: F403
from meshapi_core import __all__ as _core_all
from meshapi_core import __version__

__all__ = [*_core_all]
