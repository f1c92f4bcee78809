"""cli/quickimport.py: DuckDB imported without importlib.metadata gives the same version, and
leaves importlib.metadata importable as the real module."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

from detainerwatch.cli.quickimport import installed_version


def test_installed_version_is_importlib_metadata_s() -> None:
    assert installed_version("duckdb") == importlib.metadata.version("duckdb")
    assert installed_version("click") == importlib.metadata.version("click")
    assert installed_version("no_such_package_here") is None


def test_duckdb_imported_without_importlib_metadata() -> None:
    code = (
        "import sys\n"
        "from detainerwatch.cli.quickimport import import_duckdb\n"
        "import_duckdb()\n"
        "import duckdb\n"
        "print(duckdb.__version__, 'importlib.metadata' in sys.modules)\n"
        "import importlib.metadata as m\n"
        "print(m.version('duckdb'), hasattr(m, 'distributions'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    version = importlib.metadata.version("duckdb")
    assert out == [version, "False", version, "True"]


def test_nothing_done_once_duckdb_is_imported() -> None:
    import duckdb

    from detainerwatch.cli.quickimport import import_duckdb

    import_duckdb()  # duckdb already imported here: the ordinary module stays
    assert sys.modules["duckdb"] is duckdb
    assert sys.modules["importlib.metadata"] is importlib.metadata
