"""DuckDB imported without importlib.metadata, for a command run from the console (issue 16).

DuckDB's package asks ``importlib.metadata.version("duckdb")`` for its ``__version__`` while it
is imported (duckdb/_version.py), and importing importlib.metadata pulls in the email package,
zipfile and their regular expressions, which nothing else in a report uses: ~20 ms of CPU, a
tenth of importing DuckDB (8 alternated runs each, min 0.188 -> 0.170 s, load ~3). Here the
version is read first, exactly where importlib.metadata reads it for a package installed the
ordinary way (the ``Version:`` line of the one ``duckdb-<version>.dist-info/METADATA`` beside
the imported package), and DuckDB is imported with a stand-in for importlib.metadata that
answers that version; the stand-in is removed at once, so a later ``import importlib.metadata``
gets the real module. Anything unusual (no such file, two of them, no version line, DuckDB or
importlib.metadata already imported) leaves the ordinary import to do it.
tests/test_cli_quickimport.py checks the version against importlib.metadata's.
"""

from __future__ import annotations

import importlib
import sys
import types
from importlib.util import find_spec
from pathlib import Path

METADATA = "importlib.metadata"


def installed_version(package: str) -> str | None:
    """The version in the ``Version:`` header of the one ``<package>-*.dist-info/METADATA``
    beside the package's folder, or None when it is not that simple."""
    try:
        spec = find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    found = list(Path(spec.origin).parent.parent.glob(f"{package}-*.dist-info/METADATA"))
    if len(found) != 1:
        return None
    try:
        with open(found[0], encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    break  # the end of the headers
                if line.startswith("Version:"):
                    return line[len("Version:") :].strip() or None
    except (OSError, UnicodeDecodeError):
        return None
    return None


def import_duckdb() -> None:
    """Import duckdb with its version read from its METADATA file (the module's text)."""
    if "duckdb" in sys.modules or METADATA in sys.modules:
        return
    version = installed_version("duckdb")
    if version is None:
        return
    stand_in = types.ModuleType(METADATA)

    def dist_version(name: str) -> str:
        if name == "duckdb":
            return version
        _remove(stand_in)  # any other question: the real module answers it
        real: str = importlib.import_module(METADATA).version(name)
        return real

    stand_in.version = dist_version  # type: ignore[attr-defined]
    sys.modules[METADATA] = stand_in
    try:
        import duckdb  # noqa: F401
    finally:
        _remove(stand_in)


def _remove(stand_in: types.ModuleType) -> None:
    if sys.modules.get(METADATA) is stand_in:
        del sys.modules[METADATA]
    if getattr(importlib, "metadata", None) is stand_in:
        del importlib.metadata
