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
import sqlite3
from html import escape, unescape
from pathlib import Path
from urllib.parse import quote, unquote

from .. import __version__
from .app import STATIC_DIR, create_app

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


def publish_site(db: Path, out: Path, progress=None) -> dict:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette prefers httpx2 for its test client
        from starlette.testclient import TestClient

    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(STATIC_DIR, out / "static", dirs_exist_ok=True)
    written, queue, seen = 0, list(SEEDS), set()
    with TestClient(create_app(db)) as client:
        while queue:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            response = client.get(path)
            if response.status_code != 200:
                continue
            target = out / target_file(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            if "text/html" in response.headers.get("content-type", ""):
                html = response.text
                for link in FOLLOW.findall(html):
                    if unescape(link) not in seen:
                        queue.append(unescape(link))
                target.write_text(relative_links(html, target_file(path)), encoding="utf-8")
            else:
                target.write_bytes(response.content)
            written += 1
            if progress:
                progress(path)
        # The search box needs a server: the static site's search is the full list.
        (out / "search").mkdir(exist_ok=True)
        (out / "search" / "index.html").write_text(
            relative_links(client.get("/jurisdictions").text, "search/index.html"), encoding="utf-8"
        )
    sqlite_path = out / "detainerwatch.sqlite"
    tables = write_sqlite(db, sqlite_path)
    (out / "metadata.json").write_text(json.dumps(_metadata(tables), indent=1))
    return {"pages": written, "sqlite": str(sqlite_path), "tables": tables}


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
        rel = posixpath.relpath(target, here)
        if not rel.startswith("../"):
            rel = "./" + rel  # "county:42055/..." alone would read as a URL scheme
        return f'{attr}="{escape(quote(rel, safe="/:=&._-~"))}{hash_}{escape(fragment)}"'

    return LINK.sub(rewrite, html)


def write_sqlite(db: Path, target: Path) -> dict:
    """Aggregate tables only: no table of detainers, no person attribute, no identifier."""
    from ..derive import facts
    from ..derive.facts import OUTCOMES
    from ..store import connect

    target.unlink(missing_ok=True)
    con = connect(db, read_only=True)
    facts.register(con)
    from ..publish.disclosure import protected_facilities_sql

    protected = protected_facilities_sql()
    outcome_cols = ", ".join(f"count(*) FILTER (WHERE outcome = '{o}') AS {o}" for o in OUTCOMES)
    queries = {
        "jurisdiction_years": f"""
            SELECT jurisdiction_id, any_value(jurisdiction_name) AS jurisdiction_name,
                   any_value(jurisdiction_type) AS jurisdiction_type, any_value(state_abbr) AS state,
                   CASE WHEN any_value(jurisdiction_type) = 'county' OR (any_value(jurisdiction_type)
                        = 'city' AND count(DISTINCT county_fips) = 1) THEN any_value(county_fips)
                        END AS county_fips,
                   CASE WHEN any_value(jurisdiction_type) = 'city' THEN any_value(place_fips)
                        END AS place_fips,
                   bool_and({protected}) AS protected_facility,
                   year(issued) AS year, count(*) AS issued, {outcome_cols}
            FROM detainer_facts WHERE NOT likely_duplicate GROUP BY jurisdiction_id, year(issued)
            ORDER BY 1, year""",
        "facilities": f"""
            SELECT facility_name AS facility, facility_city AS city, facility_state AS state_as_released,
                   facility_code AS code, any_value(jurisdiction_id) AS jurisdiction_id,
                   any_value(jurisdiction_type) AS jurisdiction_type, any_value(method) AS method,
                   any_value(confidence) AS confidence, bool_or(needs_review) AS needs_review,
                   bool_or({protected}) AS protected_facility,
                   count(*) AS issued, {outcome_cols}
            FROM detainer_facts WHERE NOT likely_duplicate
            GROUP BY facility_name, facility_city, facility_state, facility_code ORDER BY issued DESC""",
        "sources": "SELECT source_id, file_name, sha256, size_bytes, layout, release, rows_in, rows_out, "
        "CAST(ingested_at AS VARCHAR) AS ingested_at FROM sources ORDER BY source_id",
        "policies": "SELECT policy_id, jurisdiction_type, jurisdiction_name, state, state_fips, county_fips, "
        "place_fips, instrument_type, citation, short_title, CAST(in_force_from AS VARCHAR) "
        "AS in_force_from, CAST(in_force_to AS VARCHAR) AS in_force_to, effect, detainer_holds, "
        "notification, jail_access, agreements_287g, source_url, source_note FROM policies",
    }
    from ..publish import disclosure

    results = {}
    for name, sql in queries.items():
        try:
            result = con.execute(sql)
        except Exception:  # e.g. no policies table in a store made before policies existed
            continue
        cols = [d[0] for d in result.description]
        rows = [dict(zip(cols, r, strict=True)) for r in result.fetchall()]
        if name == "sources":  # with each file's origin and licence, as the pages show them
            from ..publish.catalog import sources as catalog_sources

            known = {r["source_id"]: r for r in catalog_sources(con)}
            for r in rows:
                r["origin"] = known.get(r["source_id"], {}).get("origin")
                r["licence"] = known.get(r["source_id"], {}).get("licence")
        results[name] = rows
    con.close()
    counted = disclosure.protect_export(
        {k: v for k, v in results.items() if k in ("jurisdiction_years", "facilities")}
    )
    plain = {k: disclosure.protect(v, "plain") for k, v in results.items() if k not in counted}
    return write_sqlite_tables({**counted, **plain}, target)


def write_sqlite_tables(tables: dict, target: Path) -> dict:
    """Write tables of rows (each passed through the disclosure function) to a SQLite file."""
    from ..publish import disclosure

    for name, rows in tables.items():
        disclosure.require(rows, f"SQLite table {name}")
    counts = {}
    lite = sqlite3.connect(target)
    try:
        for name, rows in tables.items():
            cols = list(rows[0]) if rows else []
            if not cols:
                continue
            lite.execute(f"CREATE TABLE {name} ({', '.join(cols)})")
            lite.executemany(
                f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})",
                [tuple(r.get(c) for c in cols) for r in rows],
            )
            counts[name] = len(rows)
        lite.commit()
    finally:
        lite.close()
    return counts


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
