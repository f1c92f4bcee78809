"""GET /api/v1/outcomes: what followed detainers, within one release (publish.outcomes), as
the CLI's `detainerwatch outcomes` gives it. Aggregates only; cells of 1-4 people withheld."""

from __future__ import annotations

from ..errors import UsageError
from .api import STATE, Endpoint, Param, ParamError


def get_outcomes(
    con,
    release=None,
    windows=None,
    by="jurisdiction",
    period="year",
    start=None,
    end=None,
    state=None,
):
    from ..derive.outcomes import releases
    from ..publish.outcomes import published_outcomes

    known = releases(con)
    if release is None and len(known) != 1:
        from ..publish.disclosure import protect

        return protect(
            {
                "releases": known,
                "rows": [],
                "notes": [
                    "Name a release: person identifiers link rows within one release only."
                    if known
                    else "No release in the store holds person identifiers: "
                    "nothing can be followed after a detainer."
                ],
            },
            "plain",
        )
    if release is not None and release not in known:
        raise ParamError(
            "release", f"no detainers with person identifiers in release {release!r}", 404
        )
    if start and end and end < start:
        raise ParamError("end", f"{end.isoformat()} is before start {start.isoformat()}")
    days = [int(w) for w in windows.split(",")] if windows else [30, 90, 365]
    if any(d > 3650 for d in days):
        raise ParamError("windows", "expected days from 0 to 3650")
    try:
        return published_outcomes(
            con, release, windows=days, by=by, period=period, start=start, end=end, state=state
        )
    except UsageError as exc:
        raise ParamError("release", str(exc)) from None


ENDPOINT = Endpoint(
    "/outcomes",
    "What followed detainers of each outcome class within one release: the share "
    "of people later booked into ICE custody, arrested (in a jail or at large) and removed, "
    "within windows of days; censored at the release's last date; small cells withheld.",
    get_outcomes,
    [
        Param(
            "release",
            "Release tag (default: the only release holding person identifiers; "
            "with several, the list of them).",
            max_length=60,
            pattern="^[A-Za-z0-9._-]+$",
        ),
        Param(
            "windows",
            "Days after the detainer, comma-separated (default 30,90,365).",
            max_length=40,
            pattern="^[0-9]{1,4}(,[0-9]{1,4}){0,5}$",
        ),
        Param("by", "Grouping.", enum=("jurisdiction", "state", "all"), default="jurisdiction"),
        Param(
            "period",
            "Period of the issue date.",
            enum=("year", "fy", "quarter", "month", "all"),
            default="year",
        ),
        Param("start", "First issue date.", "date"),
        Param("end", "Last issue date.", "date"),
        STATE,
    ],
    tag="outcomes",
)
