"""A national-size generated store (default 4,000,000 detainers) for query and web benchmarks.

Built into bench/cache/ (ignored by git) once for each version of the code that writes stores
(harness.store_code_stamp; a store from other code is deleted, never measured): the real ICE
facility lists are ingested, then detainer rows are generated in SQL over the real facilities
(name, city, state, code), with
prepare dates FY2013-FY2026, lift reasons, detainer types and criminal-history fields drawn
from the documented value sets. Provenance columns point at a generated source row so every
query path (joins to sources, row ranges) is exercised as on real data.
"""

from __future__ import annotations

import time
from pathlib import Path

from .harness import CACHE, store_code_stamp

ROOT = Path(__file__).resolve().parents[1]
FACILITY_LISTS = [
    ROOT / "data/raw/uwchr-ice-facilities/ICE_Facility_List_11-06-2017-web.xlsx",
    ROOT / "data/raw/uwchr-ice-facilities/Confidential ICE ERO Facility List 07-10-2017.xlsx",
    ROOT / "data/raw/uwchr-ice-facilities/2019-ICFO-31121.xlsx",
]

LIFT_REASONS = [  # (value, weight): roughly the mix of the 2023-2026 releases
    ("Booked into Detention", 38),
    ("", 30),
    ("Detainer Declined by LEA", 4),
    ("Case Closed", 5),
    ("Duplicate", 3),
    ("Early Release", 2),
    ("No longer in State, Local, or Federal Custody", 6),
    ("Prosecutorial Discretion", 2),
    ("Superseding - New Form Issued", 4),
    ("USC or Presumptive Claim to US Citizenship", 1),
    ("Insufficient Notice to ICE", 2),
    ("ICE Temporary Resource Constraint", 1),
    ("Not Amenable to Removal", 1),
    ("Judicial Review", 1),
]
TYPES = [
    ("I247A - Immigration Detainer - Notice of Action (as of May 2025)", 80),
    ("I247N - Immigration Advisal - Request for Notification", 10),
    ("I247D - Immigration Detainer - Request for Action", 10),
]
CRIMINALITY = [
    ("1 Convicted Criminal", 55),
    ("2 Pending Criminal Charges", 30),
    ("3 Other Immigration Violator", 15),
]
CHARGE_CODES = [
    ("1313", "ASSAULT - SIMPLE", 20),
    ("3599", "DANGEROUS DRUGS", 20),
    ("5404", "DRIVING UNDER INFLUENCE LIQUOR", 20),
    ("0999", "HOMICIDE", 1),
    ("1199", "SEXUAL ASSAULT", 3),
    ("1299", "ROBBERY", 4),
    ("2399", "LARCENY", 10),
    ("5299", "WEAPON OFFENSE", 5),
    ("7399", "PUBLIC ORDER CRIMES", 10),
    ("4801", "RESISTING OFFICER", 7),
]


def _weighted_case(expr_rand: str, options) -> str:
    total = sum(o[-1] for o in options)
    acc, parts = 0, []
    for option in options:
        acc += option[-1]
        value = option[0].replace("'", "''")
        parts.append(
            f"WHEN {expr_rand} < {acc / total} THEN {'NULL' if value == '' else repr(value)}"
        )
    return "CASE " + " ".join(parts) + " END"


def national_store(rows: int = 4_000_000, *, rebuild: bool = False, here: bool = False) -> Path:
    """The generated national store of `rows` detainers, built once per code stamp. Built by a
    child process unless `here`: a bench that built it in its own process grew to ~2.3 GB, and
    on Linux every command it started after carried that peak in its rusage (a forked child's
    peak includes its parent's pages before exec), so every peak it printed was the build's."""
    from detainerwatch.store import connect
    from detainerwatch.store.ingest import ingest

    CACHE.mkdir(parents=True, exist_ok=True)
    stamp = store_code_stamp()
    path = CACHE / f"national-{rows}-{stamp}.duckdb"
    if path.exists() and not rebuild:
        print(f"reusing {path.name} (built by this code: {stamp})", flush=True)
        return path
    if not here:
        import subprocess
        import sys

        root = Path(__file__).resolve().parent.parent
        subprocess.run([sys.executable, "-m", "bench.national", str(rows)], cwd=root, check=True)
        return path
    # built by other code: never measured (with the web app's page file beside it, and its log)
    for old in CACHE.glob(f"national-{rows}-*.duckdb*"):
        old.unlink()
    tmp = path.with_suffix(".partial.duckdb")
    tmp.unlink(missing_ok=True)
    started = time.perf_counter()
    print(
        f"building a generated national store of {rows:,} detainers (once; cached) ...", flush=True
    )
    con = connect(tmp)
    ingest(con, FACILITY_LISTS)
    con.execute("BEGIN")
    con.execute(
        """INSERT INTO sources (source_id, file_name, sha256, kind, layout, release,
                   sheets, rows_in, rows_out, preamble, ingested_at, tool_version)
                   VALUES (100, 'generated-national.xlsx', repeat('0', 64), 'detainers',
                   'ice_detainers_2026', 'generated', 1, ?, ?, 'generated for benchmarks',
                   now()::TIMESTAMP, 'bench')""",
        [rows, rows],
    ).fetchall()
    con.execute("""CREATE TEMP TABLE fac AS
                   SELECT row_number() OVER (ORDER BY hash(detloc)) - 1 AS k, detloc, name, city, state
                   FROM (SELECT DISTINCT ON (detloc) detloc, name, city, state FROM facility_list
                         WHERE detloc IS NOT NULL AND state IS NOT NULL ORDER BY detloc)""")
    n_fac = con.execute("SELECT count(*) FROM fac").fetchall()[0][0]
    charge = _weighted_case("r4", [(c, w) for c, _, w in CHARGE_CODES])
    charge_text = (
        "CASE msc_code " + " ".join(f"WHEN '{c}' THEN '{t}'" for c, t, _ in CHARGE_CODES) + " END"
    )
    # Facilities are drawn with a skew (a few large jails, a long tail), as in real releases.
    # The rows go to the layout's table, as an ingest of that layout's workbook puts them.
    from detainerwatch.sources.layouts.ice_2026 import LAYOUT as ICE_2026
    from detainerwatch.store.schema import ensure_detainer_table

    table = ensure_detainer_table(con, ICE_2026.name, ICE_2026.columns.values())
    con.execute(f"""
        INSERT INTO {table} (source_id, source_file, source_sha256, sheet, row_number, release,
            layout, prepare_date, facility_state, facility_name, facility_code, facility_city,
            lift_reason, detainer_type, criminality, threat_level, gender, msc_charge_code,
            msc_charge, aggravated_felony, person_id, likely_duplicate)
        SELECT 100, 'generated-national.xlsx', repeat('0', 64),
               'FY' || CAST(year(d + INTERVAL 92 DAY) AS VARCHAR), i + 8, 'generated',
               'ice_detainers_2026', d, fac.state, fac.name, fac.detloc, fac.city,
               {_weighted_case("r1", LIFT_REASONS)}, {_weighted_case("r2", TYPES)},
               {_weighted_case("r3", CRIMINALITY)},
               CASE WHEN r5 < 0.3 THEN '1' WHEN r5 < 0.55 THEN '2' WHEN r5 < 0.8 THEN '3' END,
               CASE WHEN r5 < 0.9 THEN 'Male' ELSE 'Female' END,
               msc_code, {charge_text}, CASE WHEN r5 < 0.1 THEN 'YES' ELSE 'NO' END,
               'G' || CAST(i // 3 AS VARCHAR), false
        FROM (SELECT i, DATE '2012-10-01' + CAST(floor(random() * 4908) AS INTEGER) AS d,
                     random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                     random() AS r5,
                     CAST(floor(pow(random(), 2.5) * {n_fac}) AS INTEGER) AS k
              FROM range({rows}) t(i)) g
        JOIN fac USING (k)
        CROSS JOIN LATERAL (SELECT {charge} AS msc_code)""").fetchall()
    from detainerwatch.pipeline import after_ingest

    after_ingest(con)
    con.execute("COMMIT")
    con.execute("CHECKPOINT")
    con.close()
    tmp.rename(path)
    print(f"  built in {time.perf_counter() - started:.0f} s: {path}", flush=True)
    return path


if __name__ == "__main__":
    import sys

    national_store(int(sys.argv[1]) if len(sys.argv) > 1 else 4_000_000, rebuild=True, here=True)
