"""`detainerwatch publish`: the pages as a static site, and a SQLite file of the aggregates."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import click

from ..errors import UsageError
from . import cli


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the static site (index.html, pages, static/, detainerwatch.sqlite).",
)
@click.pass_obj
def publish(obj, out):
    """Write the web app's pages as a static site for newsrooms that host files, plus a
    Datasette-compatible SQLite file of the aggregates (no person-level rows)."""
    from ..store import connect
    from ..web.static_site import publish_site

    connect(obj["db"], read_only=True).close()  # a clear error when there is no store
    # The site is built in a new folder beside the target and put in its place only when
    # whole: an error or Ctrl-C leaves the target as it was, and no page of an older site
    # survives in the new one.
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not _is_site(out):
        # The whole folder is replaced: never one holding anything but a published site.
        raise UsageError(
            f"--out {out}: a folder holding other files (not a site published "
            "here); give a new or empty folder"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        if sys.stderr.isatty():
            from . import err_console

            with err_console.status("writing pages") as status:
                result = publish_site(
                    obj["db"], building, progress=lambda p: status.update(f"writing {p}")
                )
        else:
            result = publish_site(obj["db"], building)
        _replace_folder(building, out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    result["sqlite"] = str(out / Path(result["sqlite"]).relative_to(building))
    click.echo(
        f"{result['pages']} pages and files written to {out}/; aggregates in "
        f"{result['sqlite']} ({', '.join(f'{t} {n:,}' for t, n in result['tables'].items())})"
    )


def _replace_folder(new: Path, target: Path) -> None:
    """Put `new` where `target` is: the old folder is moved aside, the new one renamed into
    place (one rename each), then the old one removed."""
    os.chmod(new, 0o755)  # mkdtemp makes it private; a site folder is for serving
    if not target.exists():
        os.rename(new, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _is_site(folder: Path) -> bool:
    """A site this command published: its index page and metadata, nothing of a store."""
    return (
        (folder / "index.html").is_file()
        and (folder / "metadata.json").is_file()
        and not any(folder.glob("*.duckdb"))
    )
