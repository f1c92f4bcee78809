"""Work that depends only on its input, kept between commands (issue 16).

Three things every report or profile did again on each command though their input had not
changed: compiling the Jinja templates (about 0.2-0.4 s), rasterising each chart's SVG to PNG
(about 0.15 s a chart) and projecting a map's shapes (0.05-0.15 s). They are kept in a cache
folder keyed by their whole input, so an entry can never be stale: a template's compiled code by
its source (Jinja's own bytecode cache, which checks the source's checksum and the Python
version), a PNG by a hash of its SVG, the scale and the rasteriser installed, a map's projected
shapes by its states, the drawing code and the shapes file (`text`, `code_stamp`). A new store, a
changed template or chart, another rasteriser: another key. Nothing person-level is kept, only
compiled templates, pictures of published charts and map outlines.

Some are made ahead by `make install` into the package (never in git): the compiled templates,
the usual maps' projected shapes (publish/charts.py, SHIPPED_MAPS) and the bundled policy
records as read (publish/audit.py, SHIPPED_POLICIES), read before the cache folder and under
the same keys.

The folder is DETAINERWATCH_CACHE_DIR, else $XDG_CACHE_HOME/detainerwatch, else
~/.cache/detainerwatch; DETAINERWATCH_CACHE_DIR=off (or a folder that cannot be written) turns
the cache off, and everything works as before, only slower.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import BytecodeCache

OFF = "off"


def cache_dir() -> Path | None:
    """The cache folder (made when missing), or None when it is off or cannot be written."""
    chosen = os.environ.get("DETAINERWATCH_CACHE_DIR")
    if chosen is not None and chosen.strip().lower() in (OFF, ""):
        return None
    if chosen:
        folder = Path(chosen)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "detainerwatch"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


# Templates compiled at install (`make install`, like our modules' __pycache__): read first, so a
# first report needs no compiling even with an empty cache folder. Never in git (.gitignore).
SHIPPED_TEMPLATES = Path(__file__).resolve().parent / "templates_compiled"


def bytecode_cache() -> BytecodeCache | None:
    """Jinja's bytecode cache: the templates compiled at install, then the cache folder's
    (compiled templates, each checked against its source's checksum before use)."""
    from jinja2 import BytecodeCache, FileSystemBytecodeCache
    from jinja2.bccache import Bucket

    user: FileSystemBytecodeCache | None = None
    folder = cache_dir()
    if folder is not None:
        sub = folder / "templates"
        try:
            sub.mkdir(exist_ok=True)
            user = FileSystemBytecodeCache(str(sub))
        except OSError:
            user = None
    if not SHIPPED_TEMPLATES.is_dir():
        return user
    shipped = FileSystemBytecodeCache(str(SHIPPED_TEMPLATES))

    class Layered(BytecodeCache):
        def load_bytecode(self, bucket: Bucket) -> None:
            shipped.load_bytecode(bucket)  # a stale one (source edited) is reset by Jinja
            if bucket.code is None and user is not None:
                user.load_bytecode(bucket)

        def dump_bytecode(self, bucket: Bucket) -> None:
            if user is not None:
                user.dump_bytecode(bucket)

    return Layered()


def precompile_templates() -> int:
    """Compile every template into SHIPPED_TEMPLATES (run by `make install`); returns how many.
    Compiled by the one environment (publish/output.py), so with its options."""
    import shutil

    from jinja2 import FileSystemBytecodeCache

    from . import output

    shutil.rmtree(SHIPPED_TEMPLATES, ignore_errors=True)
    SHIPPED_TEMPLATES.mkdir()
    env = output.environment().overlay(
        bytecode_cache=FileSystemBytecodeCache(str(SHIPPED_TEMPLATES))
    )
    names = env.list_templates()
    for name in names:
        env.get_template(name)
    return len(names)


@lru_cache(maxsize=1)
def _rasteriser_stamp() -> str:
    """The installed rasteriser (vl_convert's files: names, sizes, modification times), found
    without importing it (finding its compiled submodule would import the package)."""
    from importlib.util import find_spec

    spec = find_spec("vl_convert")
    if spec is None or not spec.origin:
        return "unknown"
    folder = Path(spec.origin).parent
    parts = []
    for p in sorted(folder.iterdir()):
        if p.is_file():
            st = p.stat()
            parts.append(f"{p.name}:{st.st_size}:{st.st_mtime_ns}")
    return f"{folder}|" + "|".join(parts)


def _png_path(svg: str, scale: float) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256(
        f"{_rasteriser_stamp()}\n{scale!r}\n".encode() + svg.encode("utf-8")
    ).hexdigest()
    return folder / "png" / key[:2] / f"{key}.png"


def png_kept(svg: str, scale: float) -> bytes | None:
    """The PNG of `svg` at `scale` when the cache holds it, else None."""
    path = _png_path(svg, scale)
    try:
        return None if path is None else path.read_bytes()
    except OSError:
        return None


def png(svg: str, scale: float, render: Callable[[], bytes]) -> bytes:
    """The PNG of `svg` at `scale`: from the cache when drawn before, else render() kept."""
    path = _png_path(svg, scale)
    if path is None:
        return render()
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = render()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)  # whole or absent: a reader never sees half a file
    except OSError:
        pass
    return data


def code_stamp(*paths: str | Path) -> str:
    """The files' names, sizes and modification times: part of a key whose value they compute."""
    parts = []
    for p in paths:
        try:
            st = os.stat(p)
            parts.append(f"{p}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{p}:absent")
    return "|".join(parts)


def text_name(key: str) -> str:
    """The file name a text kept for `key` has (in the cache folder and in shipped folders)."""
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()}.txt"


def write_text(path: Path, made: str) -> None:
    """Write made to path whole or not at all (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(made)
    os.replace(tmp, path)


def precompile(folder: Path, makers: dict[str, Callable[[], str]]) -> int:
    """Fill a shipped folder (run by `make install`): for each key, the text its maker returns,
    under text_name(key); a file already there for its key is kept, any other file removed.
    Returns how many were made."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {text_name(key): make for key, make in makers.items()}
    for old in folder.iterdir():
        if old.name not in wanted:
            old.unlink()
    made = 0
    for name, make in wanted.items():
        if not (folder / name).exists():
            write_text(folder / name, make())
            made += 1
    return made


def text(kind: str, key: str, make: Callable[[], str], shipped: Path | None = None) -> str:
    """The text make() returns for `key`: from the shipped folder (made at install) or the cache
    folder's `kind` part when made before, else made and kept."""
    name = text_name(key)
    if shipped is not None:
        try:
            return (shipped / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            pass
    folder = cache_dir()
    if folder is None:
        return make()
    path = folder / kind / name
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    made = make()
    try:
        write_text(path, made)
    except OSError:
        pass
    return made


if __name__ == "__main__":
    from . import charts

    print(f"{precompile_templates()} templates compiled into {SHIPPED_TEMPLATES}")
    print(f"{charts.precompile_maps()} maps projected into {charts.SHIPPED_MAPS}")
    from . import audit

    print(f"{audit.precompile_policies()} policy record sets read into {audit.SHIPPED_POLICIES}")
    from .. import handfiles

    print(f"{handfiles.precompile_yaml()} hand YAML files as JSON into {handfiles.COMPILED_DIR}")
