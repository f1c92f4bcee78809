"""Synthetic files in the layouts people actually hold, for tests: the Deportation Data
Project's processed tables (Parquet, CSV as R writes it, xlsx), ICE's enforcement workbooks
(arrests, book-ins, removals) and the LESA-STU area workbook, and a whole release whose
detainers, arrests, book-ins and removals share person identifiers (planted links).

Seeded and deterministic. Every function returns a manifest saying what was written (rows,
upstream rows, planted duplicates, planted events), so a test can compute what the store and
the outcomes section must find without reading the files back.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any
from pathlib import Path

import xlsxwriter

from .errors import UsageError
from .sources.layouts import (
    _ddp,
    ddp_arrests,
    ddp_detainers_2026,
    ddp_detention_stints,
    ddp_removals,
    ice_2026,
    ice_arrests_2026,
    ice_detention_stints_2026,
    ice_removals_2025,
)
from .synth import (
    EXCEL_EPOCH,
    FIXED_TIME,
    CHARGES,
    COUNTRIES,
    FIELD_TYPES,
    FLAG_FIELDS,
    LIFT_CODES,
    LIFT_WEIGHTS,
    _facilities,
    _value_set,
)

FORMATS = ("parquet", "csv", "xlsx", "dta", "sav")  # dta/sav need pyreadstat and pandas
GENERATIONS = ("renamed", "cleaned")  # DDP names after / before its October 2025 renames
RELEASE_END = dt.date(2026, 3, 10)
FISCAL_YEARS = (2023, 2024, 2025, 2026)
DDP_FILE = "2026-ICLI-00005_{table}_FY{yy}_20260311_Redacted.xlsx"
# Markers DDP does not null (it nulls only "b(6), b(7)c" and "b(6), b(7)C"): they pass through.
PASSING_MARKER = "(b)(6), (b)(7)(c)"
IN_JAIL = ["CAP Local Incarceration", "287(g) Program", "CAP State Incarceration"]
AT_LARGE = ["Located", "Non-Custodial Arrest"]
DATE_TYPES = {"date"}


def _fy_bounds(fy: int) -> tuple[dt.date, dt.date]:
    return dt.date(fy - 1, 10, 1), min(dt.date(fy, 9, 30), RELEASE_END)


def _fy(day: dt.date) -> int:
    return day.year + (1 if day.month >= 10 else 0)


# ---------------------------------------------------------------- DDP files


def _ddp_header(module, ice_header, generation: str) -> list[tuple[str, str]]:
    """(DDP column name, canonical field) in DDP's column order for a generation."""
    renames = getattr(module, "RENAMES", {}) if generation == "renamed" else {}
    if module is ddp_detainers_2026 and generation == "cleaned":
        # order_to_show_cause was renamed before the October 2025 renames
        renames = {"order_to_show_cause_served_yes_no": "order_show_cause_served_yes_no"}
    return [(renames.get(_ddp.clean_name(h), _ddp.clean_name(h)), c) for h, c in ice_header]


def write_ddp(
    out: Path,
    fmt: str,
    header: list[tuple[str, str]],
    records: list[dict],
    types: dict[str, str],
    *,
    row_names: bool = True,
) -> None:
    """Write records (canonical field -> value, plus upstream_* fields) as DDP writes a table:
    columns entirely blank dropped, upstream provenance and duplicate_likely at the end."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    present = [(name, c) for name, c in header if any(r.get(c) not in (None, "") for r in records)]
    columns = present + [
        ("duplicate_likely", "upstream_duplicate_likely"),
        ("file_original", "upstream_file"),
        ("sheet_original", "upstream_sheet"),
        ("row_original", "upstream_row"),
    ]
    if fmt == "parquet":
        _write_parquet(out, columns, records, types)
    elif fmt in ("dta", "sav"):
        _write_stats(out, fmt, columns, records, types)
    elif fmt == "csv":
        _write_r_csv(out, columns, records, row_names)
    else:
        _write_writexl(out, columns, records)


def _arrow_type(canonical: str, types: dict[str, str], records: list[dict]):
    import pyarrow as pa

    if canonical == "upstream_duplicate_likely":
        return pa.bool_()
    if canonical == "upstream_row":
        return pa.int32()
    kind = types.get(canonical, "text")
    if kind == "int":
        return pa.int32()
    if kind == "float":
        return pa.float64()
    if kind == "date":
        # R keeps a date-time column as POSIXct (UTC) when any value has a time of day
        timed = any(isinstance(r.get(canonical), dt.datetime) for r in records)
        return pa.timestamp("us", tz="UTC") if timed else pa.date32()
    return pa.string()


def _write_parquet(out, columns, records, types) -> None:
    import pyarrow.parquet as pq

    pq.write_table(_arrow_table(columns, records, types), out, compression="zstd")


def _write_stats(out: Path, fmt: str, columns, records, types) -> None:
    """Stata .dta or SPSS .sav as R's haven writes DDP's table: dates and date-times as such,
    the logical duplicate_likely as 0/1 labelled FALSE/TRUE, missing numbers missing."""
    try:
        import pyreadstat
    except ImportError:
        raise UsageError(
            f"--format {fmt} needs the optional packages pyreadstat and pandas "
            "(pip install 'detainerwatch[stats]' pandas)"
        ) from None
    frame = _arrow_table(columns, records, types).to_pandas()
    for name in frame.columns:
        if hasattr(frame[name].dtype, "tz") and frame[name].dtype.tz is not None:
            frame[name] = frame[name].dt.tz_localize(None)  # neither format keeps a zone
    labels: dict[str, dict[int | float, str]] = {"duplicate_likely": {0: "FALSE", 1: "TRUE"}}
    frame["duplicate_likely"] = frame["duplicate_likely"].astype("Int8")
    write = pyreadstat.write_dta if fmt == "dta" else pyreadstat.write_sav
    write(frame, str(out), variable_value_labels=labels)


def _arrow_table(columns, records, types):
    import pyarrow as pa

    arrays = []
    for _, c in columns:
        kind = _arrow_type(c, types, records)
        values = [r.get(c) for r in records]
        if pa.types.is_timestamp(kind):
            values = [
                v if v is None or isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time())
                for v in values
            ]
        elif pa.types.is_date32(kind):
            values = [v.date() if isinstance(v, dt.datetime) else v for v in values]
        elif kind == pa.string():
            values = [None if v in (None, "") else str(v) for v in values]
        arrays.append(pa.array(values, kind))
    return pa.Table.from_arrays(arrays, names=[n for n, _ in columns])


def _r_text(value) -> str:
    if value is None or value == "":
        return "NA"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _write_r_csv(out, columns, records, row_names: bool) -> None:
    """As R's write.csv (an unnamed first column of row names; header, strings and dates
    quoted; numbers, TRUE/FALSE and NA not) or, without row names, as readr::write_csv."""

    def cell(value) -> str:
        text = _r_text(value)
        if value is None or value == "" or isinstance(value, (bool, int, float)):
            return text
        return '"' + text.replace('"', '""') + '"'

    with open(out, "w", newline="", encoding="utf-8") as fh:
        names = [f'"{n}"' for n, _ in columns]
        fh.write(",".join((['""'] if row_names else []) + names) + "\n")
        for i, r in enumerate(records, start=1):
            cells = [cell(r.get(c)) for _, c in columns]
            fh.write(",".join(([f'"{i}"'] if row_names else []) + cells) + "\n")


def _write_writexl(out, columns, records) -> None:
    wb = xlsxwriter.Workbook(
        str(out),
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    wb.set_properties({"created": FIXED_TIME})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    time_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, [n for n, _ in columns])
    for i, r in enumerate(records, start=1):
        for j, (_, c) in enumerate(columns):
            _write_cell(ws, i, j, r.get(c), date_fmt, time_fmt)
    wb.close()


def _write_cell(ws, row, col, value, date_fmt, time_fmt) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, dt.datetime):
        ws.write_number(
            row, col, (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400, time_fmt
        )
    elif isinstance(value, dt.date):
        ws.write_number(row, col, (value - EXCEL_EPOCH).days, date_fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value)
    else:
        ws.write_string(row, col, str(value))


def _upstream(records: list[dict], table: str, date_field: str) -> None:
    """file_original/sheet_original/row_original as DDP numbers them (per sheet_original,
    header on row 7) and DDP's duplicate_likely (same date and identifier; NA without one)."""
    per_sheet: dict[str, int] = {}
    for r in records:
        fy = _fy(r[date_field].date() if isinstance(r[date_field], dt.datetime) else r[date_field])
        sheet = f"FY{fy}"
        per_sheet[sheet] = per_sheet.get(sheet, 7) + 1
        r["upstream_file"] = DDP_FILE.format(table=table, yy=str(fy)[2:])
        r["upstream_sheet"] = sheet
        r["upstream_row"] = per_sheet[sheet]
    groups: dict[tuple, int] = {}
    for r in records:
        key = (_day(r[date_field]), r.get("person_id"))
        groups[key] = groups.get(key, 0) + 1
    for r in records:
        pid = r.get("person_id")
        r["upstream_duplicate_likely"] = (
            None if pid is None else groups[(_day(r[date_field]), pid)] > 1
        )


def _day(value):
    return value.date() if isinstance(value, dt.datetime) else value


def ddp_detainer_records(rows: int, seed: int = 0) -> tuple[list[dict], dict]:
    """Detainer rows as DDP holds them: markers of the two forms it knows nulled, others kept."""
    rng = random.Random(seed)
    facilities = _facilities()
    type_values = _value_set("detainer_type")
    lift_values, lift_weights = zip(*LIFT_WEIGHTS.items(), strict=True)
    case_status = _value_set("case_status")
    header = list(ice_2026.HEADER)
    records: list[dict[str, Any]] = []
    duplicates, passing = 0, 0
    per_year = [rows // 4 + (1 if i < rows % 4 else 0) for i in range(4)]
    for fy, n in zip(FISCAL_YEARS, per_year, strict=True):
        start, end = _fy_bounds(fy)
        days = sorted(rng.randrange((end - start).days + 1) for _ in range(n))
        for d in days:
            day = start + dt.timedelta(days=d)
            values = _row(
                rng,
                header,
                day,
                facilities,
                type_values,
                lift_values,
                lift_weights,
                case_status,
                "2026",
            )
            if fy in (2023, 2024):
                values["birth_date"] = None  # the FY2023 and FY2024 files lack Birth Date
            if rng.random() < 0.05:
                values["person_id"] = None
            if records and records[-1]["person_id"] and rng.random() < 0.01:
                values["person_id"] = records[-1]["person_id"]
                values["prepare_date"] = records[-1]["prepare_date"]
                duplicates += 1
            if values.get("facility_city") and rng.random() < 0.01:
                values["facility_city"] = PASSING_MARKER
                passing += 1
            # DDP reads Birth Date as text and the sentence fields as numbers
            if values.get("birth_date"):
                values["birth_date"] = values["birth_date"].isoformat()
            records.append(values)
    _upstream(records, "Detainers", "prepare_date")
    manifest = {
        "rows": len(records),
        "planted_duplicates": duplicates,
        "passing_markers": passing,
        "ddp_duplicate_likely": sum(1 for r in records if r["upstream_duplicate_likely"]),
    }
    return records, manifest


def synthesize_ddp_detainers(
    out: Path,
    rows: int,
    fmt: str = "parquet",
    *,
    seed: int = 0,
    generation: str = "renamed",
    row_names: bool = True,
    state: str | None = None,
) -> dict:
    """A DDP ``detainers-latest`` file of `rows` detainers (before any filter); `state` keeps
    only that facility state's rows, as DDP's filtered download does."""
    if generation not in GENERATIONS:
        raise UsageError(f"--generation {generation!r}: expected one of {', '.join(GENERATIONS)}")
    if rows < 1:
        raise UsageError(f"--rows {rows}: expected at least 1")
    records, manifest = ddp_detainer_records(rows, seed)
    if state:
        records = [r for r in records if r["facility_state"] == state]
    header = _ddp_header(ddp_detainers_2026, ice_2026.HEADER, generation)
    types = _types(
        ice_2026.HEADER, {"msc_sentence_days", "msc_sentence_months", "msc_sentence_years"}
    )
    types["birth_date"] = "text"
    write_ddp(Path(out), fmt, header, records, types, row_names=row_names)
    manifest.update(
        {
            "layout": "ddp-detainers-2026",
            "format": fmt,
            "generation": generation,
            "seed": seed,
            "rows_written": len(records),
            "state": state,
            "upstream": [
                [r["upstream_file"], r["upstream_sheet"], r["upstream_row"]] for r in records
            ],
        }
    )
    return manifest


def _types(header, floats=frozenset()) -> dict[str, str]:
    from .sources.fields import FIELDS_BY_KIND

    kinds: dict[str, str] = {}
    for fields in FIELDS_BY_KIND.values():
        for f in fields:
            kinds.setdefault(f.name, f.type)
    return {c: ("float" if c in floats else kinds.get(c, "text")) for _, c in header}


# ---------------------------------------------------------------- ICE workbooks


def write_ice_workbook(
    out: Path,
    header: list[tuple[str, str]] | Callable[[str], list[tuple[str, str]]],
    sheets: dict[str, list[dict]],
    title: str,
    label: str,
    *,
    marker_fields: tuple[str, ...] = (),
    marker: str = "b(6), b(7)c",
    styled_blank_columns: int = 0,
    extra_sheets: dict | None = None,
    first_sheets: dict | None = None,
) -> None:
    """An ERO-LESA workbook: preamble rows 1-6, header on row 7, data from row 8, a last
    Footnotes sheet. `marker_fields` are redacted whole (as identifier columns are)."""
    wb = xlsxwriter.Workbook(
        str(out),
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    wb.set_properties({"created": FIXED_TIME, "author": "detainerwatch synth"})
    date_fmt = wb.add_format({"num_format": "mm/dd/yyyy"})
    time_fmt = wb.add_format({"num_format": "mm/dd/yyyy hh:mm"})
    styled = wb.add_format({"bg_color": "#DDEBF7"})
    for name, writer in (first_sheets or {}).items():
        writer(wb.add_worksheet(name), wb)
    for name, records in sheets.items():
        ws = wb.add_worksheet(name)
        sheet_header = header if not callable(header) else header(name)
        _lesa_preamble(ws, title, f"{label} ({name})")
        ws.write_row(6, 0, [h for h, _ in sheet_header])
        for k in range(styled_blank_columns):  # empty styled columns right of the header
            ws.write_blank(6, len(sheet_header) + k, None, styled)
        for i, r in enumerate(records):
            for j, (_, c) in enumerate(sheet_header):
                if c in marker_fields:
                    ws.write_string(7 + i, j, marker)
                else:
                    _write_cell(ws, 7 + i, j, r.get(c), date_fmt, time_fmt)
            for k in range(styled_blank_columns):
                ws.write_blank(7 + i, len(sheet_header) + k, None, styled)
    for name, writer in (extra_sheets or {}).items():
        writer(wb.add_worksheet(name), wb)
    notes = wb.add_worksheet("Footnotes")
    for i, text in enumerate(
        ["Footnotes", "1. Synthetic data written by detainerwatch synth.", "2. Not real records."]
    ):
        notes.write_string(i, 0, text)
    wb.close()


def _lesa_preamble(ws, title: str, label: str) -> None:
    ws.write_string(0, 0, "ERO-LESA Statistical Tracking Unit")
    ws.write_string(1, 0, "For Official Use Only (FOUO)/Pre-decisional")
    ws.write_string(2, 0, title)
    ws.write_string(3, 0, "Please review the last tab for footnotes.")
    ws.write_string(5, 0, label)


# ---------------------------------------------------------------- a linked release


def linked_release(people: int, seed: int = 0) -> dict:
    """Detainers, arrests, book-ins and removals of one release sharing person identifiers.

    Each person has one to three detainers; after the first, with probabilities that depend
    on its lift reason, ICE books them in, arrests them (in a jail or at large) and removes
    them, some days later; some events fall before the detainer or after the release ends
    (they must not count as later), and some people have events but no detainer."""
    rng = random.Random(seed)
    facilities = [f for f in _facilities() if f["state"] in ("TX", "CA", "PA", "WA")]
    type_values = [t for t in _value_set("detainer_type") if "I247N" not in t]
    lifts = ["Detainer Declined by LEA", "Booked into Detention", "Early Release", ""]
    weights = [20, 40, 15, 25]
    case_status = _value_set("case_status")
    detainers: list[dict[str, Any]] = []
    arrests: list[dict[str, Any]] = []
    stints: list[dict[str, Any]] = []
    removals: list[dict[str, Any]] = []
    start = dt.date(2022, 10, 1)
    span = (RELEASE_END - start).days
    header = list(ice_2026.HEADER)
    for _ in range(people):
        pid = f"{rng.getrandbits(48):012x}"
        fac = rng.choice(facilities)
        first = start + dt.timedelta(days=rng.randrange(span + 1))
        lift = rng.choices(lifts, weights)[0]
        for k in range(rng.choice([1, 1, 1, 2, 3])):
            day = first + dt.timedelta(days=k * rng.randrange(1, 40))
            if day > RELEASE_END:
                break
            v = _row(rng, header, day, [fac], type_values, [lift], [1], case_status, "2026")
            v["person_id"] = pid
            v["lift_reason"] = lift or None
            v["lift_reason_code"] = None
            detainers.append(v)
        booked_p = {
            "Booked into Detention": 0.8,
            "Detainer Declined by LEA": 0.2,
            "Early Release": 0.3,
            "": 0.25,
        }[lift]
        if rng.random() < booked_p:
            day = first + dt.timedelta(days=rng.choice([0, 1, 2, 5, 20, 45, 120, 300, 500]))
            stints.append(_stint(rng, pid, day, fac))
            if rng.random() < 0.5:
                removals.append(_removal(rng, pid, day + dt.timedelta(days=rng.randrange(10, 400))))
        at_large_p = {"Detainer Declined by LEA": 0.35, "Early Release": 0.2}.get(lift, 0.05)
        if rng.random() < at_large_p:
            day = first + dt.timedelta(days=rng.choice([3, 10, 25, 60, 100, 200, 400]))
            arrests.append(_arrest(rng, pid, day, fac, rng.choice(AT_LARGE)))
        if lift == "Booked into Detention" and rng.random() < 0.6:
            arrests.append(_arrest(rng, pid, first, fac, rng.choice(IN_JAIL)))
        if rng.random() < 0.05:  # an event before the detainer: not "later"
            arrests.append(
                _arrest(
                    rng,
                    pid,
                    first - dt.timedelta(days=rng.randrange(5, 300)),
                    fac,
                    rng.choice(AT_LARGE),
                )
            )
    for _ in range(people // 10):  # people with events and no detainer
        pid = f"{rng.getrandbits(48):012x}"
        day = start + dt.timedelta(days=rng.randrange(span + 1))
        arrests.append(
            _arrest(rng, pid, day, rng.choice(facilities), rng.choice(AT_LARGE + IN_JAIL))
        )
    arrests = [a for a in arrests if _day(a["apprehension_date"]) <= RELEASE_END]
    stints = [s for s in stints if _day(s["book_in_date"]) <= RELEASE_END]
    removals = [r for r in removals if r["departed_date"] <= RELEASE_END]
    for table, date in (
        (detainers, "prepare_date"),
        (arrests, "apprehension_date"),
        (stints, "book_in_date"),
        (removals, "departed_date"),
    ):

        def by_day(r: dict[str, Any], d: str = date) -> tuple[Any, Any]:
            return (_day(r[d]), r["person_id"])

        table.sort(key=by_day)
    return {
        "detainers": detainers,
        "arrests": arrests,
        "stints": stints,
        "removals": removals,
        "end": RELEASE_END,
    }


def _arrest(rng, pid, day, fac, method) -> dict:
    return {
        "apprehension_date": dt.datetime.combine(day, dt.time(rng.randrange(24), 0)),
        "apprehension_type": "Administrative Arrest",
        "apprehension_state": fac["state"],
        "apprehension_county": None,
        "apprehension_aor": fac["aor"] or None,
        "final_program": "ERO Criminal Alien Program",
        "arresting_agency": "ERO",
        "apprehension_method": method,
        "criminality": "1 Convicted Criminal",
        "case_status": "ACTIVE",
        "gender": rng.choice(["Male", "Female"]),
        "citizenship_country": "MEXICO",
        "birth_year": rng.randrange(1960, 2005),
        "apprehension_landmark": f"{fac['aor'] or 'XX'} GENERAL AREA",
        "person_id": pid,
    }


def _stint(rng, pid, day, fac) -> dict:
    book_in = dt.datetime.combine(day, dt.time(rng.randrange(24), 0))
    return {
        "stay_book_in_date": book_in,
        "book_in_date": book_in,
        "facility_name": fac["name"],
        "facility_code": fac["detloc"],
        "gender": rng.choice(["Male", "Female"]),
        "citizenship_country": "MEXICO",
        "criminality": "1 Convicted Criminal",
        "case_status": "ACTIVE",
        "birth_year": rng.randrange(1960, 2005),
        "book_in_aor": fac["aor"] or None,
        "person_id": pid,
    }


def _removal(rng, pid, day) -> dict:
    return {
        "departed_date": day,
        "port_of_departure": "Brownsville, TX",
        "departure_country": "MEXICO",
        "docket_aor": "Houston Area of Responsibility",
        "case_status": "8-Excluded/Deported/Removed",
        "gender": rng.choice(["Male", "Female"]),
        "citizenship_country": "MEXICO",
        "birth_year": rng.randrange(1960, 2005),
        "case_category": "[16] Reinstated Final Order",
        "person_id": pid,
    }


def write_linked_release(
    folder: Path, people: int, fmt: str = "parquet", *, seed: int = 0, source: str = "ddp"
) -> dict:
    """The linked release as DDP files (`fmt`) or as ICE workbooks (source="ice"): one file per
    table; returns the paths and the planted records (for tests only: never published)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    rel = linked_release(people, seed)
    tables = [
        ("detainers", ddp_detainers_2026, ice_2026.HEADER, "Detainers", "prepare_date"),
        ("arrests", ddp_arrests, ice_arrests_2026.HEADER, "Arrests", "apprehension_date"),
        (
            "stints",
            ddp_detention_stints,
            ice_detention_stints_2026.HEADER,
            "Detentions",
            "book_in_date",
        ),
        ("removals", ddp_removals, ice_removals_2025.HEADER, "Removals", "departed_date"),
    ]
    paths = {}
    for kind, module, ice_header, label, date in tables:
        records = rel[kind]
        if source == "ddp":
            _upstream(records, label, date)
            path = folder / f"{kind}.{fmt}"
            types = _types(ice_header)
            if kind == "detainers":
                types["birth_date"] = "text"
                for r in records:
                    if isinstance(r.get("birth_date"), dt.date):
                        r["birth_date"] = r["birth_date"].isoformat()
            write_ddp(path, fmt, _ddp_header(module, ice_header, "renamed"), records, types)
        else:
            path = folder / f"{kind}.xlsx"
            by_sheet: dict[str, list[dict]] = {}
            for r in records:
                by_sheet.setdefault(f"FY{_fy(_day(r[date]))}", []).append(r)
            write_ice_workbook(
                path,
                ice_header,
                by_sheet,
                f"2026-ICLI-00005 {label} (synthetic)",
                f"{label}: 10/01/2022 - 03/10/2026",
                marker_fields=("eid_dta_id", "alien_file_number", "eid_case_id", "eid_subject_id"),
            )
        paths[kind] = str(path)
    rel["paths"] = paths
    return rel


# ---------------------------------------------------------------- LESA-STU

LESA_TITLE = "UW v. DHS - ICE Productions"
LESA_MARKERS = ("(b)(6),(b)(7)c)", "(b)(7)e)")
LESA_FACILITIES = [
    "NORTHWEST DETENTION CENTER",
    "KING COUNTY JAIL",
    "COLUMBIA COUNTY JAIL",
    "JACKSON COUNTY JAIL",
    "DOUGLAS COUNTY JAIL",
    "NORCOR",
    "ANCHORAGE JAIL",
    "KOOTENAI COUNTY JAIL",
]
LESA_LANDMARKS = [
    "SEATTLE, WA",
    "PORTLAND, OR",
    "YAKIMA GENERAL AREA",
    " TACOMA",
    "ANCHORAGE, AK",
    "EUGENE GENERAL AREA",
]
LESA_METHODS = [
    "CAP Local Incarceration",
    "Located",
    "Non-Custodial Arrest",
    "287(g) Program",
    "CAP State Incarceration",
    "Probation and Parole",
]
LESA_CONVICTIONS = [
    "DRIVING UNDER INFLUENCE LIQUOR",
    "ASSAULT",
    "DANGEROUS DRUGS",
    None,
    "TRAFFIC OFFENSE",
    "LARCENY",
]
LESA_FYS = list(range(2012, 2020))
LESA_END = dt.date(2019, 3, 31)


def synthesize_lesa(
    out: Path, rows: int = 400, *, seed: int = 0, summary_error: tuple[str, str, int] | None = None
) -> dict:
    """A LESA-STU area workbook (Seattle AOR, FY2012-FY2019 YTD) of about `rows` rows in all.

    Sheets Summary, Arrests, Book Ins, Expedited Removals, Other Removals, Footnotes. The
    Summary's removals are counted by the fiscal year the case closed (some close in the FY
    after departure), the others by event date. `summary_error` = (series, "FY2015" or
    "total", delta) writes one total wrong, for the test that the load report names it."""
    rng = random.Random(seed)
    start = dt.date(2011, 10, 1)
    span = (LESA_END - start).days
    quarter = max(rows // 4, 1)
    gender = lambda: rng.choice(["Male", "Male", "Female", " Male"])  # noqa: E731
    country = lambda: rng.choice(["MEXICO", "GUATEMALA", "HONDURAS", " EL SALVADOR", "INDIA"])  # noqa: E731

    def day():
        return start + dt.timedelta(days=rng.randrange(span + 1))

    arrests = sorted(
        (
            {
                "apprehension_date": day(),
                "gender": gender(),
                "citizenship_country": country(),
                "apprehension_landmark": rng.choice(LESA_LANDMARKS),
                "apprehension_method": rng.choice(LESA_METHODS),
                "most_serious_conviction": rng.choice(LESA_CONVICTIONS),
            }
            for _ in range(quarter)
        ),
        key=lambda r: r["apprehension_date"],
    )
    book_ins = sorted(
        (
            {
                "book_in_date": day(),
                "gender": gender(),
                "citizenship_country": country(),
                "facility_name": rng.choice(LESA_FACILITIES),
                "apprehension_method": rng.choice(LESA_METHODS),
                "most_serious_conviction": rng.choice(LESA_CONVICTIONS),
            }
            for _ in range(quarter)
        ),
        key=lambda r: r["book_in_date"],
    )
    removals = {}
    close_fy: dict[str, dict[int, int]] = {"Expedited Removals": {}, "Other Removals": {}}
    for sheet, n, categories in (
        (
            "Expedited Removals",
            quarter,
            [
                "[8F] Expedited Removal",
                "[8C] Excludable / Inadmissible - Administrative Final Order Issued",
            ],
        ),
        (
            "Other Removals",
            rows - 3 * quarter,
            [
                "[16] Reinstated Final Order",
                "[11] Administrative Deportation / Removal",
                "[3] Deportable - Administratively Final Order",
            ],
        ),
    ):
        recs = sorted(
            (
                {
                    "departed_date": day(),
                    "gender": gender(),
                    "citizenship_country": country(),
                    "most_serious_conviction": rng.choice(LESA_CONVICTIONS),
                    "case_category": rng.choice(categories),
                }
                for _ in range(max(n, 1))
            ),
            key=lambda r: r["departed_date"],
        )
        for r in recs:  # the case closes up to 45 days after departure
            fy = min(_fy(r["departed_date"] + dt.timedelta(days=rng.randrange(0, 46))), 2019)
            close_fy[sheet][fy] = close_fy[sheet].get(fy, 0) + 1
        removals[sheet] = recs

    def by_fy(records, field):
        counts = {fy: 0 for fy in LESA_FYS}
        for r in records:
            counts[_fy(r[field])] += 1
        return counts

    summary = {
        "arrests": by_fy(arrests, "apprehension_date"),
        "book_ins": by_fy(book_ins, "book_in_date"),
        "removals_expedited": {fy: close_fy["Expedited Removals"].get(fy, 0) for fy in LESA_FYS},
        "removals_other": {fy: close_fy["Other Removals"].get(fy, 0) for fy in LESA_FYS},
    }
    summary["removals_total"] = {
        fy: summary["removals_expedited"][fy] + summary["removals_other"][fy] for fy in LESA_FYS
    }
    written = {s: {f"FY{fy}": n for fy, n in v.items()} for s, v in summary.items()}
    for v in written.values():
        v["total"] = sum(v.values())
    if summary_error:
        series, key, delta = summary_error
        written[series][key] += delta

    def summary_sheet(ws, wb):
        _lesa_preamble(ws, LESA_TITLE, "Seattle AOR Enforcement Statistics, FY2012 - FY2019 YTD")
        row = 6
        for titles, series in (
            (["Arrests"], ["arrests"]),
            (["Book Ins"], ["book_ins"]),
            (
                ["Expedited Removals", "Other Removals", "Total Removals"],
                ["removals_expedited", "removals_other", "removals_total"],
            ),
        ):
            ws.write_row(row, 0, ["Fiscal Year", *titles])
            row += 1
            for fy in LESA_FYS:
                label = f"FY{fy}" + (" YTD" if fy == 2019 else "")
                ws.write_string(row, 0, label)
                for j, s in enumerate(series, start=1):
                    ws.write_number(row, j, written[s][f"FY{fy}"])
                row += 1
            ws.write_string(row, 0, "Total")
            for j, s in enumerate(series, start=1):
                ws.write_number(row, j, written[s]["total"])
            row += 2

    from .sources.layouts import lesa_stu

    def header(sheet):
        layout = {"Arrests": lesa_stu.ARRESTS, "Book Ins": lesa_stu.BOOK_INS}.get(
            sheet, lesa_stu.REMOVALS
        )
        names = {
            "Arrests": [
                "Arrest Date",
                "Date of Birth",
                "Gender",
                "Country of Citizenship",
                "Event Number",
                "Apprehension Landmark",
                "Arrest Method",
                "Most Serious Conviction",
            ],
            "Book Ins": [
                "Book In Date",
                "Date of Birth",
                "Gender",
                "Country of Citizenship",
                "Detention Facility",
                "Apprehension Method",
                "Most Serious Conviction",
            ],
        }.get(
            sheet,
            [
                "Departed Date",
                "DOB",
                "Gender",
                "Country of Citizenship",
                "Event Number",
                "Most Serious Conviction",
                "Case Category",
            ],
        )
        return [(h, layout.canonical(h)) for h in names]

    sheets = {"Arrests": arrests, "Book Ins": book_ins, **removals}
    write_ice_workbook(
        Path(out),
        header,
        sheets,
        LESA_TITLE,
        "Seattle AOR, FY2012 - FY2019 YTD",
        marker_fields=("birth_date", "event_number"),
        marker=LESA_MARKERS[0],
        styled_blank_columns=3,
        first_sheets={"Summary": summary_sheet},
    )
    return {
        "layout": "lesa-stu",
        "seed": seed,
        "sheets": {name: len(recs) for name, recs in sheets.items()},
        "summary": written,
        "summary_error": list(summary_error) if summary_error else None,
        "removals_by_departed_fy": {
            s: {f"FY{k}": v for k, v in by_fy(recs, "departed_date").items()}
            for s, recs in removals.items()
        },
    }


# One detainer row as a dict of canonical values (the linked release draws its detainers one
# person at a time, so it keeps this row-at-a-time generator; synth.py writes workbooks faster).
def _row(rng, header, day, facilities, type_values, lift_values, lift_weights, case_status, layout):
    fac = facilities[
        min(int(rng.paretovariate(1.2)) - 1, len(facilities) - 1)
        if rng.random() < 0.5
        else rng.randrange(len(facilities))
    ]
    lift = rng.choices(lift_values, lift_weights)[0]
    crim = rng.choices(
        ["1 Convicted Criminal", "2 Pending Criminal Charges", "3 Other Immigration Violator"],
        [55, 30, 15],
    )[0]
    convicted = crim.startswith("1")
    code, charge = rng.choice(CHARGES) if convicted else (None, None)
    birth = dt.date(rng.randrange(1950, 2006), rng.randrange(1, 13), rng.randrange(1, 29))
    yes_no = lambda p=0.2: rng.choices(["YES", "NO", None], [p, 1 - p - 0.1, 0.1])[0]  # noqa: E731
    values = {
        "prepare_date": day,
        "facility_state": fac["state"],
        "facility_aor": fac["aor"] or None,
        "port_of_departure": None,
        "departure_country": None,
        "departed_date": None,
        "case_status": rng.choice(case_status),
        "criminality": crim,
        "facility_name": fac["name"],
        "facility_code": fac["detloc"],
        "facility_city": fac["city"] or None,
        "threat_level": rng.choices(["1", "2", "3", None], [25, 25, 25, 25])[0]
        if convicted
        else None,
        "gender": rng.choices(["Male", "Female", "Unknown"], [88, 11, 1])[0],
        "citizenship_country": rng.choice(COUNTRIES),
        "birth_country": rng.choice(COUNTRIES),
        "birth_date": birth,
        "birth_year": birth.year,
        "entry_status": rng.choice(
            ["Not  Applicable", "EWI - Entry Without Inspection", "B2 - Visitor for Pleasure", None]
        ),
        "msc_charge": charge,
        "msc_charge_code": code,
        "msc_sentence_days": rng.randrange(0, 365) if convicted and rng.random() < 0.5 else None,
        "msc_sentence_months": rng.randrange(0, 24) if convicted and rng.random() < 0.3 else None,
        "msc_sentence_years": rng.randrange(0, 10) if convicted and rng.random() < 0.2 else None,
        "msc_charge_date": day - dt.timedelta(days=rng.randrange(30, 3000)) if convicted else None,
        "msc_conviction_date": day - dt.timedelta(days=rng.randrange(1, 900))
        if convicted
        else None,
        "aggravated_felon": "Not an Aggravated Felon" if rng.random() < 0.9 else "Aggravated Felon",
        "processing_disposition": rng.choice(
            ["Detainer", "Warrant of Arrest/Notice to Appear", "Other"]
        ),
        "case_category": rng.choice(
            [
                "[16] Reinstated Final Order",
                "[8F] Expedited Removal",
                "[2A] Deportable - Under Adjudication by IJ",
                "[10] Visa Waiver Deportation / Removal",
            ]
        ),
        "final_program": rng.choice(["ERO Criminal Alien Program", "287(g) Program", None]),
        "toa_case_category": rng.choice(
            ["[8C] Excludable / Inadmissible - Administrative Final Order Issued", None]
        ),
        "toa_current_program": rng.choice(["ERO Criminal Alien Program", None]),
        "apprehension_method": rng.choice(
            ["CAP Local Incarceration", "287(g) Program", "Non-Custodial Arrest"]
        ),
        "final_order": yes_no(0.3),
        "final_order_date": day + dt.timedelta(days=rng.randrange(1, 200))
        if rng.random() < 0.2
        else None,
        "apprehension_date": dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)))
        if rng.random() < 0.6
        else None,
        "entry_date": dt.date(rng.randrange(1990, 2024), rng.randrange(1, 13), 1)
        if rng.random() < 0.7
        else None,
        "other_removal_reason": None,
        "tod_current_duty_site": fac["aor"] or None,
        "lift_reason": lift or None,
        "lift_reason_code": LIFT_CODES.get(lift) if lift else None,
        "detainer_type": rng.choices(type_values, [1] * len(type_values))[0],
        "arrest_warrant_served_date": None,
        "eid_dta_id": None,
        "alien_file_number": None,
        "eid_case_id": None,
        "eid_subject_id": None,
        "person_id": f"{rng.getrandbits(48):012x}",
    }
    for _, canonical in header:
        if canonical not in values:
            if canonical in FLAG_FIELDS:
                values[canonical] = yes_no()
            elif FIELD_TYPES.get(canonical) == "date":
                values[canonical] = (
                    day + dt.timedelta(days=rng.randrange(1, 90)) if rng.random() < 0.1 else None
                )
            else:
                values[canonical] = None
    return values
