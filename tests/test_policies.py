"""Policy records: the bundled tables load with provenance; user records are validated."""

from __future__ import annotations

import csv
import datetime as dt

import duckdb
import pytest

from conftest import PA_EXTRACT, run, snapshot
from detainerwatch.derive.policies import RECORD_COLUMNS, in_force, refresh_policies


def test_bundled_records_load_with_their_origin():
    con = duckdb.connect()
    # 166 rows of the 2014 table, less D.C.'s act, which is a row of the state table already.
    assert refresh_policies(con) == 69 + 165
    by_file = dict(con.execute("SELECT origin_file, count(*) FROM policies GROUP BY 1").fetchall())
    assert by_file == {"state_detainer_law.csv": 69, "local_policies_2014.csv": 165}
    # The three Franklin Counties of the 2014 table stay in their own states.
    franklins = con.execute(
        "SELECT state, county_fips FROM policies WHERE jurisdiction_name = "
        "'Franklin County' ORDER BY state"
    ).fetchall()
    assert franklins == [("IA", "19069"), ("NY", "36033"), ("WA", "53021")]


def test_in_force_includes_state_law_and_respects_dates():
    con = duckdb.connect()
    refresh_policies(con)
    titles = lambda rows: {r["short_title"] for r in rows}  # noqa: E731
    before = in_force(
        con,
        state_fips="06",
        county_fips="06075",
        start=dt.date(2012, 1, 1),
        end=dt.date(2012, 12, 31),
    )
    after = in_force(
        con,
        state_fips="06",
        county_fips="06075",
        start=dt.date(2018, 6, 1),
        end=dt.date(2018, 6, 30),
    )
    assert "California Values Act" not in titles(before)
    assert "California Values Act" in titles(after)
    tx = in_force(
        con,
        state_fips="48",
        county_fips="48453",
        start=dt.date(2018, 1, 1),
        end=dt.date(2018, 12, 31),
    )
    assert any(r["effect"] == "requires_cooperation" for r in tx)


def _write(path, rows):
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, RECORD_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


GOOD = {
    "jurisdiction_type": "county",
    "jurisdiction_name": "Travis County",
    "state": "TX",
    "instrument_type": "agency_policy",
    "citation": "Sheriff's policy of 2017-02-01",
    "short_title": "Travis County sheriff detainer policy",
    "enacted_date": "2017-01-20",
    "effective_date": "2017-02-01",
    "effect": "limits_cooperation",
    "detainer_holds": "limited",
    "source_url": "https://example.org/travis",
}


def test_a_user_file_is_added_and_replaced_on_re_add(tmp_path):
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--quiet", PA_EXTRACT).exit_code == 0
    path = _write(tmp_path / "mine.csv", [GOOD])
    assert run(db, "policies", "add", path).exit_code == 0
    assert run(db, "policies", "add", path).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(
        "SELECT county_fips, in_force_from, origin FROM policies WHERE origin_file = 'mine.csv'"
    ).fetchall() == [("48453", dt.date(2017, 2, 1), "user")]


@pytest.mark.parametrize(
    "change,column",
    [
        ({"state": "TEXAS"}, "state"),
        ({"effect": "sanctuary"}, "effect"),
        ({"detainer_holds": "sometimes"}, "detainer_holds"),
        ({"effective_date": "2017-02-30"}, "effective_date"),
        ({"jurisdiction_name": "Atlantis County"}, "jurisdiction_name"),
        ({"county_fips": "06075"}, "county_fips"),
        ({"jurisdiction_type": "galaxy"}, "jurisdiction_type"),
        ({"citation": "", "source_url": ""}, "citation"),
        ({"end_date": "2016-01-01"}, "end_date"),
    ],
)
def test_a_bad_record_is_rejected_with_row_and_column(tmp_path, change, column):
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--quiet", PA_EXTRACT).exit_code == 0
    before = snapshot(db)
    path = _write(tmp_path / "bad.csv", [GOOD, {**GOOD, **change}])
    result = run(db, "policies", "add", path)
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "\n" not in message and "bad.csv" in message and "row 3" in message
    assert f"column {column!r}" in message
    assert snapshot(db) == before


def test_a_file_in_another_format_is_rejected(tmp_path):
    db = tmp_path / "s.duckdb"
    path = tmp_path / "other.csv"
    path.write_text("name,law\nTexas,SB4\n")
    result = run(db, "policies", "add", path)
    assert result.exit_code == 2 and "row 1" in result.stderr


def test_a_local_policy_without_end_date_ends_where_state_law_requires_compliance(tmp_path):
    con = duckdb.connect()
    refresh_policies(con)
    titles = lambda rows: {r["short_title"] for r in rows}  # noqa: E731
    travis = dict(state_fips="48", county_fips="48453")
    before = in_force(con, **travis, start=dt.date(2015, 1, 1), end=dt.date(2015, 12, 31))
    after = in_force(con, **travis, start=dt.date(2018, 1, 1), end=dt.date(2018, 12, 31))
    assert "County Sheriff's Office Decision" in titles(before)
    assert "County Sheriff's Office Decision" not in titles(after)
    local = next(r for r in before if r["jurisdiction_type"] == "county")
    assert local["in_force_to"] == dt.date(2017, 4, 30) and "Texas SB 4" in local["superseded_by"]
    # An explicit end date of the user's is kept as given.
    path = _write(tmp_path / "mine.csv", [{**GOOD, "end_date": "2099-12-31"}])
    refresh_policies(con, [path])
    mine = [
        r
        for r in in_force(con, **travis, start=dt.date(2020, 1, 1), end=dt.date(2020, 12, 31))
        if r["origin"] == "user"
    ]
    assert len(mine) == 1 and mine[0]["superseded_by"] is None


def test_the_bundled_state_table_is_the_shared_one_and_the_only_copy():
    """One copy of the state table (the package's, which installs); it is the shared table."""
    from conftest import ROOT

    from detainerwatch.derive.policies import POLICY_DIR

    assert not (ROOT / "data" / "policies").exists()
    shared = ROOT.parent / "shared" / "data" / "policies" / "state_detainer_law.csv"
    if shared.exists():  # beside a worktree of the project; not in a fresh clone
        assert (POLICY_DIR / "state_detainer_law.csv").read_bytes() == shared.read_bytes()
    con = duckdb.connect()
    refresh_policies(con)
    effects = dict(
        con.execute(
            "SELECT short_title, effect FROM policies WHERE short_title IN "
            "('Galarza v. Szalczyk', 'Miranda-Olivares v. Clackamas County', "
            "'Gonzalez v. Immigration and Customs Enforcement')"
        ).fetchall()
    )
    assert effects == {
        "Galarza v. Szalczyk": "declares_voluntary",
        "Miranda-Olivares v. Clackamas County": "declares_voluntary",
        "Gonzalez v. Immigration and Customs Enforcement": "restricts_ice",
    }


def test_one_row_per_instrument_and_all_county_jails_apply_to_counties_not_the_state():
    con = duckdb.connect()
    refresh_policies(con)
    dc = con.execute(
        "SELECT count(*) FROM policies WHERE state = 'DC' AND short_title ILIKE "
        "'%detainer compliance%'"
    ).fetchall()[0][0]
    assert dc == 1
    period = dict(start=dt.date(2015, 1, 1), end=dt.date(2015, 12, 31))
    state = [
        r["short_title"]
        for r in in_force(con, state_fips="08", **period)
        if r["jurisdiction_type"] != "state"
    ]
    assert state == []
    weld = in_force(con, state_fips="08", county_fips="08123", **period)  # Weld County, CO
    assert [r["jurisdiction_name"] for r in weld if r["jurisdiction_type"] == "counties"] == [
        "County jails of Colorado"
    ]


def _in_force_by_scan(rows, state_fips, county_fips, place_fips, city_name, start, end):
    """in_force as first written: every record tested (the index must answer the same)."""
    city = city_name.lower() if city_name else None
    out = []
    for p in rows:
        kind = p["jurisdiction_type"]
        applies = (
            (kind == "state" and p["state_fips"] == state_fips)
            or (kind == "county" and county_fips is not None and p["county_fips"] == county_fips)
            or (kind == "counties" and county_fips is not None and p["state_fips"] == state_fips)
            or (kind == "city" and place_fips is not None and p["place_fips"] == place_fips)
            or (
                kind == "city"
                and city is not None
                and p["state_fips"] == state_fips
                and (p["jurisdiction_name"] or "").lower() == city
            )
        )
        if not applies:
            continue
        if end is not None and p["in_force_from"] is not None and p["in_force_from"] > end:
            continue
        if start is not None and p["in_force_to"] is not None and p["in_force_to"] < start:
            continue
        out.append(p)
    return out


def test_the_index_answers_as_testing_every_record():
    from detainerwatch.derive.policies import PolicyIndex

    con = duckdb.connect()
    refresh_policies(con)
    index = PolicyIndex(con)
    rows = index.rows
    asked = {(None, None, None, None)}
    for p in rows:
        name = p["jurisdiction_name"]
        asked.add((p["state_fips"], p["county_fips"], p["place_fips"], name))
        asked.add((p["state_fips"], p["county_fips"], None, None))
        asked.add((p["state_fips"], None, None, name and name.upper()))
        asked.add((p["state_fips"], None, p["place_fips"], None))
        asked.add((p["state_fips"], None, None, ""))
    windows = [(None, None), (dt.date(2014, 1, 1), dt.date(2014, 12, 31))]
    windows += [(dt.date(2018, 6, 1), None), (None, dt.date(2011, 1, 1))]
    checked = 0
    for state_fips, county_fips, place_fips, city_name in sorted(asked, key=repr):
        for start, end in windows:
            args = (state_fips, county_fips, place_fips, city_name, start, end)
            got = index.in_force(
                state_fips=state_fips,
                county_fips=county_fips,
                place_fips=place_fips,
                city_name=city_name,
                start=start,
                end=end,
            )
            expected = _in_force_by_scan(rows, *args)
            assert [id(p) for p in got] == [id(p) for p in expected], args
            checked += bool(expected)
    assert checked > 500
