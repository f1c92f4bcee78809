"""Locate and read the reviewed hand-decision files shipped in ``detainerwatch/hand/``.

Reads go through a ``HandFiles`` object, which keeps each file's parsed rows while the file is
unchanged (same path, size and modification time) and reads it again after an edit, so a
long-running app follows a reviewed change and a command reads each file once. The module
functions use the process's one ``HandFiles`` (``HAND``): an object owning its reads, not a
result memoised for ever in a function.
"""

from __future__ import annotations

import contextlib
import csv
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HAND_DIR = Path(__file__).resolve().parent / "hand"


def hand_path(name: str) -> Path:
    return HAND_DIR / name


class HandFiles:
    """Parsed hand files, each kept while the file is unchanged on disk."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str], tuple[tuple[int, int], Any]] = {}
        self._lock = threading.Lock()
        self._steady = threading.local()  # this thread's files read within steady()

    @contextlib.contextmanager
    def steady(self) -> Iterator[None]:
        """Within the block, on this thread, a file once read is taken as unchanged: no stat per
        read. For work that reads one file thousands of times in a fraction of a second (the
        disclosure rules of one profile); a read after the block sees an edit again."""
        outer: dict[tuple[str, str], Any] | None = getattr(self._steady, "read", None)
        if outer is None:
            self._steady.read = {}
        try:
            yield
        finally:
            if outer is None:
                self._steady.read = None

    def _read(self, kind: str, name: str, parse: Callable[[Path], Any]) -> Any:
        steady: dict[tuple[str, str], Any] | None = getattr(self._steady, "read", None)
        if steady is not None and (kind, name) in steady:
            return steady[(kind, name)]
        value = self._read_checked(kind, name, parse)
        if steady is not None:
            steady[(kind, name)] = value
        return value

    def _read_checked(self, kind: str, name: str, parse: Callable[[Path], Any]) -> Any:
        # HAND_DIR read each time (tests point it elsewhere); a plain string path and os.stat,
        # not a Path: some callers ask thousands of times per command (disclosure rules per cell)
        path = os.path.join(HAND_DIR, name)
        st = os.stat(path)
        stamp = (st.st_mtime_ns, st.st_size)
        key = (kind, path)
        kept = self._kept.get(key)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        value = parse(Path(path))
        with self._lock:
            self._kept[key] = (stamp, value)
        return value

    def read_csv(self, name: str) -> tuple[dict[str, str], ...]:
        """The rows of a hand CSV file as dicts keyed by its header."""
        rows: tuple[dict[str, str], ...] = self._read("csv", name, _parse_csv)
        return rows

    def read_yaml(self, name: str) -> Any:
        """A hand YAML file, parsed (callers must not change what it returns)."""
        return self._read("yaml", name, _parse_yaml)


def _parse_csv(path: Path) -> tuple[dict[str, str], ...]:
    with open(path, newline="", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


# The hand YAML files as JSON, written by `make install` (python -m detainerwatch.publish.filecache)
# and named by a digest of the YAML's bytes, so an edited file is never read from here: a command
# reading disclosure.yaml and release_precedence.yaml then imports no YAML parser (~20 ms of every
# report's start-up, issue 16). Only files whose parsed value JSON keeps exactly are written.
# Never in git (.gitignore).
COMPILED_DIR = Path(__file__).resolve().parent / "hand_compiled"


def _compiled_path(name: str, text: bytes) -> Path:
    import hashlib

    return COMPILED_DIR / f"{name}.{hashlib.sha256(text).hexdigest()[:32]}.json"


def _parse_yaml(path: Path) -> Any:
    raw = path.read_bytes()
    try:
        import json

        return json.loads(_compiled_path(path.name, raw).read_bytes())
    except (OSError, ValueError):
        pass
    return _yaml_value(raw)


def _yaml_value(raw: bytes) -> Any:
    import yaml

    # libyaml's parser when PyYAML was built with it (same safe constructor, about 5x faster)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(raw.decode("utf-8"), Loader=loader)  # noqa: S506 (safe loader)


def precompile_yaml() -> int:
    """Write each hand YAML file as JSON into COMPILED_DIR (run by `make install`), when JSON
    keeps its value exactly (same repr after the round trip); other files there are removed. A
    file that does not parse is left out (the command reading it says so in one line).
    Returns how many were written."""
    import json

    COMPILED_DIR.mkdir(exist_ok=True)
    wanted: dict[str, str] = {}
    for path in sorted(Path(HAND_DIR).rglob("*.yaml")):
        raw = path.read_bytes()
        try:
            value = _yaml_value(raw)
            text = json.dumps(value, ensure_ascii=False)
        except Exception:  # noqa: S112 (a file that does not parse is reported when read)
            continue
        if repr(json.loads(text)) == repr(value):
            wanted[_compiled_path(path.name, raw).name] = text
    for old in COMPILED_DIR.iterdir():
        if old.name not in wanted:
            old.unlink()
    for name, text in wanted.items():
        (COMPILED_DIR / name).write_text(text, encoding="utf-8")
    return len(wanted)


HAND = HandFiles()


def read_csv(name: str) -> tuple[dict[str, str], ...]:
    return HAND.read_csv(name)


def steady() -> contextlib.AbstractContextManager[None]:
    """HAND.steady(): within the block, this thread reads each hand file's state once."""
    return HAND.steady()


def read_yaml(name: str) -> Any:
    return HAND.read_yaml(name)


def value_sets() -> dict[str, frozenset[str]]:
    sets: dict[str, set[str]] = {}
    for row in read_csv("value_sets.csv"):
        sets.setdefault(row["field"], set()).add(row["value"])
    return {k: frozenset(v) for k, v in sets.items()}
