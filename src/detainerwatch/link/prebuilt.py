"""The gazetteer's and the facility dictionary's indexes, prebuilt.

Building them from ``data/reference/*.csv.gz``, the addfips county lists and the ZIP list takes
seconds (regular expressions over 40,000 places, 13,000 facilities, 40,000 ZIP codes); reading
them back takes a fraction of that. ``scripts/build_reference.py`` writes
``data/reference/indexes.pickle``: one pickle holding a provenance record and, per index, the
zlib-compressed pickle of exactly what the index's builder returns. Each index is read on first
use only: a command that resolves one county jail reads the county index and nothing else.

The file is valid only for the inputs it was built from: its fingerprint is the SHA-256 of every
input file (bundled data, the hand files the indexes read, the installed addfips and zipcodes
data) and of the modules that build them. When anything differs (a hand file edited, a new
release of a package) the file is ignored and each index is built from its sources as before:
slower, never stale. ``tests/test_prebuilt.py`` fails until the file is rebuilt.

The file is a pickle: it is package data, trusted as the code beside it is, and read only from
the package's own folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import pickle
import threading
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

FORMAT = 1
PACKAGE = Path(__file__).resolve().parents[1]
PATH = PACKAGE / "data" / "reference" / "indexes.pickle"
T = TypeVar("T")


def _input_files() -> list[Path]:
    """Every file whose bytes the prebuilt indexes depend on."""
    data = PACKAGE / "data"
    files = [
        data / "reference" / "facilities.csv.gz",
        data / "reference" / "places.csv.gz",
        data / "gazetteer" / "county_additions.csv",
        data / "gazetteer" / "places.csv",
        PACKAGE / "hand" / "facility_words.csv",
        PACKAGE / "hand" / "facility_additions.csv",
        PACKAGE / "hand" / "county_changes.csv",
        PACKAGE / "link" / "gazetteer.py",
        PACKAGE / "link" / "reference.py",
        PACKAGE / "link" / "prebuilt.py",
    ]
    files += sorted((_package_dir("addfips") / "data").glob("*.csv"))
    files.append(_package_dir("us") / "states.py")  # the states' names and codes
    # zipcodes keeps its list inside its compiled module
    files += sorted(p for p in _package_dir("zipcodes").iterdir() if p.suffix in {".so", ".py"})
    return files


def _package_dir(name: str) -> Path:
    """A package's folder, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return PACKAGE / f"<{name} not installed>"
    return Path(spec.origin).resolve().parent


def fingerprint(files: Iterable[Path] | None = None) -> str:
    """SHA-256 over the names and bytes of the input files (missing files count as absent)."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    for path in files if files is not None else _input_files():
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"<absent>")
    return digest.hexdigest()


class Prebuilt:
    """The indexes of one prebuilt file, read lazily: the file on the first request, each index
    on its own first request. Thread-safe; ``get`` returns None when the file is absent or was
    built from other inputs, and the caller then builds the index itself."""

    def __init__(self, path: Path = PATH) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._pieces: dict[str, bytes] | None = None
        self.provenance: dict[str, Any] = {}
        self.stale_reason: str | None = None

    def _open(self) -> dict[str, bytes]:
        if self._pieces is None:
            pieces: dict[str, bytes] = {}
            if not self.path.exists():
                self.stale_reason = f"{self.path.name} is absent"
            else:
                with open(self.path, "rb") as fh:
                    stored = pickle.load(fh)
                now = fingerprint()
                if stored.get("format") != FORMAT or stored.get("fingerprint") != now:
                    self.stale_reason = (
                        f"{self.path.name} was built from other inputs; rebuild it with "
                        "scripts/build_reference.py --indexes"
                    )
                else:
                    pieces = stored["pieces"]
                    self.provenance = stored.get("provenance", {})
            self._pieces = pieces
        return self._pieces

    def get(self, name: str) -> Any | None:
        with self._lock:
            blob = self._open().get(name)
        return None if blob is None else pickle.loads(zlib.decompress(blob))

    def valid(self) -> bool:
        with self._lock:
            return bool(self._open())


def write(path: Path, builders: dict[str, Callable[[], Any]], provenance: dict[str, Any]) -> int:
    """Build every index with its own builder and write them, with the inputs' fingerprint."""
    pieces = {
        name: zlib.compress(pickle.dumps(build(), protocol=5), 6)
        for name, build in sorted(builders.items())
    }
    stored = {
        "format": FORMAT,
        "fingerprint": fingerprint(),
        "provenance": provenance,
        "pieces": pieces,
    }
    data = pickle.dumps(stored, protocol=5)
    path.write_bytes(data)
    return len(data)


DEFAULT = Prebuilt()


def cached(name: str, build: Callable[[], T], source: Prebuilt | None = None) -> T:
    """The prebuilt index `name`, or what `build` returns when there is none."""
    found = (source or DEFAULT).get(name)
    return build() if found is None else found
