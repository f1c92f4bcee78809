"""`detainerwatch publish`: the web app's pages as a static site, and a SQLite of aggregates.

Pages are fetched from the app in process and written as files, so the static site and the
live app cannot drift apart. The SQLite file holds aggregate tables only (Datasette opens it
as is; metadata.json gives titles, sources and licences).
"""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import unquote

from .. import __version__
from .app import STATIC_DIR, create_app

SEEDS = ["/", "/jurisdictions", "/report", "/audits", "/sources", "/review", "/downloads",
         "/api/docs", "/api/v1/openapi.json", "/api/v1/totals", "/api/v1/sources", "/api/v1/audits"]
FOLLOW = re.compile(r'href="(/(?:jurisdiction/|audits/|downloads/|api/v1/)[^"#?]*)"')


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
            target = _target(out, path, response.headers.get("content-type", ""))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(response.content)
            written += 1
            if progress:
                progress(path)
            if "text/html" in response.headers.get("content-type", ""):
                for link in FOLLOW.findall(response.text):
                    if link not in seen:
                        queue.append(link)
        # The search box needs a server: the static site's search is the full list.
        (out / "search").mkdir(exist_ok=True)
        (out / "search" / "index.html").write_bytes(client.get("/jurisdictions").content)
    sqlite_path = out / "detainerwatch.sqlite"
    tables = write_sqlite(db, sqlite_path)
    (out / "metadata.json").write_text(json.dumps(_metadata(tables), indent=1))
    return {"pages": written, "sqlite": str(sqlite_path), "tables": tables}


def _target(out: Path, path: str, content_type: str) -> Path:
    clean = unquote(path).strip("/")
    if path.startswith("/downloads/") or path.endswith(".json"):
        return out / clean
    if "application/json" in content_type:
        return out / clean / "index.json"
    return out / clean / "index.html" if clean else out / "index.html"


def write_sqlite(db: Path, target: Path) -> dict:
    """Aggregate tables only: no table of detainers, no person attribute, no identifier."""
    from ..derive import facts
    from ..derive.facts import OUTCOMES
    from ..store import connect

    target.unlink(missing_ok=True)
    con = connect(db, read_only=True)
    facts.register(con)
    outcome_cols = ", ".join(f"count(*) FILTER (WHERE outcome = '{o}') AS {o}" for o in OUTCOMES)
    queries = {
        "jurisdiction_years": f"""
            SELECT jurisdiction_id, any_value(jurisdiction_name) AS jurisdiction_name,
                   any_value(jurisdiction_type) AS jurisdiction_type, any_value(state_abbr) AS state,
                   any_value(county_fips) AS county_fips, any_value(place_fips) AS place_fips,
                   year(issued) AS year, count(*) AS issued, {outcome_cols}
            FROM detainer_facts WHERE NOT likely_duplicate GROUP BY jurisdiction_id, year(issued)
            ORDER BY 1, year""",
        "facilities": f"""
            SELECT facility_name AS facility, facility_city AS city, facility_state AS state_as_released,
                   facility_code AS code, any_value(jurisdiction_id) AS jurisdiction_id,
                   any_value(jurisdiction_type) AS jurisdiction_type, any_value(method) AS method,
                   any_value(confidence) AS confidence, bool_or(needs_review) AS needs_review,
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
    counts = {}
    lite = sqlite3.connect(target)
    try:
        for name, sql in queries.items():
            try:
                result = con.execute(sql)
            except Exception:  # e.g. no policies table in a store made before policies existed
                continue
            cols = [d[0] for d in result.description]
            rows = result.fetchall()
            lite.execute(f"CREATE TABLE {name} ({', '.join(cols)})")
            lite.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})", rows)
            counts[name] = len(rows)
        lite.commit()
    finally:
        lite.close()
        con.close()
    return counts


def _metadata(tables: dict) -> dict:
    return {"title": "detainerwatch aggregates",
            "description": "ICE detainers by jurisdiction, facility and year, with outcomes; every "
                           "count traceable to the source files listed in `sources`.",
            "license": "Underlying data: US-government FOIA releases (see sources)",
            "source": f"detainerwatch {__version__}",
            "databases": {"detainerwatch": {"tables": {t: {"description": f"{n:,} rows"}
                                                       for t, n in tables.items()}}}}
