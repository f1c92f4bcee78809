"""Build the bundled national reference data from the raw public lists.

    .venv/bin/python scripts/build_reference.py [RAW_DIR]

RAW_DIR defaults to ../shared/data/raw (the project's copies of the public lists, each with its
SOURCES.md). Writes, under src/detainerwatch/data/reference/:

- places.csv.gz: every Census place (2020 list) and county subdivision (2010 list: towns and
  townships of the 12 strong-MCD states) with every county it extends into, by FIPS;
- facilities.csv.gz: the facility dictionary, one row per facility per source: HIFLD Prison
  Boundaries (national base, county FIPS), the ICE facility lists (2017 list with DETLOC codes,
  2015 DMCP list with operator and owner, FY19-FY26 detention-statistics sheets, Over-72-hour
  list), the US Marshals' facility list, and state DOC / BOP lists (stiles/prisons). Each row
  keeps its source; `kind` is the government type the source gives (HIFLD's TYPE; ICE's and the
  Marshals' contract types; private operation only where ICE or the Marshals say so);
  `county_fips` is the county the source lists, checked against the gazetteer, or the county of
  the facility's city when the city lies in one county only.

- indexes.pickle: the gazetteer's and the dictionary's indexes built from the two files above,
  the hand files and the installed addfips / zipcodes data, with the inputs' fingerprint and
  SHA-256s (link/prebuilt.py reads it lazily and ignores it when any input has changed).
  `--indexes` rebuilds this file alone, e.g. after a hand file changed.

Deterministic: the same inputs give the same bytes (rows sorted, gzip mtime 0).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/detainerwatch/data/reference"
sys.path.insert(0, str(ROOT / "src"))

# County names in the 2020 place list that the 2010 county list spells otherwise or lacks.
COUNTY_NAME_FIXES = {
    ("LA", "LaSalle Parish"): "22059",
    ("AK", "Chugach Census Area"): "02063",
    ("AK", "Copper River Census Area"): "02066",
    ("AK", "Kusilvak Census Area"): "02158",
    ("AK", "Petersburg Borough"): "02195",
    ("SD", "Oglala Lakota County"): "46102",
}
PLACE_SUFFIX = re.compile(
    r"\s+(city and borough|charter township|unified government \(balance\)|"
    r"consolidated government \(balance\)|"
    r"metro government \(balance\)|metropolitan government \(balance\)|government \(balance\)|"
    r"\(balance\)|urban county|city|town|village|borough|CDP|township|municipality|comunidad|"
    r"zona urbana|corporation|plantation|County|county|City)$"
)


def city_key(name: str) -> str:
    from detainerwatch.link.gazetteer import city_key as key

    return key(name)


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def county_fips_by_name(raw: Path) -> dict[tuple[str, str], str]:
    out = {}
    with open(raw / "census-places/national_county.txt", encoding="ascii", newline="") as fh:
        for st, stfp, cofp, name, _cls in csv.reader(fh):
            out[(st, fold(name))] = stfp + cofp
    for (st, name), fips in COUNTY_NAME_FIXES.items():
        out[(st, name)] = fips
    return out


def place_name(name: str) -> str:
    base = PLACE_SUFFIX.sub("", name).strip()
    return base or name


def build_places(raw: Path) -> list[list[str]]:
    counties = county_fips_by_name(raw)
    rows = {}
    with open(raw / "census-places/national_place2020.txt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="|"):
            fips = [counties.get((r["STATE"], fold(c))) for c in r["COUNTIES"].split("~~~")]
            if None in fips:
                raise SystemExit(f"county not found for {r['PLACENAME']}, {r['STATE']}")
            kind = "cdp" if r["TYPE"].startswith("CENSUS") else "incorporated"
            key = (r["STATE"], r["STATEFP"] + r["PLACEFP"])
            rows[key] = [
                r["STATE"],
                place_name(fold(r["PLACENAME"])),
                key[1],
                kind,
                ";".join(sorted(set(fips))),
                fold(r["PLACENAME"]),
            ]
            rows[key].append(city_key(rows[key][1]))
    with open(
        raw / "census-places/national_places.txt", encoding="utf-8", errors="replace", newline=""
    ) as fh:
        for line in fh:
            parts = line.rstrip("\r\n").split("|")
            if len(parts) < 7 or parts[4] != "County Subdivision" or parts[2] == "00000":
                continue
            st, stfp, fp, name, _t, _f, cnames = parts[:7]
            if "\ufffd" in name:
                continue
            fips = [counties.get((st, c.strip())) for c in cnames.split(", ")]
            if None in fips:
                continue
            key = (st, stfp + fp)
            if key in rows:  # a place of the same code (Philadelphia): the 2020 row stands
                continue
            rows[("MCD", st, stfp + fp)] = [
                st,
                place_name(name),
                stfp + fp,
                "subdivision",
                ";".join(sorted(set(fips))),
                name,
                city_key(place_name(name)),
            ]
    return sorted(rows.values())


# -- facilities ----------------------------------------------------------------------------
HIFLD_KIND = {
    "COUNTY": "county",
    "STATE": "state",
    "FEDERAL": "federal",
    "LOCAL": "local",
    "MULTI": "multi",
    "NOT AVAILABLE": "unknown",
}
ICE_TYPE_KIND = {
    "SPC": "ice",
    "STAGING": "ice",
    "HOLD": "ice",
    "FAMILY STAGING": "ice",
    "TAP-ICE": "ice",
    "CDF": "private",
    "USMS CDF": "private",
    "BOP": "federal",
    "IGSA": "igsa",
    "USMS IGA": "igsa",
    "DIGSA": "igsa",
    "STATE": "state",
    "DOD": "federal",
    "FAMILY": "unknown",
    "JUVENILE": "unknown",
    "OTHER": "unknown",
    "HOSPITAL": "unknown",
    "HOTEL": "unknown",
    "ORR": "unknown",
    "MIRP": "unknown",
    "USMS": "federal",
    "CONTRACT DETENTION FACILITY": "private",
    "SERVICE PROCESSING CENTER": "ice",
    "DEDICATED INTER-GOVERNMENTAL SERVICE AGREEMENT": "igsa",
    "INTER-GOVERNMENTAL SERVICE AGREEMENT": "igsa",
    "U.S. MARSHALS SERVICE INTER-GOVERNMENTAL AGREEMENT": "igsa",
    "U.S. MARSHALS SERVICE CONTRACT DETENTION FACILITY": "private",
    "FEDERAL BUREAU OF PRISONS": "federal",
}
PRIVATE_OPERATORS = re.compile(
    r"^(GEO|CCA|CORECIVIC|CEC|EMERALD|M ?& ?TC|MTC|LASALLE|AHTNA|"
    r"PRIVATE|CORNELL|LCS|DELANEY|AKAL|PAXTON|ASSET|ICA|COMMUNITY ED)"
)
USMS_KIND = {
    "IGA": "igsa",
    "Federal": "federal",
    "Private-Direct": "private",
    "Private-Passthru": "private",
    "Medical": "unknown",
}


def operator_kind(operator: str) -> str | None:
    op = (operator or "").strip().upper()
    if not op or op in ("NAN", "-"):
        return None
    if op.startswith("COUNTY") or op.startswith("SHERIFF"):
        return "county"
    if op.startswith("CITY") or op.startswith("TOWN"):
        return "city"
    if op.startswith("STATE") or op == "DOC":
        return "state"
    if op in ("ICE", "DHS"):
        return "ice"
    if op in ("BOP", "USM", "USMS", "FEDERAL"):
        return "federal"
    if PRIVATE_OPERATORS.match(op):
        return "private"
    return None


class Facilities:
    FIELDS = [
        "state",
        "name",
        "city",
        "county_fips",
        "county_from",
        "kind",
        "operator",
        "code",
        "source",
        "key",
        "city_key",
    ]

    def __init__(self):
        from detainerwatch.link import gazetteer as gz
        from detainerwatch.link.dictionary import check_county

        self.gz, self.check_county = gz, check_county
        self.rows: set[tuple] = set()

    def city_county(self, state: str, city: str | None) -> str:
        if not city:
            return ""
        counties = self.gz.place_counties(state, city)
        return counties[0] if len(counties) == 1 else ""

    def add(self, state, name, city, county_fips, kind, operator, code, source):
        st = self.gz.state(state or "")
        name = re.sub(r"\s+", " ", fold(name or "")).strip().upper()
        if st is None or not name:
            return
        city = re.sub(r"\s+", " ", fold(city or "").split("\n")[-1]).strip().upper()
        county_fips = (county_fips or "").strip()
        if county_fips and not county_fips.startswith(st.fips):
            county_fips = ""
        if county_fips.startswith("091"):
            # Connecticut's 2022 planning regions: the project (and the records) use the
            # counties, which the Census place list still gives.
            county_fips = ""
        county_from = "listed" if county_fips else ""
        if county_fips:
            county_fips = self.gz.current_fips(county_fips)
        else:
            county_fips = self.city_county(st.abbr, city)
            county_from = "city" if county_fips else ""
        # key, city_key: the name and city as link.gazetteer.normal() reads them (parenthesised
        # parts dropped), so that loading needs no text folding.
        key = self.gz.normal(re.sub(r"\([^)]*\)", " ", name))
        self.rows.add(
            (
                st.abbr,
                name,
                city,
                county_fips,
                county_from,
                kind,
                (operator or "").strip().upper(),
                (code or "").strip().upper(),
                source,
                key,
                self.gz.normal(city),
            )
        )

    def listed_county(self, state, city, name, county) -> str:
        st = self.gz.state(state or "")
        if st is None or not county or county.strip().upper() in ("NAN", ""):
            return ""
        fips, _flag = self.check_county(st.abbr, city, name, county)
        return fips or ""


def build_facilities(raw: Path) -> list[tuple]:
    f = Facilities()
    # HIFLD Prison Boundaries: the national base.
    with open(
        raw / "hifld-prison-boundaries/hifld_prison_boundaries_2024-10.csv",
        encoding="utf-8",
        newline="",
    ) as fh:
        for r in csv.DictReader(fh):
            status = "" if r["STATUS"] == "OPEN" else r["STATUS"].lower()
            f.add(
                r["STATE"],
                r["NAME"],
                r["CITY"],
                r["COUNTYFIPS"],
                HIFLD_KIND.get(r["TYPE"], "unknown"),
                "",
                r["FACILITYID"],
                "hifld-2024" + (f" ({status})" if status else ""),
            )
    # ICE facility list of 2017-11-06 (cleaned by UWCHR), in the repo's own data/raw.
    with gzip.open(
        ROOT / "data/raw/uwchr-ice-facilities/facil-list.csv.gz", "rt", encoding="utf-8"
    ) as fh:
        for r in csv.DictReader(fh, delimiter="|"):
            kind = (
                operator_kind(r.get("facility_operator"))
                or ICE_TYPE_KIND.get((r["type_detailed"] or "").strip().upper())
                or ICE_TYPE_KIND.get((r["type"] or "").strip().upper(), "unknown")
            )
            county = f.listed_county(r["state"], r["city"], r["name"], r["county"])
            f.add(
                r["state"],
                r["name"],
                r["city"],
                county,
                kind,
                r.get("facility_operator", "").replace("nan", ""),
                r["detloc"],
                "ice-2017",
            )
    # ICE DMCP list of 2015-12 (DETLOC, county, operator, owner).
    with open(
        raw / "ice-detention-stats/ice_dmcp_facility_list_2015-12.csv", encoding="utf-8", newline=""
    ) as fh:
        for r in csv.DictReader(fh):
            kind = operator_kind(r["Facility Operator"]) or ICE_TYPE_KIND.get(
                (r["Type Detailed"] or "").strip().upper(), "unknown"
            )
            county = f.listed_county(r["State"], r["City"], r["Name"], r["County"])
            f.add(
                r["State"],
                r["Name"],
                r["City"],
                county,
                kind,
                r["Facility Operator"],
                r["DETLOC"],
                "ice-2015",
            )
    with open(
        raw / "ice-detention-stats/ice_facilities_fy19_fy26.csv", encoding="utf-8", newline=""
    ) as fh:
        for r in csv.DictReader(fh):
            f.add(
                r["state"],
                r["name"],
                r["city"],
                "",
                ICE_TYPE_KIND.get((r["type_detailed"] or "").strip().upper(), "unknown"),
                "",
                "",
                "ice-detention-stats",
            )
    with open(
        raw / "ice-detention-stats/ice_over72hour_facilities.csv", encoding="utf-8", newline=""
    ) as fh:
        for r in csv.DictReader(fh):
            f.add(
                r["state"],
                r["facility_name"],
                r["city"],
                "",
                ICE_TYPE_KIND.get((r["facility_type_detailed"] or "").strip().upper(), "unknown"),
                "",
                "",
                "ice-over72",
            )
    with open(
        raw / "usms-facilities-2025/usms_adp_by_facility_2024-12_2025-07.csv",
        encoding="utf-8",
        newline="",
    ) as fh:
        for r in csv.DictReader(fh):
            f.add(
                r["facility_state"],
                r["facility_name"],
                r["facility_city"],
                "",
                USMS_KIND.get(r["type"], "unknown"),
                "",
                "",
                "usms-2025",
            )
    # State DOC and BOP lists (stiles/prisons).
    stiles = raw / "stiles-prisons"
    for path in sorted(stiles.glob("*_prisons.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                state = r.get("state") or ""
                if path.name.startswith("federal"):
                    code, kind = r.get("code", ""), "federal"
                    name = f"{r['type']} {r['name']}" if r.get("type") else r["name"]
                else:
                    code = r.get("unit_code") or r.get("acronym") or ""
                    kind = "state"
                    name = r["name"]
                county = r.get("county") or r.get("counties_served") or ""
                fips = ""
                st = f.gz.state(state)
                if county and st:
                    found = f.gz.counties_named(st.abbr, county)
                    fips = found[0].fips if len(found) == 1 else ""
                source = f"stiles-{path.stem.replace('_prisons', '')}"
                f.add(state, name, r.get("city"), fips, kind, "", code, source)
                if r.get("unit_full_name"):
                    f.add(state, r["unit_full_name"], r.get("city"), fips, kind, "", code, source)
                for unit in re.findall(r"'([^']+)'", r.get("units") or ""):
                    # Arizona: each unit of a complex ('Alhambra Unit' of ASPC-Phoenix).
                    f.add(state, f"{r['name']} {unit}", r.get("city"), fips, kind, "", code, source)
    return sorted(f.rows)


def write_gz(path: Path, header: list[str], rows) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    with (
        open(path, "wb") as raw_fh,
        gzip.GzipFile(fileobj=raw_fh, mode="wb", mtime=0, filename="") as gz_fh,
    ):
        gz_fh.write(buf.getvalue().encode("utf-8"))


def build_indexes() -> None:
    """Write indexes.pickle from the bundled files as they are now."""
    import hashlib
    import platform
    from functools import partial

    from detainerwatch.link import gazetteer as gz
    from detainerwatch.link import prebuilt, reference

    prebuilt.DEFAULT = prebuilt.Prebuilt(OUT / "<none>")  # build every index from its sources
    gz.reset()
    package = ROOT / "src" / "detainerwatch"
    inputs = {}
    for path in prebuilt._input_files():
        shown = path.relative_to(package) if path.is_relative_to(package) else path.name
        inputs[str(shown)] = hashlib.sha256(path.read_bytes()).hexdigest()
    size = prebuilt.write(
        prebuilt.PATH,
        {
            "gazetteer.states": gz._build_states,
            "gazetteer.counties": gz._build_counties,
            "gazetteer.county_index": gz._build_county_index,
            "gazetteer.places": gz._build_place_indexes,
            "gazetteer.zip_counties": gz._build_city_counties,
            "gazetteer.city_county_sets": gz._build_city_county_index,
            "reference.facilities": reference._build_facility_indexes,
            # each state's part of the place index too, read alone by lookups within a state
            **{
                f"gazetteer.places.{abbr}": partial(gz._split_places, abbr)
                for abbr in gz.place_index_states()
            },
        },
        {
            "built_by": "scripts/build_reference.py --indexes",
            "python": platform.python_version(),
            "inputs_sha256": inputs,
        },
    )
    print(f"indexes.pickle: {size:,} bytes")


def main(argv: list[str]) -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":
        # Sets in the pickled indexes are written in hash order: a fixed seed, the same bytes.
        os.execve(
            sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"}
        )
    if argv[:1] == ["--indexes"]:
        build_indexes()
        return
    raw = Path(argv[0]) if argv else ROOT.parent / "shared/data/raw"
    if not raw.exists():
        raw = Path("/work/shared/data/raw")
    OUT.mkdir(parents=True, exist_ok=True)
    places = build_places(raw)
    write_gz(
        OUT / "places.csv.gz",
        ["state", "name", "place_fips", "kind", "county_fips", "census_name", "key"],
        places,
    )
    print(f"places.csv.gz: {len(places)} places and county subdivisions")
    from detainerwatch.link import gazetteer as gz

    gz.reset()  # the facilities step uses the places just written
    facilities = build_facilities(raw)
    write_gz(OUT / "facilities.csv.gz", Facilities.FIELDS, facilities)
    print(f"facilities.csv.gz: {len(facilities)} facility rows")
    build_indexes()


if __name__ == "__main__":
    main(sys.argv[1:])
