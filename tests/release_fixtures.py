"""Small synthetic releases that overlap, written as ICE workbooks in the 2025 and 2026 layouts
(preamble rows 1-6 naming the request and the period, header row 7, one sheet per fiscal
year, Footnotes last), with the changes between them planted and recorded.

Rows are dicts of canonical fields; every row's matching key (facility, prepare day and the
non-identifying attributes) is unique, so a diff must find exactly what was planted.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import xlsxwriter

from detainerwatch.handfiles import read_csv

TITLES = {"2025": "2025-ICLI-00019 Detainers", "2026": "2026-ICLI-00005 Detainers"}
LIFTS = {
    "": 30,
    "Booked into Detention": 40,
    "Detainer Declined by LEA": 8,
    "Case Closed": 6,
    "Early Release": 4,
    "No longer in State, Local, or Federal Custody": 6,
    "Prosecutorial Discretion": 2,
    "Duplicate": 4,
}
OUTCOME_OF = {
    r["lift_reason"].strip().lower(): r["outcome_class"] for r in read_csv("lift_reasons.csv")
}
COUNTRIES = ["MEXICO", "GUATEMALA", "HONDURAS", "EL SALVADOR", "VENEZUELA", "COLOMBIA", "CUBA"]
KEY = (
    "facility_name",
    "facility_code",
    "prepare_date",
    "criminality",
    "gender",
    "citizenship_country",
    "birth_year",
    "msc_charge_code",
)


def outcome(row: dict) -> str:
    lift = (row.get("lift_reason") or "").strip().lower()
    return OUTCOME_OF[lift] if lift else "open"


def facilities(n: int = 12) -> list[dict]:
    path = Path(__file__).resolve().parents[1] / "src/detainerwatch/data/facility_sample.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["state"] in ("PA", "TX", "MN", "WA")]
    return rows[:: max(1, len(rows) // n)][:n]


class Rows:
    """Generates rows with unique keys (seeded)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.facs = facilities()
        self.keys: set[tuple] = set()

    def row(self, day: dt.date, lift: str | None = None) -> dict:
        rng = self.rng
        while True:
            fac = rng.choice(self.facs)
            crim = rng.choice(
                [
                    "1 Convicted Criminal",
                    "2 Pending Criminal Charges",
                    "3 Other Immigration Violator",
                ]
            )
            row = {
                "prepare_date": day,
                "facility_name": fac["name"],
                "facility_code": fac["detloc"],
                "facility_city": fac["city"],
                "facility_state": fac["state"],
                "facility_aor": fac["aor"],
                "criminality": crim,
                "gender": rng.choice(["Male", "Male", "Female"]),
                "citizenship_country": rng.choice(COUNTRIES),
                "birth_year": rng.randrange(1960, 2005),
                "msc_charge_code": rng.choice(["1313", "3599", "5404", "2399"])
                if crim[0] == "1"
                else None,
                "detainer_type": "I247A - Immigration Detainer - Notice of Action (as of May 2025)",
                "lift_reason": lift
                if lift is not None
                else rng.choices(list(LIFTS), list(LIFTS.values()))[0],
                "person_id": f"{rng.getrandbits(48):012x}",
            }
            key = tuple(row[k] for k in KEY)
            if key not in self.keys:
                self.keys.add(key)
                return row

    def days(self, start: dt.date, end: dt.date, per_day: int) -> list[dict]:
        out, day = [], start
        while day <= end:
            out += [self.row(day) for _ in range(per_day)]
            day += dt.timedelta(days=1)
        return out


def fiscal_year(day: dt.date) -> int:
    return day.year + 1 if day.month >= 10 else day.year


def write_release(
    path: Path,
    layout: str,
    rows: list[dict],
    start: dt.date,
    end: dt.date,
    title: str | None = None,
) -> Path:
    """A workbook in the 2025 or 2026 layout: one sheet per fiscal year, each with the preamble
    naming the request (title) and the release's period."""
    from detainerwatch.sources.layouts import ice_2025, ice_2026

    header = (ice_2026 if layout == "2026" else ice_2025).HEADER
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "mm/dd/yyyy"})
    by_year: dict[int, list[dict]] = {}
    for row in sorted(rows, key=lambda r: r["prepare_date"]):
        by_year.setdefault(fiscal_year(row["prepare_date"]), []).append(row)
    for fy, mine in sorted(by_year.items()):
        ws = wb.add_worksheet(f"FY{fy}")
        for i, text in enumerate(
            [
                "ERO-LESA Statistical Tracking Unit",
                "For Official Use Only (FOUO)/Pre-decisional",
                title or TITLES[layout],
                "Please review the last tab for footnotes",
                "",
                f"Detainers: {start:%m/%d/%Y} - {end:%m/%d/%Y}",
            ]
        ):
            if text:
                ws.write_string(i, 0, text)
        ws.write_row(6, 0, [h for h, _ in header])
        for r, row in enumerate(mine, start=7):
            for c, (_, name) in enumerate(header):
                value = row.get(name)
                if value is None or value == "":
                    continue
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
                elif isinstance(value, int):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value))
    wb.add_worksheet("Footnotes").write_string(0, 0, "Footnotes: synthetic rows for tests.")
    wb.close()
    return path


A_PERIOD = (dt.date(2023, 10, 1), dt.date(2025, 3, 31))
B_PERIOD = (dt.date(2023, 8, 1), dt.date(2025, 10, 31))


def two_releases(tmp: Path, per_day: int = 3, seed: int = 15) -> dict:
    """Release A (2025 layout, 2023-10-01..2025-03-31) and release B (2026 layout,
    2023-08-01..2025-10-31). B repeats A's rows over the common period with new person
    identifiers, except: 5% of them open in A get an outcome (most declined, some booked),
    a few rows are removed and a few added. Returns the files, the rows and the plan."""
    gen = Rows(seed)
    rng = random.Random(seed + 1)
    a_rows = gen.days(*A_PERIOD, per_day)
    common = list(a_rows)
    n_changed = round(0.05 * len(common))
    open_rows = [i for i, r in enumerate(common) if outcome(r) == "open"]
    changed = rng.sample(open_rows, n_changed)
    to_declined = set(changed[: n_changed * 3 // 4])
    removed = set(rng.sample([i for i in range(len(common)) if i not in set(changed)], 7))
    b_rows = []
    for i, r in enumerate(common):
        if i in removed:
            continue
        copy = dict(r, person_id=f"{rng.getrandbits(48):012x}")  # re-anonymized
        if i in changed:
            copy["lift_reason"] = (
                "Detainer Declined by LEA" if i in to_declined else "Booked into Detention"
            )
        b_rows.append(copy)
    added = [gen.row(A_PERIOD[0] + dt.timedelta(days=rng.randrange(500))) for _ in range(5)]
    b_rows += added
    b_rows += gen.days(B_PERIOD[0], A_PERIOD[0] - dt.timedelta(days=1), per_day)
    b_rows += gen.days(A_PERIOD[1] + dt.timedelta(days=1), B_PERIOD[1], per_day)
    a_file = write_release(tmp / "release_a.xlsx", "2025", a_rows, *A_PERIOD)
    b_file = write_release(tmp / "release_b.xlsx", "2026", b_rows, *B_PERIOD)
    return {
        "a_file": a_file,
        "b_file": b_file,
        "a_rows": a_rows,
        "b_rows": b_rows,
        "changed": [common[i] for i in changed],
        "to_declined": len(to_declined),
        "to_booked": n_changed - len(to_declined),
        "removed": [common[i] for i in removed],
        "added": added,
        "common_rows": len(common),
    }
