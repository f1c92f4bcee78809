"""Policy records: state laws, rulings, local policies and 287(g) agreements, with provenance.

Records come from the reviewed CSVs in ``hand/policies/`` and from user files in the same
format (see its README). Each is validated (a bad record raises InputError naming file, row and
column), resolved to FIPS codes, and stored in the ``policies`` table with its origin file and
row. ``in_force`` answers which instruments applied to a jurisdiction during a period.
"""

from __future__ import annotations

from typing import Any, NoReturn

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from collections.abc import Sequence
from pathlib import Path


from ..errors import InputError
from ..handfiles import HAND_DIR
from ..store.schema import POLICIES_DDL
from duckdb import DuckDBPyConnection

POLICY_DIR = HAND_DIR / "policies"
RECORD_COLUMNS = [
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
STATE_LAW_COLUMNS = [
    "state_fips",
    "state",
    "instrument_type",
    "citation",
    "short_title",
    "enacted_date",
    "effective_date",
    "effect",
    "detainer_holds",
    "notification",
    "jail_access",
    "agreements_287g",
    "summary",
    "source_url",
]
REQUIRED = [
    "jurisdiction_type",
    "jurisdiction_name",
    "state",
    "instrument_type",
    "effect",
    "detainer_holds",
]
# "counties": one instrument of all county jails of a state (e.g. the 2014 "Colorado County Jails"
# row): it applies to each county's jail, not to the state government.
# Who enacted a policy record (not the custody types of store.schema.JURISDICTION_TYPES).
POLICY_JURISDICTION_TYPES = {"state", "county", "city", "counties"}
INSTRUMENT_TYPES = {
    "statute",
    "court_ruling",
    "ag_directive",
    "executive_order",
    "ballot_measure",
    "ordinance",
    "resolution",
    "agency_policy",
    "consent_decree",
    "agreement_287g",
}
# declares_voluntary: a federal ruling that a detainer is a request (limits no one by itself);
# restricts_ice: a ruling that binds ICE's issuing of detainers, not local agencies.
EFFECTS = {
    "limits_cooperation",
    "requires_cooperation",
    "mixed",
    "declares_voluntary",
    "restricts_ice",
}
PRACTICES = {"prohibited", "limited", "required", "allowed", "unspecified"}
PRACTICE_COLUMNS = ["detainer_holds", "notification", "jail_access", "agreements_287g"]
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

DDL = POLICIES_DDL  # the table is defined in store/schema.py


@lru_cache(maxsize=1)
def _addfips() -> Any:
    """addfips's county lists, loaded on first need (a county record without county_fips): they
    took 0.1 s of every command's start-up (issue 16)."""
    import addfips

    return addfips.AddFIPS()


@dataclass
class Policy:
    policy_id: str
    origin: str  # "built-in" or "user"
    origin_file: str
    origin_row: int
    values: dict[str, Any]

    def row(self) -> list[Any]:
        v = self.values
        return [
            self.policy_id,
            self.origin,
            self.origin_file,
            self.origin_row,
            *[v.get(c, "") or None for c in RECORD_COLUMNS[:12]],
            v["in_force_from"],
            v["in_force_to"],
            v["date_precision"],
            *[v.get(c, "") or None for c in RECORD_COLUMNS[12:]],
        ]


def read_policy_file(path: Path, origin: str = "user") -> list[Policy]:
    """Read and validate one CSV of policy records (either accepted layout)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            if header == STATE_LAW_COLUMNS:
                rows = [(n, _from_state_law(r)) for n, r in enumerate(reader, start=2)]
            else:
                missing = [c for c in REQUIRED if c not in header]
                if missing:
                    raise InputError(
                        path,
                        f"a policy file with column {missing[0]!r} (see "
                        "hand/policies/README.md for the format)",
                        row=1,
                        column=missing[0],
                    )
                unknown = [c for c in header if c not in RECORD_COLUMNS]
                if unknown:
                    raise InputError(
                        path,
                        "only the columns of the policy record format",
                        row=1,
                        column=unknown[0],
                    )
                rows = list(enumerate(reader, start=2))
    except UnicodeDecodeError:
        raise InputError(path, "UTF-8 text") from None
    except FileNotFoundError:
        raise InputError(path, "an existing file") from None
    policies = []
    for number, raw in rows:
        values = _validate(path, number, {k: (v or "").strip() for k, v in raw.items() if k})
        policies.append(Policy(f"{path.name}:{number}", origin, path.name, number, values))
    return policies


def _from_state_law(row: dict[str, Any]) -> dict[str, Any]:
    import us  # the states list: loaded when policies are read, not by every command

    state = us.states.lookup(row["state"]) if row.get("state") else None
    out = {c: row.get(c, "") for c in RECORD_COLUMNS}
    out.update(
        jurisdiction_type="state",
        jurisdiction_name=state.name if state else row["state"],
        county_fips="",
        place_fips="",
        end_date="",
        source_note="state_detainer_law.csv",
    )
    return out


def _validate(path: Path, row: int, v: dict[str, Any]) -> dict[str, Any]:
    def fail(column: str, expected: str) -> NoReturn:
        raise InputError(path, expected, row=row, column=column, found=v.get(column, ""))

    for column in REQUIRED:
        if not v.get(column):
            fail(column, "a value")
    if v["jurisdiction_type"] not in POLICY_JURISDICTION_TYPES:
        fail("jurisdiction_type", "one of " + ", ".join(sorted(POLICY_JURISDICTION_TYPES)))
    import us

    state = us.states.lookup(v["state"]) if len(v["state"]) == 2 else None
    if state is None:
        fail("state", "a USPS state code such as PA")
    if v.get("state_fips") and v["state_fips"] != state.fips:
        fail("state_fips", f"{state.fips}, the FIPS code of {state.abbr}")
    v["state_fips"] = state.fips
    if v["instrument_type"] not in INSTRUMENT_TYPES:
        fail("instrument_type", "one of " + ", ".join(sorted(INSTRUMENT_TYPES)))
    if v["effect"] not in EFFECTS:
        fail("effect", "one of " + ", ".join(sorted(EFFECTS)))
    for column in PRACTICE_COLUMNS:
        v[column] = v.get(column) or "unspecified"
        if v[column] not in PRACTICES:
            fail(column, "one of " + ", ".join(sorted(PRACTICES)))
    if not (v.get("citation") or v.get("source_url")):
        fail("citation", "a citation or a source_url")
    for column in ("enacted_date", "effective_date", "end_date"):
        if v.get(column) and not _valid_date(v[column]):
            fail(column, "a date YYYY-MM-DD, YYYY-MM or YYYY")
    county = v.get("county_fips", "")
    if v["jurisdiction_type"] == "county" and not county:
        county = _addfips().get_county_fips(v["jurisdiction_name"], state=state.abbr) or ""
        if not county:
            fail("jurisdiction_name", f"a county of {state.abbr} (or give county_fips)")
        v["county_fips"] = county
    if v["jurisdiction_type"] in ("state", "counties") and county:
        fail("county_fips", "blank for a state-wide record")
    if county and (not re.fullmatch(r"\d{5}", county) or not county.startswith(state.fips)):
        fail("county_fips", f"5 digits beginning with {state.fips}")
    place = v.get("place_fips", "")
    if place and (not re.fullmatch(r"\d{7}", place) or not place.startswith(state.fips)):
        fail("place_fips", f"7 digits beginning with {state.fips}")
    start_text = v.get("effective_date") or v.get("enacted_date")
    v["in_force_from"] = _period_start(start_text) if start_text else None
    v["in_force_to"] = _period_end(v["end_date"]) if v.get("end_date") else None
    v["date_precision"] = (
        {4: "year", 7: "month", 10: "day"}[len(start_text)] if start_text else "unknown"
    )
    if v["in_force_from"] and v["in_force_to"] and v["in_force_to"] < v["in_force_from"]:
        fail("end_date", "a date after the start")
    return v


def _valid_date(text: str) -> bool:
    if not DATE_RE.match(text):
        return False
    try:
        _period_start(text)
        return True
    except ValueError:
        return False


def _period_start(text: str) -> dt.date:
    parts = [int(p) for p in text.split("-")]
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _period_end(text: str) -> dt.date:
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    if len(parts) == 2:
        nxt = dt.date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    return dt.date(parts[0], 12, 31)


def built_in_files() -> list[Path]:
    return sorted(p for p in POLICY_DIR.glob("*.csv") if p.name != "local_2014_corrections.csv")


def refresh_policies(con: DuckDBPyConnection, extra_files: Sequence[Path] = ()) -> int:
    """Reload the built-in records (and add users' files) inside the caller's transaction.
    User records already in the store are kept; a file added again replaces its own rows."""
    con.execute(DDL)
    built_in = [p for path in built_in_files() for p in read_policy_file(path, "built-in")]
    added = [p for path in extra_files for p in read_policy_file(Path(path), "user")]
    con.execute("DELETE FROM policies WHERE origin = 'built-in'")
    for name in {p.origin_file for p in added}:
        con.execute("DELETE FROM policies WHERE origin = 'user' AND origin_file = ?", [name])
    rows = [p.row() for p in built_in + added]
    if rows:
        con.executemany(f"INSERT INTO policies VALUES ({', '.join(['?'] * len(rows[0]))})", rows)
    return len(rows)


def add_policy_files(db: str | Path | None, files: list[Path]) -> int:
    """Validate users' policy files and add them to the store at db with the built-in records,
    in one transaction: a bad record stops everything with its file, row and column."""
    from ..store import connect

    con = connect(db)
    con.execute("BEGIN TRANSACTION")
    try:
        total = refresh_policies(con, list(files))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return total


def built_in_records() -> list[str]:
    """The records of this version's built-in policy files as built_in_current compares them
    (each record's coded fields, sorted): they depend on the files and this module only, so a
    caller may keep them (publish/audit.py keeps them by the files' bytes)."""
    return sorted(
        repr(tuple(p.row()[4:]))
        for path in built_in_files()
        for p in read_policy_file(path, "built-in")
    )


def built_in_current(con: DuckDBPyConnection, records: list[str] | None = None) -> bool:
    """Whether the store's built-in policy records are this version's hand files (a store
    loaded by an earlier version keeps its old coding until the next ingest or policies add);
    records: built_in_records(), when the caller kept them."""
    if not _has_table(con):
        return False
    files = built_in_records() if records is None else records
    stored = sorted(
        repr(tuple(r))
        for r in con.execute(
            "SELECT * EXCLUDE (policy_id, origin, origin_file, origin_row) FROM policies "
            "WHERE origin = 'built-in'"
        ).fetchall()
    )
    return files == stored


# A state law that requires (or forbids restricting) compliance with detainer holds ends a
# county's or city's own policy of declining them: the local record, when it has no end date of
# its own, is taken to end the day before that law took effect. Court orders and consent
# decrees are not ended by state law. A record with an explicit end_date is left as it is.
PREEMPTING_HOLDS = {"required", "allowed"}
NOT_PREEMPTED = {"court_ruling", "consent_decree"}


def _apply_preemption(rows: list[dict[str, Any]]) -> None:
    state_laws = [
        p
        for p in rows
        if p["jurisdiction_type"] == "state"
        and p["effect"] == "requires_cooperation"
        and p["in_force_from"] is not None
        and p["detainer_holds"] in PREEMPTING_HOLDS
    ]
    for p in rows:
        p.setdefault("superseded_by", None)
        if (
            p["jurisdiction_type"] not in ("county", "city", "counties")
            or p["effect"] != "limits_cooperation"
            or p["in_force_to"] is not None
            or p["instrument_type"] in NOT_PREEMPTED
        ):
            continue
        later = [
            s
            for s in state_laws
            if s["state_fips"] == p["state_fips"]
            and (p["in_force_from"] is None or s["in_force_from"] > p["in_force_from"])
        ]
        if later:
            law = min(later, key=lambda s: s["in_force_from"])
            p["in_force_to"] = law["in_force_from"] - dt.timedelta(days=1)
            p["superseded_by"] = (
                f"{law['short_title']} (state law in force from "
                f"{law['in_force_from'].isoformat()}; end date inferred)"
            )


class PolicyIndex:
    """All policy records, read once; answers in_force for many jurisdictions in memory (a
    national report asks for ~800 jurisdictions: each looks up the records keyed by its state,
    county, place and city name instead of testing every record)."""

    def __init__(self, con: DuckDBPyConnection) -> None:
        self.rows: list[dict[str, Any]] = []
        if _has_table(con):
            result = con.execute(
                "SELECT * FROM policies ORDER BY in_force_from NULLS LAST, policy_id"
            )
            names = [d[0] for d in result.description]
            self.rows = [dict(zip(names, r, strict=True)) for r in result.fetchall()]
            _apply_preemption(self.rows)
        # each record's position under every key a jurisdiction may ask it by (in_force's rules)
        self._by_key: dict[tuple[Any, ...], list[int]] = {}
        for i, p in enumerate(self.rows):
            kind = p["jurisdiction_type"]
            keys: list[tuple[Any, ...]] = []
            if kind == "state":
                keys.append(("state", p["state_fips"]))
            elif kind == "county":
                keys.append(("county", p["county_fips"]))
            elif kind == "counties":
                keys.append(("counties", p["state_fips"]))
            elif kind == "city":
                keys.append(("place", p["place_fips"]))
                keys.append(("city", p["state_fips"], (p["jurisdiction_name"] or "").lower()))
            for key in keys:
                self._by_key.setdefault(key, []).append(i)

    def in_force(
        self,
        *,
        state_fips: str,
        county_fips: str | None = None,
        place_fips: str | None = None,
        city_name: str | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        """The records that apply (the state's own; for a county its own and those of all
        county jails of its state; for a city its own, by place code or by name within its
        state) and were in force at any time in [start, end], in the index's order."""
        city = city_name.lower() if city_name else None
        keys: list[tuple[Any, ...]] = [("state", state_fips)]
        if county_fips is not None:
            keys += [("county", county_fips), ("counties", state_fips)]
        if place_fips is not None:
            keys.append(("place", place_fips))
        if city is not None:
            keys.append(("city", state_fips, city))
        found = sorted({i for key in keys for i in self._by_key.get(key, ())})
        out = []
        for i in found:
            p = self.rows[i]
            if end is not None and p["in_force_from"] is not None and p["in_force_from"] > end:
                continue
            if start is not None and p["in_force_to"] is not None and p["in_force_to"] < start:
                continue
            out.append(p)
        return out


# The fields of a policy record that the report, profiles and audits publish (the one list).
INSTRUMENT_FIELDS = (
    "policy_id",
    "jurisdiction_type",
    "jurisdiction_name",
    "instrument_type",
    "short_title",
    "citation",
    "effect",
    "detainer_holds",
    "notification",
    "jail_access",
    "agreements_287g",
    "in_force_from",
    "in_force_to",
    "date_precision",
    "superseded_by",
    "source_url",
    "source_note",
)


def instrument_fields(p: dict[str, Any]) -> dict[str, Any]:
    """A policy record as published: INSTRUMENT_FIELDS only, dates as ISO text."""
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else v)
        for k, v in p.items()
        if k in INSTRUMENT_FIELDS
    }


def in_force(con: DuckDBPyConnection, **kwargs: Any) -> list[dict[str, Any]]:
    """Instruments that applied to a jurisdiction at any time in [start, end]: its own, its
    state's, and (for a county) those of all county jails of its state. Whether a state record
    binds a local government is the caller's question (the audit's rules answer it). Records
    with no date are included and say so (date_precision 'unknown'); a local policy without an end date ends
    where a later state law requiring detainer compliance begins (superseded_by says so)."""
    return PolicyIndex(con).in_force(**kwargs)


def _has_table(con: DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'policies'"
        ).fetchall()[0][0]
    )
