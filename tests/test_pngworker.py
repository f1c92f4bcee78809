"""A console `report` rasterises its PNG charts in a helper process forked before DuckDB is
imported (publish/pngworker.py): the same bytes as a PNG made in the command itself, and the
command draws a chart itself whenever the helper does not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run

CONSOLE = """
import sys
from detainerwatch import cli
from detainerwatch.publish import pngworker
used = []
answers = pngworker.Helper.answers
def counted(self):
    got = answers(self)
    used.append([g is not None for g in got])
    return got
pngworker.Helper.answers = counted
sys.argv = ["detainerwatch", *sys.argv[1:]]
try:
    cli.main()
except SystemExit as exc:
    print("exit", exc.code, used)
"""

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20">'
    '<rect width="30" height="10" fill="#336699"/><text x="2" y="18">7</text></svg>'
)

DEAD_HELPER = f"""
import os, signal
from detainerwatch.publish import pngworker
pngworker.start()
helper = pngworker._helper
assert helper is not None
os.kill(helper.pid, signal.SIGKILL)
print(pngworker.start_batch([{SVG!r}], 1.0)())
"""

two_cores = pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2, reason="the helper is forked only with two cores or more"
)


def _console(tmp_path: Path, cache: Path, *args: str) -> str:
    env = {**os.environ, "DETAINERWATCH_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", CONSOLE, *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


@two_cores
def test_the_helpers_pngs_are_the_commands_own(
    pa_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def report_all(out: Path) -> str:
        args = ("--db", str(pa_store), "report", "--all", "--out", str(out))
        return _console(tmp_path, tmp_path / "cache1", *args)

    by_helper = tmp_path / "helper"
    assert report_all(by_helper) == "exit 0 [[True, True]]"
    # a repeat finds both in the cache folder: nothing sent to the helper
    assert report_all(tmp_path / "again") == "exit 0 []"
    # through click's runner (no helper) with an empty cache folder: the command draws them
    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", str(tmp_path / "cache2"))
    by_command = tmp_path / "command"
    assert run(pa_store, "report", "--all", "--out", by_command).exit_code == 0
    for name in ("trend.png", "map.png", "index.html", "report.json"):
        assert (by_helper / name).read_bytes() == (by_command / name).read_bytes(), name
        assert (tmp_path / "again" / name).read_bytes() == (by_command / name).read_bytes(), name


@two_cores
def test_a_dead_helper_leaves_the_chart_to_the_command() -> None:
    done = subprocess.run([sys.executable, "-c", DEAD_HELPER], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[None]"


def test_no_helper_after_duckdb_is_imported() -> None:
    import duckdb  # noqa: F401  (its threads may exist: no fork)

    from detainerwatch.publish import pngworker

    pngworker.start()
    assert pngworker.take() is None
    assert pngworker.start_batch([SVG], 1.0)() == [None]


def test_a_report_with_a_closed_output_stream_runs_without_a_helper(
    pa_store: Path, tmp_path: Path
) -> None:
    """Python makes a stream closed at start-up None: the fork's flush of it crashed `report`
    (exit 1, a traceback or no message at all); now no helper is forked and the folder is made."""
    exe = Path(sys.executable).with_name("detainerwatch")
    for closed, name in (("1", "no_stdout"), ("2", "no_stderr")):
        out = tmp_path / name
        done = subprocess.run(
            f'"{exe}" --db "{pa_store}" report --all --out "{out}" {closed}>&-',
            shell=True,
            capture_output=closed == "1",
        )
        assert done.returncode == 0, (name, done.stderr)
        assert (out / "trend.png").exists() and (out / "map.png").exists(), name


HUNG_HELPER = f"""
import os, signal, sys, time
from detainerwatch.publish import pngworker
pngworker.HELPER_TIMEOUT = 0.5
pngworker.start()
helper = pngworker._helper
assert helper is not None
os.kill(helper.pid, signal.SIGSTOP)  # a helper that hangs
svg = {SVG!r}
if sys.argv[1] == "big":  # more than a pipe holds: the command's write waits on the helper
    svg = svg.replace("</svg>", "<!--" + "x" * 300_000 + "--></svg>")
began = time.monotonic()
got = pngworker.start_batch([svg], 1.0)()
waited = time.monotonic() - began
try:
    os.kill(helper.pid, 0)
    gone = False
except ProcessLookupError:
    gone = True
print(got, waited < 5, gone)
"""


@two_cores
@pytest.mark.parametrize("size", ["small", "big"])
def test_a_hung_helper_is_killed_and_leaves_the_chart_to_the_command(size: str) -> None:
    """A helper that stops answering (here: stopped before or while it takes the batch) costs
    the command HELPER_TIMEOUT, not forever: it is killed, reaped, and the command draws."""
    done = subprocess.run(
        [sys.executable, "-c", HUNG_HELPER, size], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[None] True True"


INTERRUPTED_WAIT = f"""
import os, signal, time
from detainerwatch.publish import pngworker
pngworker.rasterise = lambda svg, scale: time.sleep(20)  # a helper that hangs (not stopped)
pngworker.start()
helper = pngworker._helper
assert helper is not None
signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
signal.setitimer(signal.ITIMER_REAL, 0.5)  # Ctrl-C while the command waits for the answer
try:
    pngworker.start_batch([{SVG!r}], 1.0)()
except KeyboardInterrupt:
    pass
try:
    os.kill(helper.pid, 0)
    gone = False
except ProcessLookupError:
    gone = True
print(gone)
"""


@two_cores
def test_a_command_interrupted_while_it_waits_kills_its_hung_helper() -> None:
    """The helper ignores Ctrl-C: a command interrupted while it waits for a helper that hangs
    kills and reaps it, so it does not outlive the command (it was left running, orphaned)."""
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_WAIT], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
