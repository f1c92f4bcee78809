"""`detainerwatch publish`: the web app's pages as a static site, and a SQLite of aggregates.

Pages are fetched from the app in process and written as files, so the static site and the
live app cannot drift apart. The SQLite file holds aggregate tables only (Datasette opens it
as is; metadata.json gives titles, sources and licences).
"""

from __future__ import annotations

import json
import posixpath
import re
import shutil
from html import escape, unescape
from pathlib import Path
from urllib.parse import quote, unquote

from .. import __version__
from ..publish.export import write_sqlite, write_sqlite_tables  # noqa: F401 (moved to publish)
from .app import STATIC_DIR
from .site_crawl import crawler
from .site_export import Export

SEEDS = [
    "/",
    "/jurisdictions",
    "/report",
    "/methodology",
    "/audits",
    "/sources",
    "/review",
    "/downloads",
    "/api/docs",
    "/api/v1/openapi.json",
    "/api/v1/totals",
    "/api/v1/sources",
    "/api/v1/audits",
]
# Links the crawl follows: pages and files without a query, and reports for a period.
FOLLOW = re.compile(
    r'href="(/(?:jurisdiction/|audits/|downloads/|api/v1/)[^"#?]*|/report\?[^"#]*)"'
)
LINK = re.compile(r'\b(href|src|action)="(/[^"]*)"')


def publish_site(db: Path, out: Path, progress=None, workers: int | None = None) -> dict:
    """Write the site. The crawl goes by rounds: the pages of a round are fetched (by `workers`
    processes, each with its own app over the read-only store, when more than one), and the
    links they hold make the next round. Which pages are written, and their bytes, do not
    depend on who fetched them or in which order. Default workers: publish/site_workers below."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(STATIC_DIR, out / "static", dirs_exist_ok=True)
    written = 0
    sqlite_path = out / "detainerwatch.sqlite"
    with (
        Export(db, sqlite_path) as export,  # beside the crawl, on another core (site_export.py)
        crawler(db, out, workers if workers is not None else site_workers(db)) as fetch,
    ):
        seen = set(SEEDS)
        frontier = list(SEEDS)
        while frontier:
            found = fetch(frontier)
            following = []
            for path in frontier:  # links in the order a one-by-one crawl would queue them
                ok, links = found[path]
                written += ok
                if ok and progress:
                    progress(path)
                for link in links:
                    if link not in seen:
                        seen.add(link)
                        following.append(link)
            frontier = following
        fetch.search_page()  # the search box needs a server: the static search is the list
        tables = export.result()
    (out / "metadata.json").write_text(json.dumps(_metadata(tables), indent=1))
    return {"pages": written, "sqlite": str(sqlite_path), "tables": tables}


# A store with at least this many jurisdictions (about as many pages) is published by two
# processes when the machine has two cores or more: each worker pays the app's start-up and the
# store's registrations again (the demo store's 146 pages: 91 ms a page with one, 156 with two),
# which a national store's pages repay (4M generated store, 1,096 pages: 51.8 ms a page with
# one, 40.7 with two; bench/publish.py). Two, not more: each holds its own store connection
# (~750 MB at peak on that store), and more were never measured.
PARALLEL_FROM_JURISDICTIONS = 500


def site_workers(db: Path | None = None) -> int:
    """Processes that fetch pages: DETAINERWATCH_PUBLISH_WORKERS when set, else two for a store
    of PARALLEL_FROM_JURISDICTIONS jurisdictions or more on a machine of two cores or more, else
    one (every page in this process)."""
    import os

    named = os.environ.get("DETAINERWATCH_PUBLISH_WORKERS", "")
    if named.isdigit() and int(named) > 0:
        return int(named)
    if db is None or (os.cpu_count() or 1) < 2:
        return 1
    from ..publish.queries import jurisdiction_count
    from ..store import connect_read

    with connect_read(db) as store:
        many = jurisdiction_count(store.con) >= PARALLEL_FROM_JURISDICTIONS
    return 2 if many else 1


def target_file(url: str) -> str:
    """Where the page or file at an app URL is written, relative to the site's folder. Decided
    by the URL alone, so a link can be rewritten without fetching what it points to."""
    path, _, query = unquote(url).partition("?")
    clean = path.strip("/")
    if query:  # a report for a period: one folder per parameter set
        parts = sorted(p for p in query.split("&") if p)
        clean += "/" + re.sub(r"[^A-Za-z0-9=._-]", "_", "&".join(parts) or "_")
    if clean.startswith(("downloads/", "static/")) or clean.endswith(".json"):
        return clean
    if clean.startswith("api/v1/"):  # API answers are JSON; /api/docs is a page
        return clean + "/index.json"
    return clean + "/index.html" if clean else "index.html"


def relative_links(html: str, page_file: str) -> str:
    """Site-absolute links made relative to the page's own file, each naming the file itself
    (index.html), so the site works opened from disk and served from any folder."""
    here = posixpath.dirname(page_file) or "."

    def rewrite(match: re.Match) -> str:
        attr, url = match.groups()
        url, hash_, fragment = unescape(url).partition("#")
        target = "search/index.html" if attr == "action" else target_file(url or "/")
        rel = _relpath(target, here)
        if not rel.startswith("../"):
            rel = "./" + rel  # "county:42055/..." alone would read as a URL scheme
        return f'{attr}="{escape(quote(rel, safe="/:=&._-~"))}{hash_}{escape(fragment)}"'

    return LINK.sub(rewrite, html)


def _relpath(target: str, here: str) -> str:
    """posixpath.relpath(target, here) for two paths within the site: it makes both absolute
    first (a getcwd and a normalisation each, for every link of every page); without a ".."
    in either, both lie under the same folder and the answer is the same from their parts."""
    t = [x for x in target.split("/") if x and x != "."]
    h = [x for x in here.split("/") if x and x != "."]
    if not target or ".." in t or ".." in h or target.startswith("/") or here.startswith("/"):
        return posixpath.relpath(target, here)
    i = 0
    for a, b in zip(t, h, strict=False):
        if a != b:
            break
        i += 1
    rel = [".."] * (len(h) - i) + t[i:]
    return "/".join(rel) if rel else "."


TABLE_NOTES = {
    "jurisdiction_years": "Detainers issued and their outcomes, by jurisdiction and year of issue "
    "(likely duplicates left out).",
    "facilities": "Detainers and outcomes by facility as released, with the government each is "
    "attributed to, the rule that did it and whether it awaits review.",
    "sources": "The source files behind every count: SHA-256, layout, release, origin, licence.",
    "policies": "State and local instruments on detainers, with citations and dates in force.",
}


def _metadata(tables: dict) -> dict:
    return {
        "title": "detainerwatch aggregates",
        "description": "ICE detainers by jurisdiction, facility and year, with outcomes; every "
        "count traceable to the source files listed in `sources`. Aggregates "
        "only: no person-level rows.",
        "license": "Underlying data: US-government FOIA releases (see sources)",
        "source": f"detainerwatch {__version__}",
        "databases": {
            "detainerwatch": {
                "tables": {
                    t: {"description": f"{TABLE_NOTES.get(t, '')} {n:,} rows.".strip()}
                    for t, n in tables.items()
                }
            }
        },
    }
