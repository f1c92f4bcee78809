"""Synthetic ICE detainer workbooks in exactly the documented layouts, for tests and benchmarks.

Seeded and deterministic (same arguments, same bytes). Preamble rows 1-6, header on row 7,
one sheet per fiscal year with continuation sheets at the row cap, a last "Footnotes" sheet;
facilities (names, codes, cities, states) drawn from the real ICE facility list; value sets
from the layout doc; blank optional fields; redaction markers in any column, before and after
row 5,000. The manifest returned (and written beside the file by the CLI) says what was
written: rows per sheet, markers per field, likely duplicates. It never replaces the real
samples: it exists to test scale and the guarantees that must hold at any size.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import xlsxwriter

from .errors import UsageError
from .handfiles import read_csv
from .sources.fields import DETAINER_FIELDS
from .sources.layouts import ice_2023, ice_2025, ice_2026

EXCEL_MAX_ROWS = 1_048_576
HEADER_ROW = 7  # Excel row of the header; data from row 8
MARKERS = ["b(6), b(7)c", "b(6), b(7)C", "(b)(6)(b)(7)(c)", "(b)(6),(b)(7)c)", "(b)(7)e)",
           "b(7)(e)", "(B)(3)"]
LAYOUTS = {"2026": ice_2026, "2025": ice_2025, "2023": ice_2023}
RELEASE_TITLE = {"2026": "2026-ICLI-00005 Detainers FY2023 - FY2026 (through March 10, 2026)",
                 "2025": "2025-ICLI-00019 Detainers FY2023 - FY2025",
                 "2023": "2023-ICFO-00000 Detainers FY2023"}
FISCAL_YEARS = {"2026": [2023, 2024, 2025, 2026], "2025": [2023, 2024, 2025], "2023": [2023]}
LAST_DAY = {"2026": dt.date(2026, 3, 10), "2025": dt.date(2025, 6, 30), "2023": dt.date(2023, 9, 30)}
EXCEL_EPOCH = dt.date(1899, 12, 30)
FIXED_TIME = dt.datetime(2026, 3, 11, 12, 0, 0)

LIFT_WEIGHTS = {"Booked into Detention": 38, "": 30, "Detainer Declined by LEA": 4,
                "Case Closed": 5, "Duplicate": 3, "Early Release": 2,
                "No longer in State, Local, or Federal Custody": 6, "Prosecutorial Discretion": 2,
                "Superseding - New Form Issued": 4, "USC or Presumptive Claim to US Citizenship": 1,
                "Insufficient Notice to ICE": 2, "ICE Temporary Resource Constraint": 1,
                "Not Amenable to Removal": 1, "Noncitizen Not Amenable to Removal": 1,
                "Judicial Review": 1}
LIFT_CODES = {"Detainer Declined by LEA": "A", "Booked into Detention": "B", "Case Closed": "C",
              "Duplicate": "D", "Early Release": "E", "Prosecutorial Discretion": "P"}
CHARGES = [("1313", "ASSAULT - SIMPLE"), ("1399", "ASSAULT"), ("3599", "DANGEROUS DRUGS"),
           ("3562", "MARIJUANA - POSSESS"), ("5404", "DRIVING UNDER INFLUENCE LIQUOR"),
           ("5499", "TRAFFIC OFFENSE"), ("2399", "LARCENY"), ("2299", "BURGLARY"),
           ("1299", "ROBBERY"), ("0999", "HOMICIDE"), ("1199", "SEXUAL ASSAULT"),
           ("5299", "WEAPON OFFENSE"), ("7399", "PUBLIC ORDER CRIMES"), ("4801", "RESISTING OFFICER"),
           ("0399", "IMMIGRATION"), ("2699", "FRAUD"), ("3899", "FAMILY OFFENSE")]
COUNTRIES = ["MEXICO", "GUATEMALA", "HONDURAS", "EL SALVADOR", "VENEZUELA", "COLOMBIA", "ECUADOR",
             "CUBA", "HAITI", "DOMINICAN REPUBLIC", "BRAZIL", "INDIA", "CHINA, PEOPLES REPUBLIC OF",
             "NICARAGUA", "PERU"]
FIELD_TYPES = {f.name: f.type for f in DETAINER_FIELDS}
IDENTIFIER_COLUMNS = ("alien_file_number", "eid_case_id", "eid_subject_id", "eid_dta_id")
FLAG_FIELDS = {r["field"] for r in read_csv("value_sets.csv") if r["note"] == "Yes/No flag"}


def _facilities() -> list[dict]:
    path = Path(__file__).resolve().parent / "data" / "facility_sample.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _value_set(field: str) -> list[str]:
    return sorted({r["value"] for r in read_csv("value_sets.csv") if r["field"] == field})


def synthesize(layout: str, rows: int, out: Path, *, seed: int = 0,
               sheet_rows: int = EXCEL_MAX_ROWS, marker_from_row: int = 5001,
               marker_rate: float = 0.002, progress=None) -> dict:
    """Write a workbook of `rows` detainers in `layout` ("2026", "2025", "2023")."""
    if layout not in LAYOUTS:
        raise UsageError(f"--layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
    if rows < 1:
        raise UsageError(f"--rows {rows}: expected at least 1")
    if not HEADER_ROW + 1 < sheet_rows <= EXCEL_MAX_ROWS:
        raise UsageError(f"--sheet-rows {sheet_rows}: expected {HEADER_ROW + 2} to {EXCEL_MAX_ROWS}")
    out = Path(out)
    if not out.parent.exists():
        raise UsageError(f"{out.parent}: no such folder")
    rng = random.Random(seed)
    module = LAYOUTS[layout]
    header_all = list(module.HEADER)
    facilities = _facilities()
    type_values = _value_set("detainer_type")
    lift_values, lift_weights = zip(*LIFT_WEIGHTS.items())
    case_status = _value_set("case_status")
    manifest = {"layout": layout, "rows": rows, "seed": seed, "sheets": {},
                "markers": {c: 0 for _, c in header_all}, "markers_after_row_5000": {},
                "likely_duplicates": 0}

    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": FIXED_TIME, "title": RELEASE_TITLE[layout],
                       "author": "detainerwatch synth"})
    date_fmt = wb.add_format({"num_format": "mm/dd/yyyy"})
    time_fmt = wb.add_format({"num_format": "mm/dd/yyyy hh:mm"})
    years = FISCAL_YEARS[layout]
    per_year = [rows // len(years) + (1 if i < rows % len(years) else 0) for i in range(len(years))]
    capacity = sheet_rows - HEADER_ROW
    # Fields whose markers must appear after row 5,000 at least once (when rows allow).
    must_mark = [c for _, c in header_all if c != "prepare_date"]
    written = 0
    last_person = None
    for fy, count in zip(years, per_year):
        header = [(h, c) for h, c in header_all
                  if not (layout == "2026" and fy in (2023, 2024) and c == "birth_date")]
        fy_start, fy_end = dt.date(fy - 1, 10, 1), min(dt.date(fy, 9, 30), LAST_DAY[layout])
        span = (fy_end - fy_start).days
        part, remaining = 1, count
        while remaining > 0 or part == 1:
            n = min(remaining, capacity)
            name = f"FY{fy}" if part == 1 else f"FY{fy} ({part})"
            ws = wb.add_worksheet(name)
            _preamble(ws, layout, header, fy_start, fy_end)
            prepare_days = sorted(rng.randrange(span + 1) for _ in range(n))
            for i in range(n):
                excel_row = HEADER_ROW + 1 + i
                day = fy_start + dt.timedelta(days=prepare_days[i])
                values = _row(rng, header, day, facilities, type_values, lift_values, lift_weights,
                              case_status, layout)
                person = values.get("person_id")
                if last_person and rng.random() < 0.003:
                    values["person_id"], values["prepare_date"] = last_person
                    manifest["likely_duplicates"] += 1
                last_person = (values["person_id"], values["prepare_date"])
                for col, (_, canonical) in enumerate(header):
                    value = values.get(canonical)
                    marker = None
                    if canonical in IDENTIFIER_COLUMNS:  # entirely redacted, in every release
                        marker = MARKERS[(i + col) % len(MARKERS)]
                    elif canonical != "prepare_date" and rng.random() < marker_rate:
                        marker = rng.choice(MARKERS)
                    elif excel_row >= marker_from_row and must_mark and canonical == must_mark[0] \
                            and canonical not in manifest["markers_after_row_5000"]:
                        marker = rng.choice(MARKERS)
                    if marker is not None:
                        ws.write_string(excel_row - 1, col, marker)
                        manifest["markers"][canonical] += 1
                        if excel_row >= marker_from_row:
                            manifest["markers_after_row_5000"][canonical] = \
                                manifest["markers_after_row_5000"].get(canonical, 0) + 1
                            if must_mark and canonical == must_mark[0]:
                                must_mark.pop(0)
                        continue
                    if value is None or value == "":
                        continue
                    if isinstance(value, dt.datetime):
                        serial = (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400
                        ws.write_number(excel_row - 1, col, serial, time_fmt)
                    elif isinstance(value, dt.date):
                        ws.write_number(excel_row - 1, col, (value - EXCEL_EPOCH).days, date_fmt)
                    elif isinstance(value, (int, float)):
                        ws.write_number(excel_row - 1, col, value)
                    else:
                        ws.write_string(excel_row - 1, col, value)
                written += 1
                if progress and written % 10_000 == 0:
                    progress(10_000)
            manifest["sheets"][name] = n
            remaining -= n
            part += 1
            if remaining <= 0:
                break
    notes = wb.add_worksheet("Footnotes")
    for i, text in enumerate(["Footnotes",
                              "1. Data are from ICE's Enforcement Integrated Database (synthetic).",
                              "2. Detainer Prepare Date is the date the detainer was prepared.",
                              "3. Redactions under FOIA exemptions b(6), b(7)(c) and b(7)(e).",
                              "4. Generated by detainerwatch synth for tests; not real records."]):
        notes.write_string(i, 0, text)
    wb.close()
    if progress:
        progress(written % 10_000)
    manifest["markers"] = {k: v for k, v in manifest["markers"].items() if v}
    return manifest


def _preamble(ws, layout, header, fy_start, fy_end) -> None:
    ws.write_string(0, 0, "ERO-LESA Statistical Tracking Unit")
    ws.write_string(1, 0, "For Official Use Only (FOUO)/Pre-decisional")
    ws.write_string(2, 0, RELEASE_TITLE[layout])
    ws.write_string(3, 0, "Please review the last tab for footnotes")
    ws.write_string(5, 0, f"Detainers: {fy_start:%m/%d/%Y} - {fy_end:%m/%d/%Y}")
    ws.write_row(HEADER_ROW - 1, 0, [h for h, _ in header])


def _row(rng, header, day, facilities, type_values, lift_values, lift_weights, case_status, layout):
    fac = facilities[min(int(rng.paretovariate(1.2)) - 1, len(facilities) - 1)
                     if rng.random() < 0.5 else rng.randrange(len(facilities))]
    lift = rng.choices(lift_values, lift_weights)[0]
    crim = rng.choices(["1 Convicted Criminal", "2 Pending Criminal Charges",
                        "3 Other Immigration Violator"], [55, 30, 15])[0]
    convicted = crim.startswith("1")
    code, charge = rng.choice(CHARGES) if convicted else (None, None)
    birth = dt.date(rng.randrange(1950, 2006), rng.randrange(1, 13), rng.randrange(1, 29))
    yes_no = lambda p=0.2: rng.choices(["YES", "NO", None], [p, 1 - p - 0.1, 0.1])[0]  # noqa: E731
    values = {
        "prepare_date": day, "facility_state": fac["state"], "facility_aor": fac["aor"] or None,
        "port_of_departure": None, "departure_country": None, "departed_date": None,
        "case_status": rng.choice(case_status), "criminality": crim,
        "facility_name": fac["name"], "facility_code": fac["detloc"], "facility_city": fac["city"] or None,
        "threat_level": rng.choices(["1", "2", "3", None], [25, 25, 25, 25])[0] if convicted else None,
        "gender": rng.choices(["Male", "Female", "Unknown"], [88, 11, 1])[0],
        "citizenship_country": rng.choice(COUNTRIES), "birth_country": rng.choice(COUNTRIES),
        "birth_date": birth, "birth_year": birth.year,
        "entry_status": rng.choice(["Not  Applicable", "EWI - Entry Without Inspection",
                                    "B2 - Visitor for Pleasure", None]),
        "msc_charge": charge, "msc_charge_code": code,
        "msc_sentence_days": rng.randrange(0, 365) if convicted and rng.random() < 0.5 else None,
        "msc_sentence_months": rng.randrange(0, 24) if convicted and rng.random() < 0.3 else None,
        "msc_sentence_years": rng.randrange(0, 10) if convicted and rng.random() < 0.2 else None,
        "msc_charge_date": day - dt.timedelta(days=rng.randrange(30, 3000)) if convicted else None,
        "msc_conviction_date": day - dt.timedelta(days=rng.randrange(1, 900)) if convicted else None,
        "aggravated_felon": "Not an Aggravated Felon" if rng.random() < 0.9 else "Aggravated Felon",
        "processing_disposition": rng.choice(["Detainer", "Warrant of Arrest/Notice to Appear", "Other"]),
        "case_category": rng.choice(["[16] Reinstated Final Order", "[8F] Expedited Removal",
                                     "[2A] Deportable - Under Adjudication by IJ", "[10] Visa Waiver Deportation / Removal"]),
        "final_program": rng.choice(["ERO Criminal Alien Program", "287(g) Program", None]),
        "toa_case_category": rng.choice(["[8C] Excludable / Inadmissible - Administrative Final Order Issued", None]),
        "toa_current_program": rng.choice(["ERO Criminal Alien Program", None]),
        "apprehension_method": rng.choice(["CAP Local Incarceration", "287(g) Program", "Non-Custodial Arrest"]),
        "final_order": yes_no(0.3), "final_order_date": day + dt.timedelta(days=rng.randrange(1, 200)) if rng.random() < 0.2 else None,
        "apprehension_date": dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60))) if rng.random() < 0.6 else None,
        "entry_date": dt.date(rng.randrange(1990, 2024), rng.randrange(1, 13), 1) if rng.random() < 0.7 else None,
        "other_removal_reason": None, "tod_current_duty_site": fac["aor"] or None,
        "lift_reason": lift or None, "lift_reason_code": LIFT_CODES.get(lift) if lift else None,
        "detainer_type": rng.choices(type_values, [1] * len(type_values))[0],
        "arrest_warrant_served_date": None, "eid_dta_id": None,
        "alien_file_number": None, "eid_case_id": None, "eid_subject_id": None,
        "person_id": f"{rng.getrandbits(48):012x}",
    }
    for _, canonical in header:
        if canonical not in values:
            if canonical in FLAG_FIELDS:
                values[canonical] = yes_no()
            elif FIELD_TYPES.get(canonical) == "date":
                values[canonical] = day + dt.timedelta(days=rng.randrange(1, 90)) \
                    if rng.random() < 0.1 else None
            else:
                values[canonical] = None
    return values
