"""Audit a published list of "sanctuary" / "non-cooperative" jurisdictions against the evidence.

Each entry (jurisdiction_type, name, state) is resolved to FIPS codes; an entry that cannot be
resolved is reported with the reason, never dropped. For each: detainers issued, booked,
declined, open, the declined share, the period the records cover, its facilities, the policy
instruments in force, and a verdict with the rule that produced it (hand/verdict_rules.yaml).
A state entry covers its local governments; a city entry covers its police lockups, and the
county jail where city and county are one government. The converse section ranks jurisdictions
not on the list whose records show declines.
"""
from __future__ import annotations

import ast
import csv
import datetime as dt
import operator
from pathlib import Path

import yaml

from ..derive import facts
from ..derive.facts import LOCAL_TYPES
from ..derive.policies import in_force
from ..errors import InputError
from ..handfiles import hand_path
from ..link import gazetteer as gz
from .report import Period

LIST_COLUMNS = ("jurisdiction_type", "name", "state")
ENTRY_TYPES = ("state", "county", "city")


# ---- the list ----------------------------------------------------------------------------

def read_list(path: Path) -> list[dict]:
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            for column in LIST_COLUMNS:
                if column not in header:
                    raise InputError(path, f"a column {column!r} (a list has columns "
                                     "jurisdiction_type, name, state)", row=1, column=column)
            entries = []
            for number, row in enumerate(reader, start=2):
                row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
                kind = row["jurisdiction_type"].lower()
                if kind not in ENTRY_TYPES:
                    raise InputError(path, "state, county or city", row=number,
                                     column="jurisdiction_type", found=row["jurisdiction_type"])
                if not row["name"]:
                    raise InputError(path, "a name", row=number, column="name")
                if gz.state(row["state"]) is None:
                    raise InputError(path, "a state (USPS code or name)", row=number,
                                     column="state", found=row["state"])
                entries.append({"row": number, "jurisdiction_type": kind, "name": row["name"],
                                "state": gz.state(row["state"]).abbr})
    except UnicodeDecodeError:
        raise InputError(path, "UTF-8 text") from None
    except FileNotFoundError:
        raise InputError(path, "an existing file") from None
    if not entries:
        raise InputError(path, "at least one entry", row=2)
    return entries


def resolve_entry(entry: dict) -> dict:
    """FIPS codes and the jurisdiction ids the entry covers, or the reason it cannot resolve."""
    st = gz.state(entry["state"])
    out = {"state_fips": st.fips, "county_fips": None, "place_fips": None, "covers": [],
           "covers_note": None, "resolved": True, "unresolved_reason": None,
           "resolved_name": None, "city_name": None}
    name = entry["name"]
    if entry["jurisdiction_type"] == "state":
        out.update(resolved_name=st.name,
                   covers_note=f"all county, city and state facilities in {st.name}")
        return out
    if entry["jurisdiction_type"] == "county":
        counties = gz.counties_named(st.abbr, name)
        if len(counties) != 1:
            out.update(resolved=False, unresolved_reason=(
                f"no county {name!r} in {st.abbr}" if not counties else
                f"{name!r} matches {len(counties)} counties in {st.abbr}"))
            return out
        county = counties[0]
        out.update(county_fips=county.fips, resolved_name=f"{county.name}, {st.abbr}",
                   covers=[f"county:{county.fips}"])
        for place in gz._places().values():  # noqa: SLF001 (small table)
            if place.consolidated and place.county_fips == (county.fips,):
                out["covers"].append(f"city:{place.place_fips}")
                out["covers_note"] = f"city and county are one government ({place.name})"
        return out
    place = gz.place(st.abbr, name)
    if place is not None:
        out.update(place_fips=place.place_fips, resolved_name=f"{place.name}, {st.abbr}",
                   covers=[f"city:{place.place_fips}"], city_name=place.name,
                   county_fips=place.county_fips[0] if len(place.county_fips) == 1 else None)
        if place.consolidated:
            out["covers"] += [f"county:{c}" for c in place.county_fips]
            out["covers_note"] = ("city and county are one government: its police lockups and "
                                  f"its county jail{'s' if len(place.county_fips) > 1 else ''}")
        else:
            out["covers_note"] = "its police lockups and city jail (the county jail is the county's)"
        return out
    if gz.is_city(st.abbr, name):
        out.update(resolved_name=f"{name.title()}, {st.abbr}", city_name=name,
                   covers_note="its police lockups and city jail (no Census place code on file: "
                               "matched by name within the state)")
        return out
    out.update(resolved=False, unresolved_reason=f"no city {name!r} in {st.abbr} in the gazetteer")
    return out


# ---- rules ---------------------------------------------------------------------------------

_OPS = {ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Eq: operator.eq, ast.NotEq: operator.ne}


def _evaluate(expression: str, values: dict) -> bool:
    """A rule's condition: comparisons of named values joined by and/or. Nothing else runs."""
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.BoolOp):
            results = [ev(v) for v in node.values]
            return all(results) if isinstance(node.op, ast.And) else any(results)
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, right in zip(node.ops, node.comparators):
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


def load_rules() -> dict:
    with open(hand_path("verdict_rules.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _count_instruments(instruments: list[dict], config: dict) -> tuple[list, list, list]:
    """Which instruments in force count toward a verdict (hand/verdict_rules.yaml, section
    instruments): a known start date, and a coded effect on the detainer practices listed
    there, on either side alike. The others are listed with the reason they do not count."""
    rule = config.get("instruments", {})
    practices = rule.get("practices", ["detainer_holds", "notification", "jail_access"])
    limiting_values = set(rule.get("limiting", ["prohibited", "limited"]))
    requiring_values = set(rule.get("requiring", ["required", "allowed"]))
    limiting, requiring_state, not_counted = [], [], []
    for p in instruments:
        if p["in_force_from"] is None:
            reason = "date not recorded: cannot be placed in the period"
        elif p["effect"] == "limits_cooperation" and any(p.get(c) in limiting_values for c in practices):
            limiting.append(p)
            continue
        elif p["effect"] == "requires_cooperation" and any(p.get(c) in requiring_values for c in practices):
            if p["jurisdiction_type"] == "state":
                requiring_state.append(p)
                continue
            reason = "a local instrument requiring cooperation (the rules count state law only)"
        elif p["effect"] == "mixed":
            reason = "mixed effect"
        else:
            reason = "not coded as addressing " + ", ".join(c.replace("_", " ") for c in practices)
        not_counted.append({"policy_id": p["policy_id"], "short_title": p["short_title"],
                            "jurisdiction_type": p["jurisdiction_type"], "effect": p["effect"],
                            "reason": reason})
    return limiting, requiring_state, not_counted


def _in_force_text(p: dict) -> str:
    text = f"in force from {p['in_force_from']}"
    if p.get("in_force_to"):
        text += f" to {p['in_force_to']}"
    if p.get("superseded_by"):
        text += f", superseded by {p['superseded_by']}"
    return text


# ---- evidence ------------------------------------------------------------------------------

def _scope_sql(entry_kind: str, resolved: dict) -> tuple[str, list]:
    types = ", ".join(f"'{t}'" for t in LOCAL_TYPES)
    if entry_kind == "state":
        return f"state_fips = ? AND jurisdiction_type IN ({types})", [resolved["state_fips"]]
    if resolved["covers"]:
        return (f"jurisdiction_id IN ({', '.join('?' * len(resolved['covers']))})",
                list(resolved["covers"]))
    return ("jurisdiction_type = 'city' AND state_fips = ? AND lower(jurisdiction_name) = lower(?)",
            [resolved["state_fips"], resolved["resolved_name"]])


def build_audit(con, entries: list[dict], period: Period, list_name: str) -> dict:
    facts.register(con)
    unclassified = facts.check_unmapped(con)  # warnings: values no hand table maps
    config = load_rules()
    params_cfg = config.get("parameters", {})
    audited, covered_ids, covered_states = [], set(), set()
    for entry in entries:
        resolved = resolve_entry(entry)
        record = {**entry, **{k: v for k, v in resolved.items() if k != "covers"},
                  "covers": resolved["covers"]}
        if not resolved["resolved"]:
            record.update(verdict="unresolved", rule="unresolved",
                          explanation=resolved["unresolved_reason"], evidence=None)
            audited.append(record)
            continue
        where, params = _scope_sql(entry["jurisdiction_type"], resolved)
        period_sql = "issued BETWEEN ? AND ? AND NOT likely_duplicate"
        pparams = [period.start, period.end]
        row = con.execute(f"""
            SELECT count(*), count(*) FILTER (WHERE outcome = 'booked'),
                   count(*) FILTER (WHERE outcome = 'declined'), count(*) FILTER (WHERE outcome = 'open'),
                   min(issued), max(issued)
            FROM detainer_facts WHERE {where} AND {period_sql}""", params + pparams).fetchall()[0]
        issued, booked, declined, open_, first, last = row
        facilities = [{"facility": f, "city": c, "jurisdiction": j, "issued": n, "declined": d}
                      for f, c, j, n, d in con.execute(f"""
            SELECT facility_name, facility_city, any_value(jurisdiction_name), count(*),
                   count(*) FILTER (WHERE outcome = 'declined')
            FROM detainer_facts WHERE {where} AND {period_sql}
            GROUP BY facility_name, facility_city ORDER BY 4 DESC LIMIT 50""",
                                                    params + pparams).fetchall()]
        if entry["jurisdiction_type"] == "state":
            covered_states.add(resolved["state_fips"])
            instruments = [p for p in in_force(con, state_fips=resolved["state_fips"],
                                               start=period.start, end=period.end)
                           if p["jurisdiction_type"] == "state"]
        else:
            covered_ids.update(resolved["covers"])
            consolidated = any(c.startswith("county:") for c in resolved["covers"])
            instruments = in_force(con, state_fips=resolved["state_fips"],
                                   county_fips=resolved["county_fips"]
                                   if entry["jurisdiction_type"] == "county" or consolidated else None,
                                   place_fips=resolved["place_fips"], city_name=resolved["city_name"],
                                   start=period.start, end=period.end)
        limiting, requiring_state, not_counted = _count_instruments(instruments, config)
        values = {"issued": issued, "booked": booked, "declined": declined, "open": open_,
                  "limiting_instruments": len(limiting),
                  "requiring_state_instruments": len(requiring_state),
                  "entry_is_state": int(entry["jurisdiction_type"] == "state"), **params_cfg}
        rule = next(r for r in config["rules"] if _evaluate(r["when"], values))
        evidence_for = []
        if declined:
            evidence_for.append(f"{declined:,} detainers recorded as declined")
        evidence_for += [f"{p['short_title']} ({p['jurisdiction_type']}, {_in_force_text(p)}): "
                         "limits cooperation" for p in limiting]
        evidence_against = []
        if booked:
            evidence_against.append(f"{booked:,} detainers honored (booked into ICE custody)")
        evidence_against += [f"{p['short_title']} (state, {_in_force_text(p)}): requires cooperation"
                             for p in requiring_state]
        record.update(
            verdict=rule["verdict"], rule=rule["id"],
            explanation=rule["explain"].format(**params_cfg),
            evidence={"issued": issued, "booked": booked, "declined": declined, "open": open_,
                      "declined_share": round(declined / issued, 4) if issued else None,
                      "records_from": first and first.isoformat(),
                      "records_to": last and last.isoformat(),
                      "facilities": facilities,
                      "instruments": [{k: (v.isoformat() if isinstance(v, dt.date) else v)
                                       for k, v in p.items() if k in (
                                           "policy_id", "jurisdiction_type", "jurisdiction_name",
                                           "short_title", "citation", "effect", "detainer_holds",
                                           "in_force_from", "in_force_to", "superseded_by",
                                           "source_note")}
                                      for p in instruments],
                      "not_counted": not_counted,
                      "for": evidence_for, "against": evidence_against})
        audited.append(record)
    converse = _converse(con, period, covered_ids, covered_states)
    counts = {}
    for r in audited:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return {"list": list_name, "period": {"start": period.start.isoformat(),
                                          "end": period.end.isoformat(), "label": period.label},
            "entries": audited, "verdicts": counts, "converse": converse,
            "rules": config["rules"], "parameters": params_cfg,
            "instrument_rule": config.get("instruments", {}),
            "notes": [*unclassified,
                      "Counts are by issue (prepare) date; the releases hold no decline date.",
                      "Only county, city and state facilities count toward an entry; federal, "
                      "ICE and private custody never makes a jurisdiction 'non-cooperative'.",
                      "An entry's policy instruments include its state's: state law binds local "
                      "governments."]}


def _converse(con, period: Period, covered_ids: set, covered_states: set) -> list[dict]:
    types = ", ".join(f"'{t}'" for t in LOCAL_TYPES)
    rows = con.execute(f"""
        SELECT jurisdiction_id, any_value(jurisdiction_name), any_value(jurisdiction_type),
               any_value(state_abbr), any_value(state_fips), count(*),
               count(*) FILTER (WHERE outcome = 'declined'), count(*) FILTER (WHERE outcome = 'booked')
        FROM detainer_facts WHERE issued BETWEEN ? AND ? AND NOT likely_duplicate
          AND jurisdiction_type IN ({types})
        GROUP BY 1 HAVING count(*) FILTER (WHERE outcome = 'declined') > 0
        ORDER BY 7 DESC, 6 DESC""", [period.start, period.end]).fetchall()
    return [{"id": i, "name": n, "jurisdiction_type": t, "state": s, "issued": issued,
             "declined": d, "booked": b, "declined_share": round(d / issued, 4)}
            for i, n, t, s, sf, issued, d, b in rows
            if i not in covered_ids and sf not in covered_states]


def write_audit(audit: dict, out: Path) -> None:
    import json

    from . import csvsafe
    from .output import environment

    out.mkdir(parents=True, exist_ok=True)
    (out / "audit.json").write_text(json.dumps(audit, indent=1, default=str), encoding="utf-8")
    with open(out / "audit.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csvsafe.writer(fh)
        writer.writerow(["row", "jurisdiction_type", "name", "state", "resolved_name", "state_fips",
                         "county_fips", "place_fips", "verdict", "rule", "issued", "booked",
                         "declined", "open", "declined_share", "records_from", "records_to",
                         "instruments", "explanation"])
        for e in audit["entries"]:
            ev = e["evidence"] or {}
            writer.writerow([e["row"], e["jurisdiction_type"], e["name"], e["state"],
                             e.get("resolved_name"), e.get("state_fips"), e.get("county_fips"),
                             e.get("place_fips"), e["verdict"], e["rule"], ev.get("issued"),
                             ev.get("booked"), ev.get("declined"), ev.get("open"),
                             ev.get("declined_share"), ev.get("records_from"), ev.get("records_to"),
                             "; ".join(i["short_title"] for i in ev.get("instruments", [])),
                             e["explanation"]])
    html = environment().get_template("audit.html").render(a=audit)
    (out / "index.html").write_text(html, encoding="utf-8")
