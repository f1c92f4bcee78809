"""Issue 18: hostile content in the records. Names carrying script, HTML, spreadsheet formulas,
100,000 characters, any script and control characters (in a workbook and after the first 64 KiB
of a delimited file), plus a lift reason and a detainer type no hand table maps (accepted), go
through every face: report, profile, audit, publish, resolve, query --format csv and every web
page and download. Exit 0 everywhere, no 5xx, no CSV cell a spreadsheet would evaluate, no
unescaped markup."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from conftest import PA_EXTRACT, ROOT, run

DOJ_LIST = ROOT / "src/detainerwatch/data/lists/doj_sanctuary_jurisdictions_2025-08-05.csv"
LONG = ("VERY LONG COUNTY JAIL " * 4546)[:99_995] + " JAIL"  # 100,000 characters
LONG_CELL = LONG[:32_000] + " JAIL"  # a workbook cell holds at most 32,767 characters
SCRIPT = "<script>alert('dw')</script> COUNTY JAIL"
IMG = '<img src=x onerror="alert(1)"> DETENTION'
HOSTILE_NAMES = [
    SCRIPT,
    IMG,
    '=HYPERLINK("http://evil.example/","click")',
    "+1+2 JAIL",
    "-2+3 JAIL",
    "@SUM(A1) JAIL",
    "\tTAB JAIL",
    "\rCR JAIL",
    "NUL\x00IN\x01NAME JAIL\x7f",
    LONG_CELL,
    "警察署 拘置所",
    "سجن المقاطعة",
    "{{ 7*7 }} [bold]rich[/bold] ${jndi:x}",
    "a/../../etc/passwd",
]
MARKUP = re.compile(r"<script>alert|<img src=x|onerror=\"alert")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_csv_safe(text: str, where: str) -> int:
    """No cell a spreadsheet would evaluate: every cell starting like a formula is a number."""
    cells = 0
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            cells += 1
            assert not cell.startswith(FORMULA_START) or _is_number(cell), (where, cell[:80])
    return cells


def _workbook(path: Path) -> Path:
    """A 2026-layout workbook written cell by cell as text (xlsxwriter's write() would turn a
    leading '=' into a formula); control characters are stored as _xHHHH_ escapes."""
    from detainerwatch.sources.layouts import ice_2026

    header = [h for h, _ in ice_2026.HEADER]
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "mm/dd/yyyy"})
    ws = wb.add_worksheet("FY2026")
    ws.write_row(0, 0, header)
    base = {
        "Detainer Prepare Date": dt.date(2025, 10, 6),
        "Facility State": "PA",
        "Detainer Facility Code": "HOSTPA",
        "Facility City": "CHAMBERSBURG",
        "Detainer Lift Reason": "Detainer Declined by LEA",
        "Detainer Type": "I247A - Immigration Detainer - Notice of Action (as of May 2025)",
        "Gender": "Male",
    }
    rows = [
        {
            **base,
            "Detainer Facility": "FRANKLIN COUNTY JAIL",
            "Detainer Facility Code": "FRANKPA",
            "Anonymized Identifier": "P0",
        }
    ]
    for i, name in enumerate(HOSTILE_NAMES):
        rows.append(
            {
                **base,
                "Detainer Facility": name,
                "Facility City": name[:50],
                "Anonymized Identifier": f"P{i + 1}",
                "Detainer Facility Code": f"H{i}",
            }
        )
    # Values no hand table maps, accepted with --accept-unmapped.
    rows.append(
        {
            **base,
            "Detainer Facility": SCRIPT,
            "Detainer Facility Code": "H0",
            "Detainer Lift Reason": "=Beamed Up <b>",
            "Anonymized Identifier": "PX",
        }
    )
    rows.append(
        {
            **base,
            "Detainer Facility": "FRANKLIN COUNTY JAIL",
            "Detainer Facility Code": "FRANKPA",
            "Detainer Type": "I999 - <i>New Form</i>",
            "Anonymized Identifier": "PY",
        }
    )
    for r, row in enumerate(rows, start=1):
        for c, name in enumerate(header):
            value = row.get(name)
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
            elif value is not None:
                ws.write_string(r, c, value)
    wb.add_worksheet("Footnotes").write(0, 0, "Footnotes")
    wb.close()
    return path


def _delimited_with_late_nul(path: Path) -> Path:
    """The real PA extract's first lines (more than 64 KiB), one facility name with a NUL in it
    after the first 64 KiB, and one formula-like facility name."""
    lines = PA_EXTRACT.read_text().splitlines(keepends=True)
    out, size = [lines[0]], len(lines[0])
    for line in lines[1:]:
        out.append(line)
        size += len(line.encode())
        if size > 90_000:
            break
    header = out[0].rstrip("\r\n").split(",")
    col = header.index("det_facility")
    for k, text in (
        (len(out) - 2, "LATE\x00NUL JAIL"),
        (len(out) - 3, "=1+1 LATE JAIL"),
        (len(out) - 4, LONG),
    ):
        cells = next(csv.reader([out[k]]))
        cells[col] = text
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(cells)
        out[k] = buf.getvalue()
    path.write_text("".join(out), encoding="utf-8")
    assert path.read_bytes().index(b"\x00") > 1 << 16
    return path


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    book = _workbook(folder / "hostile.xlsx")
    text = _delimited_with_late_nul(folder / "late_nul.csv")
    db = folder / "h.duckdb"
    refused = run(db, "ingest", "--quiet", book)
    assert refused.exit_code == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "hostile.xlsx, sheet 'FY2026', row" in refused.stderr and not db.exists()
    result = run(db, "ingest", "--accept-unmapped", book, text)
    assert result.exit_code == 0, result.stderr
    return db, folder, result.output


def test_ingest_reports_control_characters_and_unmapped_values(hostile_store):
    db, _, output = hostile_store
    assert "unmapped (accepted, shown as unclassified): lift_reason = '=Beamed Up <b>'" in output
    assert "detainer_type = 'I999 - <i>New Form</i>'" in output
    assert "control chars replaced" in output
    con = duckdb.connect(str(db), read_only=True)
    try:
        bad = con.execute(
            "SELECT count(*) FROM detainers WHERE regexp_matches(facility_name || "
            "coalesce(facility_city, ''), '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]')"
        ).fetchall()[0][0]
        assert bad == 0  # workbook (_x0000_) and late-NUL text: the same rule
        names = {r[0] for r in con.execute("SELECT facility_name FROM detainers").fetchall()}
        assert "NUL\ufffdIN\ufffdNAME JAIL\ufffd" in names and "LATE\ufffdNUL JAIL" in names
        assert LONG in names and LONG_CELL in names and SCRIPT in names  # nothing else changed
        anomalies = con.execute(
            "SELECT source_id, field, raw_value FROM load_anomalies WHERE "
            "problem LIKE 'control%' ORDER BY 1, 3"
        ).fetchall()
        assert (2, "facility_name", "LATE\\x00NUL JAIL") in anomalies
        assert (1, "facility_name", "NUL\\x00IN\\x01NAME JAIL\\x7f") in anomalies
    finally:
        con.close()


def test_cli_faces_exit_0_with_safe_csv(hostile_store, tmp_path):
    db, folder, _ = hostile_store
    report = run(db, "report", "--all", "--out", tmp_path / "report")
    assert report.exit_code == 0, report.stderr
    html = (tmp_path / "report" / "index.html").read_text()
    assert not MARKUP.search(html) and "&lt;script&gt;" in html and "unclassified" in html
    profile = run(db, "profile", "Franklin County, PA", "--out", tmp_path / "profile")
    assert profile.exit_code == 0, profile.stderr
    assert "unclassified" in (tmp_path / "profile" / "index.html").read_text()
    audit = run(db, "audit", DOJ_LIST, "--out", tmp_path / "audit")
    assert audit.exit_code == 0, audit.stderr
    listing = tmp_path / "resolve.csv"
    with open(listing, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["facility", "state", "city"])
        for name in HOSTILE_NAMES:
            w.writerow([name.replace("\x00", ""), "PA", name[:40].replace("\x00", "")])
    resolved = run(db, "resolve", listing)
    assert resolved.exit_code == 0, resolved.stderr
    assert assert_csv_safe(resolved.output, "resolve") > len(HOSTILE_NAMES)
    review = run(db, "resolve", "--review")
    assert review.exit_code == 0, review.stderr
    assert_csv_safe(review.output, "resolve --review")
    query = run(
        db,
        "query",
        "SELECT facility_name, facility_city, lift_reason, detainer_type, "
        "-1 AS minus FROM detainers",
        "--format",
        "csv",
    )
    assert query.exit_code == 0, query.stderr
    assert_csv_safe(query.output, "query")
    assert "'=HYPERLINK(" in query.output and ",-1\n" in query.output  # numbers stay numbers
    table = run(
        db, "query", "SELECT facility_name FROM detainers WHERE length(facility_name) < 200"
    )
    assert table.exit_code == 0, table.stderr  # rich markup in a value is printed, not parsed
    assert "[bold]rich[/bold]" in table.output
    policies = run(db, "policies", "list", "--format", "csv")
    assert policies.exit_code == 0
    assert_csv_safe(policies.output, "policies list")
    files = sorted(tmp_path.rglob("*.csv"))
    assert {p.name for p in files} >= {"jurisdictions.csv", "facilities.csv", "audit.csv"}
    for path in files:
        if path != listing:
            assert_csv_safe(path.read_text(encoding="utf-8"), str(path))
    facilities = (tmp_path / "report" / "facilities.csv").read_text()
    assert "'=HYPERLINK(" in facilities and "'@SUM(A1) JAIL" in facilities


def test_publish_and_every_web_page_and_download(hostile_store, tmp_path):
    from starlette.testclient import TestClient

    from detainerwatch.web.app import create_app
    from detainerwatch.web.static_site import FOLLOW, SEEDS

    db, _, _ = hostile_store
    published = run(db, "publish", "--out", tmp_path / "site")
    assert published.exit_code == 0, published.stderr
    site = tmp_path / "site"
    for path in site.rglob("*"):
        assert len(path.name.encode()) < 255
        if path.is_dir():
            continue
        if path.suffix == ".csv":
            assert_csv_safe(path.read_text(encoding="utf-8"), str(path))
        elif path.suffix == ".html":
            assert not MARKUP.search(path.read_text(encoding="utf-8")), path
    assert len(list((site / "downloads").glob("*.csv"))) == 2

    seen, queue, statuses = (
        set(),
        list(SEEDS)
        + [
            "/search?q=%3Cscript%3E",
            "/search?q=jail",
            "/api/v1/jurisdictions?limit=1000",
            "/api/v1/facilities?limit=1000",
            "/api/v1/report",
            "/report?start=2000-01-01",
            "/api/v1/report?start=2000-01-01&state=PA",
        ],
        {},
    )
    with TestClient(create_app(db)) as client:
        while queue:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            statuses[url] = response.status_code
            assert response.status_code < 500, (url, response.text[:300])
            kind = response.headers.get("content-type", "")
            if "text/html" in kind:
                assert not MARKUP.search(response.text), url
                queue += [u.replace("&amp;", "&") for u in FOLLOW.findall(response.text)]
            elif "text/csv" in kind:
                assert_csv_safe(response.text, url)
            elif "application/json" in kind and url.startswith("/api/v1/jurisdictions?"):
                queue += [f"/jurisdiction/{j['id']}" for j in response.json()]
                queue += [f"/api/v1/jurisdictions/{j['id']}" for j in response.json()]
        # Every jurisdiction id is short, also for the 100,000-character name and a name
        # with no ASCII letter at all.
        ids = [j["id"] for j in client.get("/api/v1/jurisdictions?limit=1000").json()]
    assert all(len(i) <= 120 for i in ids) and len(ids) == len(set(ids))
    pages = [u for u in seen if u.startswith("/jurisdiction/")]
    assert len(pages) >= len(ids) and all(statuses[u] == 200 for u in pages), [
        u for u in pages if statuses[u] != 200
    ]
    assert statuses["/downloads/facilities.csv"] == 200
    assert statuses["/downloads/jurisdictions.csv"] == 200
    assert statuses["/report"] == 200


def test_slugs_are_bounded_and_agree_with_sql():
    from detainerwatch.derive.ids import slug, slug_sql

    con = duckdb.connect()
    for name in [
        "Franklin County Jail",
        LONG,
        "警察署",
        "",
        "a" * 60,
        "a" * 61,
        "-- odd -- name --",
        "Cárcel Ñ",
    ]:
        ours = slug(name)
        assert 0 < len(ours) <= 60 or name == ""
        assert con.execute(f"SELECT {slug_sql('$1')}", [name]).fetchall()[0][0] == ours, name
    assert slug("Franklin County Jail") == "franklin-county-jail"  # ids that fit are unchanged
    assert slug("a" * 61) != slug("a" * 62)


def test_a_nul_early_in_delimited_text_follows_the_same_rule(tmp_path):
    """A NUL in the first 64 KiB is replaced and counted as after it (not refused as binary)."""
    lines = PA_EXTRACT.read_text().splitlines(keepends=True)[:20]
    lines[3] = lines[3].replace("U.S. PEN", "U.S.\x00PEN", 1)
    assert "\x00" in lines[3]
    path = tmp_path / "early.csv"
    path.write_text("".join(lines), encoding="utf-8")
    db = tmp_path / "s.duckdb"
    result = run(db, "ingest", path)
    assert result.exit_code == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    ((row, field, raw),) = con.execute(
        "SELECT row_number, field, raw_value FROM load_anomalies"
    ).fetchall()
    assert (row, field) == (4, "facility_name") and "U.S.\\x00PEN" in raw
    assert (
        con.execute(
            "SELECT count(*) FROM detainers WHERE contains(facility_name, '\ufffd')"
        ).fetchall()[0][0]
        == 1
    )


def test_an_unmapped_charge_code_category_stops_the_ingest(tmp_path):
    from conftest import detainer_row, write_detainer_workbook

    rows = [
        detainer_row(),
        detainer_row(**{"MSC Charge Code": "9999", "Detainer Criminality": "1 Convicted Criminal"}),
    ]
    path = write_detainer_workbook(tmp_path / "code.xlsx", rows)
    db = tmp_path / "s.duckdb"
    result = run(db, "ingest", path)
    assert result.exit_code == 2 and "row 9, column 'MSC Charge Code'" in result.stderr
    assert "ncic_categories.csv" in result.stderr and "'9999'" in result.stderr
    assert not db.exists()
    assert run(db, "ingest", "--accept-unmapped", path).exit_code == 0
    assert run(db, "report", "--all", "--out", tmp_path / "r").exit_code == 0
