"""The console entry point collects cyclic garbage less often and not at exit (cli.main); the
commands run through click's runner in this process (every other test) keep Python's defaults."""

from __future__ import annotations

import gc
import subprocess
import sys

from detainerwatch import cli

CODE = """
import gc, sys
from detainerwatch import cli
sys.argv = ["detainerwatch", *sys.argv[1:]]
try:
    cli.main()
except SystemExit as exc:
    print(exc.code, gc.get_threshold(), gc.get_freeze_count() > 0)
"""


def test_the_console_entry_point_sets_the_collector() -> None:
    done = subprocess.run([sys.executable, "-c", CODE, "--version"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == f"0 {cli.GC_THRESHOLD} True"
    # an ingest keeps Python's thresholds (its peak memory is a goal)
    done = subprocess.run(
        [sys.executable, "-c", CODE, "ingest", "--help"], capture_output=True, text=True
    )
    assert done.stdout.split("\n")[-2] == f"0 {gc.get_threshold()} True"


def test_the_runner_keeps_the_defaults() -> None:
    from click.testing import CliRunner

    before = gc.get_threshold()
    assert CliRunner().invoke(cli.cli, ["--version"]).exit_code == 0
    assert gc.get_threshold() == before and before != cli.GC_THRESHOLD
