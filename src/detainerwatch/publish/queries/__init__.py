"""The read model: the store opened once for reading, and the named questions the faces ask
of it, each answering typed rows. The CLI and the web call these (and the other publish
functions); they never write SQL themselves.

``connect_read(path)`` opens the store read-only (store.connect_read: an older schema version
is migrated, a newer refused), registers the ``detainer_facts`` view once on its connection and
checks the hand tables once (derive.facts.check_unmapped: values a later edit of the tables left
unmapped are listed, not folded into another class).

Every question publish asks of the store is a named function of this package, asked of the read
model or one of its prepared connections (base.Reader), answering typed rows; the rest of
publish builds pages from those rows and runs no SQL (tests/test_read_model_sql.py):
  counts   the report, profiles and coverage (questions over detainer_facts);
  catalog  totals, jurisdiction and facility lists, source files, and the audit's practices;
  export   the tables of the SQLite export;
  profiles every jurisdiction's profile rows from a few whole-store questions (static site, web);
  summary  the report's counts from per-month summary tables made after every ingest;
  base     the reader and the Scope (which rows of detainer_facts a question counts).
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ...derive import facts as derived_facts
from ...store import ReadStore
from ...store import connect_read as _connect_read
from .base import Reader as Reader
from .base import Scope as Scope
from .base import issued_between as issued_between
from .base import of_city_named as of_city_named
from .base import of_jurisdictions as of_jurisdictions
from .base import of_state_government as of_state_government
from .counts import *  # noqa: F403  (the report, profiles and coverage)
from .summary import *  # noqa: F403  (the report's counts from the summary tables)

if TYPE_CHECKING:
    from .catalog import *  # noqa: F403  (the catalog and the audit)
    from .export import *  # noqa: F403  (the tables of the SQLite export)
    from .profiles import *  # noqa: F403  (every jurisdiction's profile rows at once)

# Imported when one of their names is first asked for (module __getattr__), not by every
# command: a report asks none of them, and their row types (dataclasses, TypedDicts) cost a
# few milliseconds of CPU to define (issue 16). Their names do not overlap each other's nor
# counts' or summary's (tests/test_read_model.py).
LAZY_MODULES = ("catalog", "export", "profiles")


def __getattr__(name: str) -> Any:
    for sub in LAZY_MODULES:
        module = importlib.import_module(f"{__name__}.{sub}")
        if name == sub:
            return module
        if name in module.__all__:
            value = getattr(module, name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """What every reading connection needs: the facts view, and the hand tables checked."""
    derived_facts.register(con)
    derived_facts.check_unmapped(con)


def connect_read(
    path: str | Path, *, facts_view: bool = True, threads: int | None = None
) -> ReadStore:
    """The store at path, read-only, with the facts view registered and the hand tables
    checked once (facts_view=False: a question about other tables, which needs neither;
    threads: DuckDB's worker threads, else one per core)."""
    return _connect_read(path, prepare if facts_view else None, threads)


def _typed(cls: type[Any], result: duckdb.DuckDBPyConnection) -> list[Any]:
    names = [f.name for f in fields(cls)]
    return [cls(**dict(zip(names, row, strict=True))) for row in result.fetchall()]


@dataclass(frozen=True)
class ReviewItem:
    """A facility whose attribution is doubtful (link/: needs_review), as the queue lists it."""

    facility: str | None
    city: str | None
    state: str | None
    code: str | None
    jurisdiction_type: str | None
    jurisdiction_name: str | None
    state_fips: str | None
    county_fips: str | None
    place_fips: str | None
    confidence: float | None
    method: str | None
    review_reason: str | None
    candidates: str | None
    detainers: int | None


REVIEW_COLUMNS = [f.name for f in fields(ReviewItem)]


def review_queue(store: ReadStore) -> list[ReviewItem]:
    """The attribution review queue: doubtful facilities, most detainers first."""
    return _typed(
        ReviewItem,
        store.con.execute(
            "SELECT facility_name, facility_city, facility_state, facility_code, "
            "jurisdiction_type, jurisdiction_name, state_fips, county_fips, place_fips, "
            "confidence, method, review_reason, candidates, detainers "
            "FROM facility_attribution WHERE needs_review ORDER BY detainers DESC, facility_name"
        ),
    )


@dataclass(frozen=True)
class PolicyListing:
    """One policy record as `policies list` shows it."""

    jurisdiction_type: str | None
    jurisdiction_name: str | None
    state: str | None
    instrument_type: str | None
    short_title: str | None
    in_force_from: dt.date | None
    in_force_to: dt.date | None
    effect: str | None
    detainer_holds: str | None
    policy_id: str


POLICY_LIST_COLUMNS = [f.name for f in fields(PolicyListing)]


def policy_list(store: ReadStore, state: str | None = None) -> list[PolicyListing]:
    """The policy records in the store (built-in and added), of one state (USPS code) or all,
    by state, then state records first, then by jurisdiction and date in force."""
    return _typed(
        PolicyListing,
        store.con.execute(
            f"SELECT {', '.join(POLICY_LIST_COLUMNS)} FROM policies "
            "WHERE ? IS NULL OR state = ? "
            "ORDER BY state, jurisdiction_type DESC, jurisdiction_name, in_force_from",
            [state, state and state.upper()],
        ),
    )
