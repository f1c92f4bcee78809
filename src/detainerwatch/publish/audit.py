"""Audit a published list of "sanctuary" / "non-cooperative" jurisdictions against the evidence.

Each entry (jurisdiction_type, name, state) is resolved to FIPS codes; an entry that cannot be
resolved is reported with the reason, never dropped. Two kinds of evidence are kept apart and
both shown for every entry:

- practice, from the records: detainers issued, booked, declined, open, and the share declined
  among detainers with a recorded outcome, with its denominator and Wilson 95% interval, over
  the period and over its latest months;
- law and policy: the instruments that bind that government and were in force in the period
  (counted), and every other instrument on file for it with the reason it is not counted.

The verdict follows from both by the rules of hand/verdict_rules.yaml and names its rule and
figures. A state entry is judged on the state's own instruments and its own facilities, with
its local governments that show a declining practice named beside it; their declines never
make the state entry supported. The converse section lists counties and cities not on the list
whose records show a declining practice, whatever state entries the list holds. When the
list's date lies outside the evidence period, every output says so at the top.
"""

from __future__ import annotations

from typing import Any

import ast
import csv
import datetime as dt
import math
import operator
from pathlib import Path

import yaml

from ..derive import facts
from ..derive import policies as policy_records
from ..derive.policies import PolicyIndex, built_in_current, instrument_fields
from ..errors import InputError
from ..handfiles import hand_path
from ..link import gazetteer as gz
from . import disclosure, queries
from .queries import Scope
from .report import Period
from duckdb import DuckDBPyConnection

LIST_COLUMNS = ("jurisdiction_type", "name", "state")  # and optionally list_date

# The bundled policy records as read and checked (derive.policies.built_in_records), made at
# install (`make install`) and read before the cache folder (publish/filecache.py): an audit
# compares the store's copy with them without reading and validating the files again.
SHIPPED_POLICIES = Path(__file__).resolve().parent / "precompiled" / "policies"


def _policy_records_key() -> str:
    """What the bundled records as read are made from: the files' bytes, the reading code and
    the states and counties lists it looks names up in."""
    import hashlib
    import json
    from importlib.util import find_spec

    from . import filecache

    files = [
        [p.name, hashlib.sha256(p.read_bytes()).hexdigest()]
        for p in policy_records.built_in_files()
    ]
    code: list[str] = [policy_records.__file__]
    for lookup in ("us", "addfips"):  # states; counties of a record without county_fips
        spec = find_spec(lookup)
        code.append((spec.origin if spec is not None else None) or lookup)
    return json.dumps([files, filecache.code_stamp(*code)])


def built_in_records() -> list[str]:
    """derive.policies.built_in_records(), made once per version of the files and code."""
    import json

    from . import filecache

    kept = filecache.text(
        "policies",
        _policy_records_key(),
        lambda: json.dumps(policy_records.built_in_records()),
        shipped=SHIPPED_POLICIES,
    )
    try:
        records = json.loads(kept)
        if isinstance(records, list) and all(isinstance(r, str) for r in records):
            return records
    except ValueError:
        pass
    return policy_records.built_in_records()  # a damaged cache file: read again


def precompile_policies(folder: Path = SHIPPED_POLICIES) -> int:
    """The bundled records as read, into folder (run by `make install`)."""
    import json

    from . import filecache

    return filecache.precompile(
        folder, {_policy_records_key(): lambda: json.dumps(policy_records.built_in_records())}
    )


ENTRY_TYPES = ("state", "county", "city")


# ---- the list ----------------------------------------------------------------------------


def read_list(path: Path) -> list[dict[str, Any]]:
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            for column in LIST_COLUMNS:
                if column not in header:
                    raise InputError(
                        path,
                        f"a column {column!r} (a list has columns jurisdiction_type, name, state)",
                        row=1,
                        column=column,
                    )
            entries = []
            for number, row in enumerate(reader, start=2):
                row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
                kind = row["jurisdiction_type"].lower()
                if kind not in ENTRY_TYPES:
                    raise InputError(
                        path,
                        "state, county or city",
                        row=number,
                        column="jurisdiction_type",
                        found=row["jurisdiction_type"],
                    )
                if not row["name"]:
                    raise InputError(path, "a name", row=number, column="name")
                st = gz.state(row["state"])
                if st is None:
                    raise InputError(
                        path,
                        "a state (USPS code or name)",
                        row=number,
                        column="state",
                        found=row["state"],
                    )
                entry: dict[str, Any] = {
                    "row": number,
                    "jurisdiction_type": kind,
                    "name": row["name"],
                    "state": st.abbr,
                }
                if row.get("list_date"):
                    entry["list_date"] = _list_date(path, number, row["list_date"])
                entries.append(entry)
    except UnicodeDecodeError:
        raise InputError(path, "UTF-8 text") from None
    except FileNotFoundError:
        raise InputError(path, "an existing file") from None
    if not entries:
        raise InputError(path, "at least one entry", row=2)
    dates = {e.get("list_date") for e in entries}
    if len(dates) > 1:
        first = next(e for e in entries if e.get("list_date") != entries[0].get("list_date"))
        raise InputError(
            path,
            f"the same list_date on every row ({entries[0].get('list_date')} on the first)",
            row=first["row"],
            column="list_date",
            found=first.get("list_date") or "",
        )
    return entries


def _list_date(path: Path, row: int, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            path,
            "a date YYYY-MM-DD (the day the list was published)",
            row=row,
            column="list_date",
            found=text,
        ) from None


def resolve_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """FIPS codes and the jurisdiction ids the entry covers, or the reason it cannot resolve."""
    st = gz.state(entry["state"])
    assert st is not None  # read_list took only states gz knows
    out: dict[str, Any] = {
        "state_fips": st.fips,
        "county_fips": None,
        "place_fips": None,
        "covers": [],
        "covers_note": None,
        "resolved": True,
        "unresolved_reason": None,
        "resolved_name": None,
        "city_name": None,
    }
    name = entry["name"]
    if entry["jurisdiction_type"] == "state":
        out.update(
            resolved_name=st.name, covers_note=f"all county, city and state facilities in {st.name}"
        )
        return out
    if entry["jurisdiction_type"] == "county":
        counties = gz.counties_named(st.abbr, name)
        if len(counties) != 1:
            out.update(
                resolved=False,
                unresolved_reason=(
                    f"no county {name!r} in {st.abbr}"
                    if not counties
                    else f"{name!r} matches {len(counties)} counties in {st.abbr}"
                ),
            )
            return out
        county = counties[0]
        out.update(
            county_fips=county.fips,
            resolved_name=f"{county.name}, {st.abbr}",
            covers=[f"county:{county.fips}"],
        )
        for one in gz.consolidated_county(county.fips):
            out["covers"].append(f"city:{one.place_fips}")
            out["covers_note"] = f"city and county are one government ({one.name})"
        return out
    place = gz.place(st.abbr, name)
    if place is not None:
        out.update(
            place_fips=place.place_fips,
            resolved_name=f"{place.name}, {st.abbr}",
            covers=[f"city:{place.place_fips}"],
            city_name=place.name,
            county_fips=place.county_fips[0] if len(place.county_fips) == 1 else None,
        )
        if place.consolidated:
            out["covers"] += [f"county:{c}" for c in place.county_fips]
            out["covers_note"] = (
                "city and county are one government: its police lockups and "
                f"its county jail{'s' if len(place.county_fips) > 1 else ''}"
            )
        else:
            out["covers_note"] = (
                "its police lockups and city jail (the county jail is the county's)"
            )
        return out
    if gz.is_city(st.abbr, name):
        out.update(
            resolved_name=f"{name.title()}, {st.abbr}",
            city_name=name,
            covers_note="its police lockups and city jail (no Census place code on file: "
            "matched by name within the state)",
        )
        return out
    out.update(resolved=False, unresolved_reason=f"no city {name!r} in {st.abbr} in the gazetteer")
    return out


# ---- rules ---------------------------------------------------------------------------------

_OPS = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def _evaluate(expression: str, values: dict[str, Any]) -> bool:
    """A rule's condition: comparisons of named values joined by and/or. Nothing else runs."""

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.BoolOp):
            results = [ev(v) for v in node.values]
            return all(results) if isinstance(node.op, ast.And) else any(results)
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, right in zip(node.ops, node.comparators, strict=True):
                r = ev(right)
                if not _OPS[type(op)](left, r):
                    return False
                left = r
            return True
        if isinstance(node, ast.Name):
            if node.id in ("true", "True"):
                return True
            return values[node.id]
        if isinstance(node, ast.Constant):
            return node.value
        raise ValueError(f"unsupported expression in verdict rule: {expression!r}")

    return bool(ev(ast.parse(str(expression), mode="eval")))


def load_rules(path: Path | None = None) -> dict[str, Any]:
    # libyaml's parser when PyYAML has it (the same safe constructor; the pure-Python one took
    # ~40 ms for this file on every audit)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path or hand_path("verdict_rules.yaml"), encoding="utf-8") as fh:
        rules: dict[str, Any] = yaml.load(fh, Loader=loader)  # noqa: S506 (a safe loader)
        return rules


def decide(kind: str, values: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """The first rule of the entry's kind ("local" or "state") whose condition holds."""
    names = {**config["parameters"], **values}
    return next(r for r in config["rules"][kind] if _evaluate(r["when"], names))


# ---- practice ------------------------------------------------------------------------------


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    """Wilson score interval for k successes in n trials (None when n is 0)."""
    if not n:
        return None, None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def pct_text(p: float | None) -> str:
    if p is None:
        return "-"
    if 0 < p < 0.1:
        return f"{p * 100:.1f}%"
    return f"{p * 100:.0f}%"


def _months_before(day: dt.date, months: int) -> dt.date:
    """The day after the same calendar day `months` earlier: start of the latest months to `day`."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m, min(day.day, last)) + dt.timedelta(days=1)


def recent_window(period: Period, months: int) -> tuple[dt.date, dt.date]:
    return max(period.start, _months_before(period.end, months)), period.end


def _stats(
    issued: int, booked: int, declined: int, open_: int, with_outcome: int
) -> dict[str, Any]:
    low, high = wilson(declined, with_outcome)
    return {
        "issued": issued,
        "booked": booked,
        "declined": declined,
        "open": open_,
        # withdrawn, transferred, released, lifted or died: not broken down here
        "other_outcomes": issued - booked - declined - open_,
        "with_outcome": with_outcome,
        "declined_share": round(declined / with_outcome, 4) if with_outcome else None,
        "ci95_low": None if low is None else round(low, 4),
        "ci95_high": None if high is None else round(high, 4),
    }


def _n(value: Any) -> str:
    """A count as text: thousands separated, or the disclosure label it was replaced by."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def rate_text(s: dict[str, Any]) -> str:
    """ "declined 147 of 198 with a recorded outcome (74%, 95% CI 68-80%)"."""
    if not s["with_outcome"]:
        return (
            f"no recorded outcome among {_n(s['issued'])} detainers issued"
            if s["issued"]
            else "no detainer records"
        )
    if s["declined_share"] is None:  # a count it rests on is withheld (disclosure rules)
        return (
            f"declined {_n(s['declined'])} of {_n(s['with_outcome'])} with a recorded outcome "
            "(share withheld with the counts it rests on)"
        )
    return (
        f"declined {_n(s['declined'])} of {_n(s['with_outcome'])} with a recorded outcome "
        f"({pct_text(s['declined_share'])}, 95% CI {pct_text(s['ci95_low'])}-"
        f"{pct_text(s['ci95_high'])})"
    )


def _practice_values(whole: dict[str, Any], recent: dict[str, Any]) -> dict[str, Any]:
    values = {k: (0.0 if v is None else v) for k, v in whole.items()}
    values.update({f"{k}_recent": (0.0 if v is None else v) for k, v in recent.items()})
    values["declined_share_low"] = values["ci95_low"]
    values["declined_share_low_recent"] = values["ci95_low_recent"]
    return values


def is_declining_practice(
    whole: dict[str, Any], recent: dict[str, Any], config: dict[str, Any]
) -> tuple[bool, str | None]:
    """Whether the figures show a practice of declining (hand/verdict_rules.yaml, practice), and
    in which window: "period" or "latest months"."""
    definition = config["practice"]["declining_practice"]
    for label, s in (("period", whole), ("latest months", recent)):
        values = {
            **config["parameters"],
            **{k: (0.0 if v is None else v) for k, v in s.items()},
            "declined_share_low": s["ci95_low"] or 0.0,
        }
        if _evaluate(definition, values):
            return True, label
    return False, None


def _outcome_classes(config: dict[str, Any]) -> list[str]:
    return list(config["practice"]["outcome_classes"])


def _all_local(
    con: DuckDBPyConnection, period: Period, recent_start: dt.date, config: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every county and city with records in the period, with its practice in both windows."""
    rows = queries.local_practices(
        con, period.start, period.end, recent_start, _outcome_classes(config)
    )
    out = []
    for r in rows:
        whole, recent = _stats(*r.whole), _stats(*r.recent)
        practice, window = is_declining_practice(whole, recent, config)
        out.append(
            {
                "id": r.id,
                "name": r.name,
                "jurisdiction_type": r.jurisdiction_type,
                "state": r.state,
                "state_fips": r.state_fips,
                "practice": whole,
                "recent": recent,
                "declining_practice": practice,
                "practice_window": window,
                "rate": rate_text(whole),
                "recent_rate": rate_text(recent),
                # flat figures kept for readers of earlier versions
                "issued": whole["issued"],
                "declined": whole["declined"],
                "booked": whole["booked"],
                "declined_share": whole["declined_share"],
            }
        )
    return out


# ---- law and policy ------------------------------------------------------------------------


def _in_force_text(p: dict[str, Any]) -> str:
    if p.get("in_force_from") is None:
        return "date not recorded"
    text = f"in force from {p['in_force_from']}"
    if p.get("date_precision") in ("year", "month"):
        text += f" (date known to the {p['date_precision']})"
    if p.get("in_force_to"):
        text += f" to {p['in_force_to']}"
    if p.get("superseded_by"):
        text += f", superseded by {p['superseded_by']}"
    return text


def _binding_reason(p: dict[str, Any], entry_kind: str, rule: dict[str, Any]) -> str | None:
    """Why an instrument on file does not bind the entry's government (None when it binds)."""
    no_one = rule.get("binds_no_government", {})
    if p["effect"] in no_one:
        return str(no_one[p["effect"]])
    kind = p["jurisdiction_type"]
    if entry_kind == "state":
        if kind == "counties":
            return "an instrument of the state's county jails: it applies to each county's jail, not to the state"
        return None if kind == "state" else "a local government's instrument binds only its adopter"
    if kind == "state" and p["instrument_type"] not in rule.get("state_types_binding_local", []):
        return (
            f"a state {p['instrument_type'].replace('_', ' ')}: it binds the state's own "
            "agencies, not local governments"
        )
    return None


def classify_instruments(
    instruments: list[dict[str, Any]], entry_kind: str, period: Period, config: dict[str, Any]
) -> tuple[list[Any], list[Any], list[Any]]:
    """Split the instruments on file for an entry into those counted as limiting, those counted
    as requiring, and those not counted with the reason (hand/verdict_rules.yaml, instruments)."""
    rule = config.get("instruments", {})
    practices = rule.get("practices", ["detainer_holds", "notification", "jail_access"])
    limiting_values = set(rule.get("limiting", ["prohibited", "limited"]))
    requiring_values = set(rule.get("requiring", ["required", "allowed"]))
    limiting, requiring, not_counted = [], [], []
    for p in instruments:
        item = instrument_fields(p)
        item["in_force_text"] = _in_force_text(p)
        reason = _binding_reason(p, entry_kind, rule)
        if reason is None:
            if p["in_force_from"] is None:
                reason = "undated: cannot be placed in the period"
            elif p["in_force_from"] > period.end or (
                p.get("in_force_to") is not None and p["in_force_to"] < period.start
            ):
                reason = f"not in force in the period ({item['in_force_text']})"
            elif p["effect"] == "limits_cooperation" and any(
                p.get(c) in limiting_values for c in practices
            ):
                limiting.append({**item, "counted_as": "limits cooperation"})
                continue
            elif p["effect"] == "requires_cooperation" and any(
                p.get(c) in requiring_values for c in practices
            ):
                requiring.append({**item, "counted_as": "requires cooperation"})
                continue
            elif p["effect"] == "mixed":
                reason = "mixed effect: points both ways"
            elif p.get("agreements_287g") not in (None, "", "unspecified"):
                reason = "287(g) only: says nothing about " + ", ".join(
                    c.replace("_", " ") for c in practices
                )
            else:
                reason = "not coded as addressing " + ", ".join(
                    c.replace("_", " ") for c in practices
                )
        not_counted.append({**item, "reason": reason})
    return limiting, requiring, not_counted


def _instrument_text(i: dict[str, Any], url: bool = False) -> str:
    text = f"{i['short_title']} ({i['jurisdiction_type']}, {i['in_force_text']})"
    if url and i.get("source_url"):
        text += f" <{i['source_url']}>"
    return text


# ---- evidence ------------------------------------------------------------------------------


def _scope(entry_kind: str, resolved: dict[str, Any]) -> Scope:
    if entry_kind == "state":
        # The state's own facilities (its prisons); its local governments are judged apart.
        return queries.of_state_government(resolved["state_fips"])
    if resolved["covers"]:
        return queries.of_jurisdictions(list(resolved["covers"]))
    return queries.of_city_named(resolved["state_fips"], resolved["resolved_name"])


def period_check(
    period: Period, list_date: dt.date | None, config: dict[str, Any]
) -> dict[str, Any]:
    """Whether the evidence period meets the period the list speaks of (the year before its date)."""
    days = int(config["parameters"].get("list_window_days", 365))
    evidence = f"{period.start.isoformat()} to {period.end.isoformat()}"
    if list_date is None:
        return {
            "list_date": None,
            "list_window": None,
            "evidence_period": evidence,
            "overlaps": None,
            "warning": None,
            "note": (
                "The list's date is not known (give --list-date, or a list_date column): "
                "whether the evidence is from the list's period cannot be checked."
            ),
        }
    window_start = list_date - dt.timedelta(days=days)
    overlaps = period.start <= list_date and period.end >= window_start
    out = {
        "list_date": list_date.isoformat(),
        "list_window": f"{window_start.isoformat()} to {list_date.isoformat()}",
        "evidence_period": evidence,
        "overlaps": overlaps,
        "warning": None,
        "note": f"List dated {list_date.isoformat()}; evidence period {evidence}.",
    }
    if not overlaps:
        gap = (window_start - period.end).days if period.end < window_start else None
        years = (
            f" (the evidence ends {gap / 365.25:.1f} years before the year the list describes)"
            if gap
            else ""
        )
        out["warning"] = (
            f"Evidence from another period: the list is dated {list_date.isoformat()}, the "
            f"evidence period is {evidence}{years}, and they do not overlap (the list is read as "
            f"describing the {days} days before its date). Every verdict here says what the "
            "records and the law showed then, not what held when the list was published."
        )
    return out


def build_audit(
    con: DuckDBPyConnection,
    entries: list[dict[str, Any]],
    period: Period,
    list_name: str,
    list_date: dt.date | None = None,
    rules_path: Path | None = None,
) -> dict[str, Any]:
    facts.register(con)
    unclassified = facts.check_unmapped(con)  # warnings: values no hand table maps
    config = load_rules(rules_path)
    params_cfg = config.get("parameters", {})
    if list_date is None:
        list_date = next((e["list_date"] for e in entries if e.get("list_date")), None)
    dates = period_check(period, list_date, config)
    period_note = "evidence from another period" if dates["warning"] else None
    recent_start, recent_end = recent_window(period, int(params_cfg.get("recent_months", 12)))
    policies = PolicyIndex(con)
    locals_ = _all_local(con, period, recent_start, config)
    # States the store holds any detainer record for in the period (any custody): elsewhere the
    # records are "not covered", never zero.
    coverage = queries.issued_by_state(con, period.start, period.end)
    audited, covered_ids = [], set()
    resolutions = [resolve_entry(entry) for entry in entries]
    # Each resolved entry's evidence: three questions asked of every scope at once.
    scopes = [
        _scope(entry["jurisdiction_type"], resolved)
        for entry, resolved in zip(entries, resolutions, strict=True)
        if resolved["resolved"]
    ]
    practices = iter(
        queries.practices(
            con, scopes, period.start, period.end, recent_start, _outcome_classes(config)
        )
    )
    kinds = iter(queries.by_request_kinds(con, scopes, period.start, period.end))
    facility_lists = iter(queries.audit_facility_lists(con, scopes, period.start, period.end))
    for entry, resolved in zip(entries, resolutions, strict=True):
        record = {k: v for k, v in entry.items() if k != "list_date"}
        record.update({k: v for k, v in resolved.items() if k != "covers"})
        record.update(covers=resolved["covers"], period_note=period_note)
        if not resolved["resolved"]:
            record.update(
                verdict="unresolved",
                rule="unresolved",
                rate=None,
                figures=None,
                explanation=resolved["unresolved_reason"],
                evidence=None,
            )
            audited.append(record)
            continue
        kind = "state" if entry["jurisdiction_type"] == "state" else "local"
        p = next(practices)
        whole, recent, (first, last) = (
            _stats(*p.whole),
            _stats(*p.recent),
            (p.first_issued, p.last_issued),
        )
        practice, window = is_declining_practice(whole, recent, config)
        covered = bool(coverage.get(resolved["state_fips"]))
        # Holds and notification requests kept apart (the FY2008-2015 release does not record
        # the kind: "not recorded").
        kind_rows = next(kinds)
        by_request = [
            {
                "request_kind": k.request_kind,
                "issued": k.issued,
                "booked": k.booked,
                "declined": k.declined,
            }
            for k in kind_rows
        ]
        facility_rows = next(facility_lists)
        facilities = [
            {
                "facility": f.facility,
                "city": f.city,
                "jurisdiction": f.jurisdiction,
                "issued": f.issued,
                "declined": f.declined,
                "protected_facility": f.protected_facility,
            }
            for f in facility_rows
        ]
        # The figures are protected (no cell of 1-4 at a facility for children or a hospital,
        # none recoverable by subtraction from the scope's totals) before any sentence quotes
        # them. Whether the facility and request lists add up to the scope's figures is what
        # lets a reader subtract: the grid is told.
        practice_figures = disclosure.protect_audit_evidence(
            {
                **whole,
                "recent": dict(recent),
                "recent_is_period": recent_start <= period.start,
                "facilities": facilities,
                "facilities_complete": sum(f.issued for f in facility_rows) == whole["issued"]
                and sum(f.declined for f in facility_rows) == whole["declined"],
                "by_request": by_request,
                "by_request_complete": sum(k.issued for k in kind_rows) == whole["issued"]
                and sum(k.booked for k in kind_rows) == whole["booked"]
                and sum(k.declined for k in kind_rows) == whole["declined"],
            },
            _outcome_classes(config),
        )
        # shown: the figures as published (decisions below use the true ones)
        shown = {k: practice_figures[k] for k in whole}
        shown_recent = practice_figures["recent"]
        if kind == "state":
            instruments = [
                p
                for p in policies.rows
                if p["state_fips"] == resolved["state_fips"]
                and p["jurisdiction_type"] in ("state", "counties")
            ]
        else:
            covered_ids.update(resolved["covers"])
            consolidated = any(c.startswith("county:") for c in resolved["covers"])
            instruments = policies.in_force(
                state_fips=resolved["state_fips"],
                county_fips=resolved["county_fips"]
                if entry["jurisdiction_type"] == "county" or consolidated
                else None,
                place_fips=resolved["place_fips"],
                city_name=resolved["city_name"],
            )
        limiting, requiring, not_counted = classify_instruments(instruments, kind, period, config)
        values = {
            **_practice_values(whole, recent),
            "declining_practice": int(practice),
            "limiting_instruments": len(limiting),
            "requiring_instruments": len(requiring),
            "entry_is_state": int(kind == "state"),
            "covered": int(covered),
        }
        state_locals = []
        if kind == "state":
            in_state = [j for j in locals_ if j["state_fips"] == resolved["state_fips"]]
            state_locals = [j for j in in_state if j["declining_practice"]]
            values.update(
                local_issued=sum(j["practice"]["issued"] for j in in_state),
                local_booked=sum(j["practice"]["booked"] for j in in_state),
                local_declined=sum(j["practice"]["declined"] for j in in_state),
                local_governments_declining=len(state_locals),
                local_governments_with_records=len(in_state),
            )
        rule = decide(kind, values, config)
        rate = rate_text(shown)
        recent_rate = rate_text(shown_recent)
        if not covered:
            rate = recent_rate = (
                f"not covered: the store holds no detainer records for "
                f"{entry['state']} in the period"
            )
        figures = [("state's own facilities: " if kind == "state" and covered else "") + rate]
        if recent_start > period.start and whole["issued"]:
            figures.append(
                f"latest {params_cfg.get('recent_months', 12)} months "
                f"({recent_start} to {recent_end}): {recent_rate}"
            )
        if whole["issued"]:
            figures.append(
                f"honored {_n(shown['booked'])}, declined {_n(shown['declined'])}, open "
                f"{_n(shown['open'])}, other outcomes {_n(shown['other_outcomes'])} of "
                f"{_n(shown['issued'])} issued"
            )
        if practice:
            figures.append(f"a practice of declining ({window})")
        elif whole["declined"]:
            figures.append("isolated declines, not a practice")
        figures.append(
            f"instruments counted: {len(limiting)} limiting, {len(requiring)} requiring"
            + (
                " (" + "; ".join(_instrument_text(i) for i in limiting + requiring) + ")"
                if limiting or requiring
                else ""
            )
        )
        if kind == "state" and covered:
            figures.append(
                f"{len(state_locals)} local government(s) with a declining practice"
                + (": " + ", ".join(j["name"] for j in state_locals) if state_locals else "")
            )
        evidence_for, evidence_against = [], []
        if practice:
            evidence_for.append(f"a practice of declining ({window}): {rate}")
        elif whole["declined"]:
            evidence_for.append(f"isolated declines, not a practice: {rate}")
        evidence_for += [f"{_instrument_text(i)}: limits cooperation" for i in limiting]
        if whole["booked"]:
            evidence_against.append(
                f"{_n(shown['booked'])} detainers honored (booked into ICE custody)"
            )
        evidence_against += [f"{_instrument_text(i)}: requires cooperation" for i in requiring]
        record.update(
            verdict=rule["verdict"],
            rule=rule["id"],
            rate=rate,
            recent_rate=recent_rate,
            figures="; ".join(figures),
            explanation=rule["explain"].format(**params_cfg),
            evidence={
                **(shown if covered else dict.fromkeys(shown)),
                "covered": covered,
                "records_from": first and first.isoformat(),
                "records_to": last and last.isoformat(),
                "recent": {
                    **(shown_recent if covered else dict.fromkeys(shown_recent)),
                    "from": recent_start.isoformat(),
                    "to": recent_end.isoformat(),
                },
                "declining_practice": practice,
                "practice_window": window,
                "scope": (
                    "the state's own facilities (its prisons); its counties and "
                    "cities are judged apart"
                    if kind == "state"
                    else resolved.get("covers_note")
                ),
                "facilities": facilities,
                "recent_is_period": practice_figures["recent_is_period"],
                "facilities_complete": practice_figures["facilities_complete"],
                "by_request": by_request,
                "by_request_complete": practice_figures["by_request_complete"],
                "instruments": limiting + requiring,
                "not_counted": not_counted,
                "local_governments_declining": [
                    {
                        k: j[k]
                        for k in (
                            "id",
                            "name",
                            "jurisdiction_type",
                            "rate",
                            "recent_rate",
                            "practice_window",
                        )
                    }
                    for j in state_locals
                ],
                "local_totals": (
                    {
                        k: values[k]
                        for k in (
                            "local_issued",
                            "local_booked",
                            "local_declined",
                            "local_governments_with_records",
                        )
                    }
                    if kind == "state" and covered
                    else None
                ),
                "for": evidence_for,
                "against": evidence_against,
            },
        )
        audited.append(record)
    converse = [j for j in locals_ if j["declining_practice"] and j["id"] not in covered_ids]
    isolated = [
        j
        for j in locals_
        if not j["declining_practice"] and j["practice"]["declined"] and j["id"] not in covered_ids
    ]
    for group in (converse, isolated):
        group.sort(key=lambda j: (-j["practice"]["declined"], -j["practice"]["issued"], j["id"]))
    counts: dict[str, int] = {}
    for r in audited:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    policy_warning = (
        None
        if built_in_current(con, built_in_records())
        else (
            "The policy records in this store differ from the ones this version ships (they were "
            "loaded by an earlier version, or are missing): verdicts use the store's copy. Ingest "
            "again, or run `detainerwatch policies add` with any file, to refresh them."
        )
    )
    return {
        "period_warning": dates["warning"],
        "policy_warning": policy_warning,
        "list": list_name,
        "list_date": dates["list_date"],
        "dates": dates,
        "period": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "label": period.label,
            "recent_from": recent_start.isoformat(),
            "recent_to": recent_end.isoformat(),
        },
        "entries": audited,
        "verdicts": counts,
        "converse": converse,
        "converse_isolated": isolated,
        "rules": config["rules"],
        "parameters": params_cfg,
        "practice_rule": config.get("practice", {}),
        "instrument_rule": config.get("instruments", {}),
        "notes": [
            *unclassified,
            "decline recorded late (Travis County, 2017) counts on its issue date.",
            "A recorded outcome is one where ICE recorded what the agency did: "
            + " or ".join(config["practice"]["outcome_classes"])
            + ". Withdrawn, "
            "transferred, released and open detainers are shown but say nothing "
            "about it. Intervals are Wilson 95%.",
            "Only county, city and state facilities count toward an entry; federal, "
            "ICE and private custody never makes a jurisdiction 'non-cooperative'.",
            "A state entry is judged on the state's own instruments and its own "
            "facilities; its local governments with a declining practice are named, "
            "and their declines never make the state entry supported.",
            "An instrument counts only for the governments it binds: a local policy "
            "its adopter; a state's law, directive or state-court ruling its local "
            "governments; a federal ruling that detainers are requests, no one.",
        ],
    }


# ---- output --------------------------------------------------------------------------------

CSV_COLUMNS = [
    "row",
    "jurisdiction_type",
    "name",
    "state",
    "resolved_name",
    "state_fips",
    "county_fips",
    "place_fips",
    "verdict",
    "rule",
    "rate",
    "period_note",
    "records",
    "issued",
    "booked",
    "declined",
    "open",
    "other_outcomes",
    "with_outcome",
    "declined_share",
    "ci95_low",
    "ci95_high",
    "recent_from",
    "recent_to",
    "recent_declined",
    "recent_with_outcome",
    "recent_declined_share",
    "recent_ci95_low",
    "recent_ci95_high",
    "declining_practice",
    "local_governments_declining",
    "declined_by_request",
    "records_from",
    "records_to",
    "instruments_counted",
    "instruments_not_counted",
    "figures",
    "explanation",
]


def csv_preamble(audit: dict[str, Any]) -> list[str]:
    """Comment lines at the top of audit.csv (read it with comment='#')."""
    lines = [
        f"# audit of {audit['list']}; list date: {audit['list_date'] or 'not given'}; "
        f"evidence period: {audit['period']['start']} to {audit['period']['end']}"
    ]
    if audit["period_warning"]:
        lines.append("# WARNING: " + audit["period_warning"])
    if audit.get("policy_warning"):
        lines.append("# WARNING: " + audit["policy_warning"])
    return lines


def write_audit(audit: dict[str, Any], out: Path) -> None:
    import json

    from . import csvsafe
    from .output import environment

    out.mkdir(parents=True, exist_ok=True)
    (out / "audit.json").write_text(json.dumps(audit, indent=1, default=str), encoding="utf-8")
    with open(out / "audit.csv", "w", newline="", encoding="utf-8") as fh:
        for line in csv_preamble(audit):
            fh.write(line + "\n")
        writer = csvsafe.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for e in audit["entries"]:
            ev = e["evidence"] or {}
            recent = ev.get("recent") or {}
            writer.writerow(
                [
                    e["row"],
                    e["jurisdiction_type"],
                    e["name"],
                    e["state"],
                    e.get("resolved_name"),
                    e.get("state_fips"),
                    e.get("county_fips"),
                    e.get("place_fips"),
                    e["verdict"],
                    e["rule"],
                    e.get("rate"),
                    e.get("period_note"),
                    None if not ev else "covered" if ev.get("covered") else "not covered",
                    ev.get("issued"),
                    ev.get("booked"),
                    ev.get("declined"),
                    ev.get("open"),
                    ev.get("other_outcomes"),
                    ev.get("with_outcome"),
                    ev.get("declined_share"),
                    ev.get("ci95_low"),
                    ev.get("ci95_high"),
                    recent.get("from"),
                    recent.get("to"),
                    recent.get("declined"),
                    recent.get("with_outcome"),
                    recent.get("declined_share"),
                    recent.get("ci95_low"),
                    recent.get("ci95_high"),
                    ev.get("declining_practice"),
                    "; ".join(j["name"] for j in ev.get("local_governments_declining", [])),
                    "; ".join(
                        f"{k['request_kind']}: declined {_n(k['declined'])} of {_n(k['issued'])} "
                        f"issued, honored {_n(k['booked'])}"
                        for k in ev.get("by_request", [])
                    ),
                    ev.get("records_from"),
                    ev.get("records_to"),
                    "; ".join(
                        f"{_instrument_text(i, url=True)}: {i['counted_as']}"
                        for i in ev.get("instruments", [])
                    ),
                    "; ".join(
                        f"{_instrument_text(i, url=True)}: {i['reason']}"
                        for i in ev.get("not_counted", [])
                    ),
                    e.get("figures"),
                    e["explanation"],
                ]
            )
    html = environment().get_template("audit.html").render(a=audit, links=True)
    (out / "index.html").write_text(html, encoding="utf-8")
