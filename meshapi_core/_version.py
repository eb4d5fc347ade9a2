"""The one place the distribution version is written.

pyproject.toml reads it (hatch dynamic version), `meshapi.__version__` re-exports it and
the `X-MeshAPI-SDK: python/<version>` header is built from it, so the three cannot drift.
"""

__version__ = "0.2.0"
