"""Each command loads only what it needs (issue 16): start-up was about a CPU second of imports
per command. Commands run in a child process, as a user runs them; the modules loaded by the
end are listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN = """
import json, sys
from detainerwatch.cli import cli
try:
    cli.main(sys.argv[2:], prog_name="detainerwatch", standalone_mode=False)
finally:
    with open(sys.argv[1], "w") as fh:
        json.dump(sorted(sys.modules), fh)
"""

NEVER = {"altair", "pyarrow", "pandas", "vl_convert", "vegafusion"}


def _loaded(tmp_path: Path, cache: Path, *args: str) -> set[str]:
    listing = tmp_path / "modules.json"
    env = {**os.environ, "DETAINERWATCH_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(listing), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return {m.split(".")[0] for m in json.loads(listing.read_text())} | set(
        json.loads(listing.read_text())
    )


def test_the_command_line_alone_loads_no_console_library(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path, tmp_path / "cache", "--help")
    assert not {"rich", "duckdb", "jinja2", "yaml"} & loaded


@pytest.mark.parametrize(
    "args, also_never",
    [
        (["profile", "Philadelphia, PA"], {"jinja2", "rich"}),
        (["query", "SELECT count(*) FROM detainers", "--format", "csv"], {"jinja2", "rich"}),
        (["policies", "list", "--state", "PA"], {"jinja2"}),
    ],
)
def test_commands_load_only_what_they_need(
    pa_store: Path, tmp_path: Path, args: list[str], also_never: set[str]
) -> None:
    loaded = _loaded(tmp_path, tmp_path / "cache", "--db", str(pa_store), *args)
    assert not (NEVER | also_never) & loaded, sorted((NEVER | also_never) & loaded)


def test_a_report_draws_its_pngs_once(pa_store: Path, tmp_path: Path) -> None:
    """The first report rasterises its charts (vl_convert); a second one of the same store finds
    them in the cache, loads no rasteriser, and writes the same bytes."""
    cache = tmp_path / "cache"
    outs = [tmp_path / "first", tmp_path / "again"]
    first = _loaded(
        tmp_path, cache, "--db", str(pa_store), "report", "--all", "--out", str(outs[0])
    )
    assert "vl_convert" in first and not {"altair", "pyarrow", "rich"} & first
    again = _loaded(
        tmp_path, cache, "--db", str(pa_store), "report", "--all", "--out", str(outs[1])
    )
    assert not (NEVER | {"rich"}) & again, sorted((NEVER | {"rich"}) & again)
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == sorted(p.name for p in outs[1].iterdir()) and "map.png" in names
    for name in names:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
