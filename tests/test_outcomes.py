"""`outcomes`: on a synthetic release with planted links, what followed each class of detainer
is exactly what the test computes itself from the planted records; no published count is a
cell of 1-4 people; removals not in the store are "not covered", never 0."""

from __future__ import annotations

import datetime as dt
import json
import statistics

import duckdb
import pytest

from conftest import run
from detainerwatch.publish.outcomes import WITHHELD, published_outcomes
from detainerwatch.synth_release import AT_LARGE, IN_JAIL, write_linked_release

WINDOWS = (0, 30, 90, 365)
# The test's own reading of the four lift reasons the synthetic release plants.
CLASS = {
    "Detainer Declined by LEA": "declined",
    "Booked into Detention": "booked",
    "Early Release": "released",
    None: "open",
}
COUNTS = (
    "observable",
    "censored",
    "booked_in",
    "arrested_any",
    "arrested_in_jail",
    "arrested_at_large",
    "arrested_other",
    "arrested_not_classified",
    "removed",
)


def day(value):
    return value.date() if isinstance(value, dt.datetime) else value


def expected_shares(rel):
    """Per outcome class and window, computed from the planted records alone."""
    end = max(
        day(r[f])
        for k, f in (
            ("detainers", "prepare_date"),
            ("arrests", "apprehension_date"),
            ("stints", "book_in_date"),
            ("removals", "departed_date"),
        )
        for r in rel[k]
    )
    anchors: dict[str, dict[str, dt.date]] = {}
    for d in rel["detainers"]:
        cls = CLASS[d["lift_reason"]]
        pid, when = d["person_id"], day(d["prepare_date"])
        anchors.setdefault(cls, {})
        anchors[cls][pid] = min(when, anchors[cls].get(pid, when))
    events: dict[str, list[tuple[str, dt.date]]] = {}
    for s in rel["stints"]:
        events.setdefault(s["person_id"], []).append(("booked_in", day(s["book_in_date"])))
    for r in rel["removals"]:
        events.setdefault(r["person_id"], []).append(("removed", day(r["departed_date"])))
    for a in rel["arrests"]:
        setting = (
            "in_jail"
            if a["apprehension_method"] in IN_JAIL
            else "at_large"
            if a["apprehension_method"] in AT_LARGE
            else "other"
        )
        for kind in ("arrested_any", f"arrested_{setting}"):
            events.setdefault(a["person_id"], []).append((kind, day(a["apprehension_date"])))
    out = {}
    for cls, people in anchors.items():
        for w in WINDOWS:
            cell = dict.fromkeys(COUNTS, 0)
            at_large_days = []
            for pid, anchor in people.items():
                if anchor + dt.timedelta(days=w) > end:
                    cell["censored"] += 1
                    continue
                cell["observable"] += 1
                firsts = {}
                for kind, when in events.get(pid, []):
                    if when >= anchor:
                        firsts[kind] = min((when - anchor).days, firsts.get(kind, 10**9))
                for kind, days in firsts.items():
                    if days <= w:
                        cell[kind] += 1
                if firsts.get("arrested_at_large", 10**9) <= w:
                    at_large_days.append(firsts["arrested_at_large"])
            cell["median_days_at_large"] = (
                float(statistics.median(at_large_days)) if at_large_days else None
            )
            out[(cls, str(w))] = cell
    return out, {cls: len(p) for cls, p in anchors.items()}, end


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    folder = tmp_path_factory.mktemp("release")
    rel = write_linked_release(folder, 1_500, "parquet", seed=11)
    db = folder / "r.duckdb"
    result = run(db, "ingest", "--quiet", "--release", "synth-2026", *rel["paths"].values())
    assert result.exit_code == 0, result.output
    return db, rel


def test_outcomes_finds_exactly_the_planted_shares(release):
    from detainerwatch.derive.outcomes import outcomes

    db, rel = release
    expected, people, end = expected_shares(rel)
    con = duckdb.connect(str(db), read_only=True)
    raw = outcomes(con, by="all", period="all", windows=WINDOWS)
    assert raw["last_date"] == end.isoformat()
    assert {r["outcome"]: r["people"] for r in raw["rows"]} == people
    for row in raw["rows"]:
        for w, cell in row["windows"].items():
            want = expected[(row["outcome"], w)]
            got = {k: cell[k] for k in (*COUNTS, "median_days_at_large")}
            assert got == want, (row["outcome"], w)
    # the planted story: declined detainers are followed by at-large arrests, booked ones by
    # arrests in jail, and never the other way round in this release
    declined = next(r for r in raw["rows"] if r["outcome"] == "declined")["windows"]["365"]
    assert declined["arrested_at_large"] > 0 and declined["arrested_in_jail"] == 0


def test_published_outcomes_withhold_every_small_cell(release):
    db, rel = release
    expected, _, _ = expected_shares(rel)
    con = duckdb.connect(str(db), read_only=True)
    for by, period in (("all", "all"), ("state", "fy"), ("jurisdiction", "year")):
        result = published_outcomes(con, by=by, period=period, windows=WINDOWS)
        withheld = 0
        for row in result["rows"]:
            counts = [row["detainers"], row["people"], row["detainers_without_identifier"]]
            for cell in row["windows"].values():
                counts += [cell[k] for k in COUNTS]
                if cell["median_days_at_large"] is not None:
                    assert (
                        isinstance(cell["arrested_at_large"], int)
                        and cell["arrested_at_large"] >= 5
                    )
            # the disclosure rule, checked on the output itself: no count of 1-4 people
            assert not [c for c in counts if isinstance(c, int) and 0 < c < 5], row
            withheld += counts.count(WITHHELD)
        assert result["withheld_values"] >= withheld  # shares of withheld counts too
        if by == "all":  # the whole-release cells are large: published as computed
            for row in result["rows"]:
                for w, cell in row["windows"].items():
                    want = expected[(row["outcome"], w)]
                    for k in COUNTS:
                        n, total = want[k], want["observable"]
                        small = 0 < n < 5 or (
                            k not in ("observable", "censored") and 0 < total - n < 5
                        )
                        assert cell[k] == (WITHHELD if small else n), (row["outcome"], w, k)
        assert any("last recorded date" in n for n in result["notes"])
        json.dumps(result)  # JSON-able as the API serves it
    con.close()


def test_cli_and_not_covered_tables(tmp_path, release):
    db, rel = release
    result = run(db, "outcomes", "--by", "all", "--period", "all", "--window", "90")
    assert result.exit_code == 0, result.output
    assert "note: The release's last recorded date is" in result.output
    assert "declined" in result.output and "arrested_at_large_pct" in result.output
    # only detainers and arrests of a release: book-ins and removals are not covered, not 0
    small = tmp_path / "s.duckdb"
    run(
        small,
        "ingest",
        "--quiet",
        "--release",
        "x",
        rel["paths"]["detainers"],
        rel["paths"]["arrests"],
    )
    out = json.loads(
        run(small, "outcomes", "--by", "all", "--period", "all", "--format", "json").output
    )
    cell = out["rows"][0]["windows"]["30"]
    assert cell["removed"] is None and cell["booked_in"] is None
    assert isinstance(cell["arrested_any"], (int, str))
    assert any(n.startswith("removals: not covered") for n in out["notes"])
    # a second release: one must be named (identifiers never link across releases)
    run(small, "ingest", "--quiet", "--release", "y", rel["paths"]["stints"])
    run(
        small,
        "ingest",
        "--quiet",
        "--release",
        "y",
        rel["paths"]["detainers"].replace("detainers.parquet", "removals.parquet"),
    )
    refused = run(small, "outcomes", "--release", "zzz")
    assert refused.exit_code == 2
    assert refused.stderr.startswith(
        "error: --release 'zzz': no detainers with person identifiers in that release"
    )


def test_api_endpoint(release):
    from starlette.testclient import TestClient

    from detainerwatch.web.app import create_app

    db, _ = release
    client = TestClient(create_app(db))
    body = client.get("/api/v1/outcomes?by=state&period=all&windows=30,365").json()
    assert body["release"] == "synth-2026" and body["windows"] == [30, 365]
    assert "person_id" not in json.dumps(body)
    assert client.get("/api/v1/outcomes?release=nope").status_code == 404
