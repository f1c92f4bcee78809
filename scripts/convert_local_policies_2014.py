"""Convert the 2008-2015 local policy table into detainerwatch's policy record format.

Reads data/raw/sanctuary-policies-2014/sanctuary_policies_2014.csv and the hand corrections in
src/detainerwatch/hand/policies/local_2014_corrections.csv; writes
src/detainerwatch/hand/policies/local_policies_2014.csv. Run again after editing corrections.
The coding of each criterion (prohibited vs limited holds) is printed in the output for review.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import addfips
import us

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data/raw/sanctuary-policies-2014/sanctuary_policies_2014.csv"
HAND = ROOT / "src/detainerwatch/hand/policies"
COLUMNS = [
    "jurisdiction_type",
    "jurisdiction_name",
    "state",
    "state_fips",
    "county_fips",
    "place_fips",
    "instrument_type",
    "citation",
    "short_title",
    "enacted_date",
    "effective_date",
    "end_date",
    "effect",
    "detainer_holds",
    "notification",
    "jail_access",
    "agreements_287g",
    "summary",
    "source_url",
    "source_note",
]
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def month_year(text: str) -> str:
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    m = re.fullmatch(r"([A-Z][a-z]{2})-(\d{2})", text)
    if not m:
        raise SystemExit(f"unreadable date {text!r}")
    return f"20{m.group(2)}-{MONTHS[m.group(1)]:02d}"


def instrument(policy: str) -> str:
    p = policy.lower()
    if "executive order" in p:
        return "executive_order"
    if "resolution" in p:
        return "resolution"
    if re.search(r"\bcase\b|cv-", p):
        return "consent_decree"
    if re.search(r"code|local law|\bact\b|ordinance|bylaw|article|trust act", p):
        return "ordinance"
    return "agency_policy"


def holds(criteria: str) -> str:
    c = criteria.lower().strip().rstrip(".")
    if re.fullmatch(r"(will not (be )?honou?r (ice|immigration) detainers?)", c):
        return "prohibited"
    return "limited"


def main() -> int:
    with open(HAND / "local_2014_corrections.csv") as fh:
        corrections = {r["location"]: r for r in csv.DictReader(fh)}
    af = addfips.AddFIPS()
    out = []
    with open(SOURCE, newline="", encoding="utf-8") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=2):
            location = row["Location"].strip()
            fix = corrections.get(location)
            if fix and fix["jurisdiction_type"] == "duplicate":
                continue  # the same instrument is a row of another table (reason in corrections)
            if fix:
                jtype, name, state, county = (
                    fix["jurisdiction_type"],
                    fix["jurisdiction_name"],
                    fix["state"],
                    fix["county_fips"],
                )
            else:
                place, _, state_name = location.rpartition(",")
                st = us.states.lookup(state_name.strip())
                if st is None:
                    raise SystemExit(f"row {number}: no state in {location!r}")
                state = st.abbr
                jtype = {"1": "city", "2": "county", "3": "state"}[row["Designation"].strip()]
                name = place.strip() if jtype != "state" else st.name
                county = ""
                if jtype == "county":
                    county = af.get_county_fips(name, state=state) or ""
                    if not county:
                        raise SystemExit(f"row {number}: county {name!r}, {state} not found")
            st = us.states.lookup(state)
            out.append(
                {
                    "jurisdiction_type": jtype,
                    "jurisdiction_name": name,
                    "state": state,
                    "state_fips": st.fips,
                    "county_fips": county,
                    "place_fips": "",
                    "instrument_type": instrument(row["Policy"]),
                    "citation": row["Policy"].strip(),
                    "short_title": row["Policy"].strip()[:80],
                    "enacted_date": month_year(row["Date Enacted"]),
                    "effective_date": "",
                    "end_date": "",
                    "effect": "limits_cooperation",
                    "detainer_holds": holds(row["Criteria for Honoring Detainer"]),
                    "notification": "unspecified",
                    "jail_access": "unspecified",
                    "agreements_287g": "unspecified",
                    "summary": re.sub(r"\s+", " ", row["Criteria for Honoring Detainer"]).strip(),
                    "source_url": "",
                    "source_note": f"sanctuary_policies_2014.csv row {number} (location as given: {location})",
                }
            )
    with open(HAND / "local_policies_2014.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)
    print(f"wrote {len(out)} records", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
