"""Jurisdiction ids, and the bounded slug of a name they use where there is no FIPS code.

``county:42055``, ``city:4260000``, ``state:42``; for governments without a FIPS code (federal,
ICE, private, unresolved) ``<type>:<state FIPS>:<slug of the name>``. Names come from the
released files and can be of any length and script, while ids become URLs and file names: a
slug longer than SLUG_MAX characters, or empty (a name with no ASCII letter or digit), is cut
and followed by a short hash of the full name, so ids stay short and distinct. Names that fit
keep the slug they always had. The SQL and the Python agree (md5 of the UTF-8 name).
"""

from __future__ import annotations

import hashlib
import re

SLUG_MAX = 60  # characters of slug kept as they are
SLUG_CUT = 48  # characters kept when the slug is cut, before "-" and the hash
HASH_CHARS = 10


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits joined by '-', bounded as described above."""
    plain = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if plain and len(plain) <= SLUG_MAX:
        return plain
    digest = hashlib.md5(text.encode("utf-8")).hexdigest()[:HASH_CHARS]
    cut = plain[:SLUG_CUT].rstrip("-")
    return f"{cut}-{digest}" if cut else digest


def slug_sql(name: str) -> str:
    """The same slug as SQL over the text expression ``name``."""
    plain = f"trim(regexp_replace(lower({name}), '[^a-z0-9]+', '-', 'g'), '-')"
    digest = f"left(md5({name}), {HASH_CHARS})"
    return (
        f"CASE WHEN length({plain}) BETWEEN 1 AND {SLUG_MAX} THEN {plain} "
        f"WHEN {plain} = '' THEN {digest} "
        f"ELSE rtrim(left({plain}, {SLUG_CUT}), '-') || '-' || {digest} END"
    )


def jurisdiction_id_sql(prefix: str = "", facility_name: str | None = None) -> str:
    """The id of a facility_attribution row (columns read with ``prefix``, e.g. "a."), as SQL;
    ``facility_name`` names the facility column when it is read from another table."""
    p = prefix
    facility = facility_name or f"{p}facility_name"
    name = f"coalesce({p}jurisdiction_name, {facility}, 'unnamed')"
    return f"""
CASE
  WHEN {p}jurisdiction_type = 'county' AND {p}county_fips IS NOT NULL THEN 'county:' || {p}county_fips
  WHEN {p}jurisdiction_type = 'city' AND {p}place_fips IS NOT NULL THEN 'city:' || {p}place_fips
  WHEN {p}jurisdiction_type = 'state' AND {p}state_fips IS NOT NULL THEN 'state:' || {p}state_fips
  ELSE coalesce({p}jurisdiction_type, 'unknown') || ':' || coalesce({p}state_fips, '00') || ':' ||
       ({slug_sql(name)})
END"""


# A published jurisdiction row carries a county FIPS only when it is a county, or a city inside
# one county; a place FIPS only for a city (issue 11: a multi-county government gets none).
# Used in GROUP BY queries over facts or attributions that have these columns.
JURISDICTION_GEOGRAPHY_SQL = """CASE WHEN any_value(jurisdiction_type) = 'county' OR (any_value(jurisdiction_type)
                        = 'city' AND count(DISTINCT county_fips) = 1) THEN any_value(county_fips)
                        END AS county_fips,
                   CASE WHEN any_value(jurisdiction_type) = 'city' THEN any_value(place_fips)
                        END AS place_fips"""


# The one name of a jurisdiction id, the same on every page and output. Names that share an id
# can differ (an unresolved facility's id is the slug of its name, so "ZZQ HOLDING" and
# "ZZQ-HOLDING" share one; a city without a place code or a private operator likewise): each id
# takes its name from all of its facilities' attribution rows, never from the rows a page
# happens to count. The rule: the least government name (jurisdiction_name) among the id's rows;
# when none of them is resolved, "unresolved: " and the least facility name as released (blank
# only when every one is). Least is byte order (DuckDB's min): deterministic, and the same in
# every process. NAME_OF_ID is that government name (NULL for an unresolved id), DISPLAY_NAME_OF_ID
# the name pages show; both are window expressions over rows partitioned by the id.
_BY_ID = "OVER (PARTITION BY jurisdiction_id)"
NAME_OF_ID = f"min(jurisdiction_name) {_BY_ID}"


def unresolved_name_sql(facility_name: str) -> str:
    """The name shown for an id none of whose rows is resolved, from the SQL text expression of
    its facility name as released (the rule's second half, written once)."""
    return f"'unresolved: ' || coalesce({facility_name}, '(facility blank)')"


DISPLAY_NAME_OF_ID = (
    f"coalesce({NAME_OF_ID}, {unresolved_name_sql(f'min(facility_name) {_BY_ID}')})"
)


def named_attribution_sql(table: str = "facility_attribution") -> str:
    """The attribution rows with each one's jurisdiction id, its jurisdiction_name replaced by
    the id's one name (NAME_OF_ID) and that name as shown (jurisdiction_display_name), as SQL:
    the one place the rule is applied. The facility's own resolution stays in the table."""
    return f"""SELECT * REPLACE ({NAME_OF_ID} AS jurisdiction_name),
              {DISPLAY_NAME_OF_ID} AS jurisdiction_display_name
       FROM (SELECT *, {jurisdiction_id_sql()} AS jurisdiction_id FROM {table})"""
