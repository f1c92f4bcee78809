"""What the web pages and API endpoints show, from the same library calls as the CLI.

The store is opened read-only, so a result computed once stays true for the app's lifetime:
results are cached per parameter set (bounded) in the app's own `ResultCache` (one per app, its
keys holding the store's path), which keeps repeated page views fast. Nothing is cached at
module level: a new app starts empty, and two apps never share results.
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from ..data_paths import LISTS_DIR
from ..errors import InputError, UsageError
from ..publish import catalog, charts, csvsafe, disclosure
from ..publish.audit import build_audit, read_list
from ..publish.charts import filled_series  # noqa: F401 (the one implementation, in publish)
from ..publish.output import chart_specs
from ..publish.profile import ProfileBasis, build_profile, profile_basis
from ..publish.report import build_report, resolve_period
from .api import STATE, Param, ParamError
from ..publish.diskcache import DiskCache

CACHE_SIZE = 4096  # entries: a national store has ~3,000 jurisdictions (profile, chart, page each)
T = TypeVar("T")
# What ResultCache also keeps on disk (publish/diskcache.py): finished pages and API answers.
PERSISTED = ("jurisdiction_page", "page", "api")
# What ResultCache keeps for the app's whole life, never dropped for newer entries: the
# whole-store rows every profile is looked up in (publish/profile.py's ProfileBasis).
PINNED = ("profile_basis", "facilities_by_jurisdiction")

REPORT_PARAMS = {
    "week": Param("week", "", "date"),
    "start": Param("start", "", "date"),
    "end": Param("end", "", "date"),
    "state": STATE,
}
DOWNLOADS = {
    "jurisdictions.csv": "Detainers and outcomes by jurisdiction, whole period (CSV)",
    "facilities.csv": "Detainers and outcomes by facility as released, with attribution (CSV)",
    "jurisdictions.parquet": "The same by jurisdiction (Parquet)",
    "facilities.parquet": "The same by facility (Parquet)",
}


_MISSING = object()  # a kept value may be None


class ResultCache:
    """Results of one app over one read-only store: compute() once per key while the app runs,
    the least recently used dropped past `size` entries. Every key is prefixed with the store's
    path. size=0 caches nothing (library callers outside an app)."""

    def __init__(
        self, store: Path | str = "", size: int = CACHE_SIZE, disk: DiskCache | None = None
    ) -> None:
        self.store = str(store)
        self.size = size
        self.disk = disk
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._pinned: dict[Hashable, Any] = {}
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.RLock] = {}  # one lock per key being made

    def get(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        full = (self.store, *key)
        with self._lock:
            kept = self._kept(full)
            if kept is not _MISSING:
                return kept
            if not self.size:
                making = None
            else:  # a key is made once: requests for it meanwhile wait for that answer
                making = self._computing.setdefault(full, threading.RLock())
        if making is None:
            return self._make(key, full, compute)
        with making:
            with self._lock:
                kept = self._kept(full)  # made while this request waited
                if kept is not _MISSING:
                    return kept
            try:
                return self._make(key, full, compute)
            finally:
                with self._lock:
                    self._computing.pop(full, None)

    def _kept(self, full: Hashable) -> Any:
        """The value kept for a key, or _MISSING (call with the lock held)."""
        if full in self._pinned:
            return self._pinned[full]
        if full in self._items:
            self._items.move_to_end(full)
            return self._items[full]
        return _MISSING

    def _make(self, key: tuple[Hashable, ...], full: Hashable, compute: Callable[[], T]) -> T:
        # finished pages and API answers are kept on disk too, for the next start of the app
        disk_key = repr(key) if self.disk is not None and key[0] in PERSISTED else None
        stored = self.disk.get(disk_key) if self.disk is not None and disk_key else None
        if stored is not None:
            value: Any = stored
        else:
            value = compute()  # outside the lock: other requests go on meanwhile
            if self.disk is not None and disk_key and isinstance(value, (str, bytes)):
                self.disk.put(disk_key, value)
        if self.size and key[0] in PINNED:
            with self._lock:
                self._pinned[full] = value
        elif self.size:
            with self._lock:
                self._items[full] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value

    def entries(self) -> int:
        return len(self._items)


def _nocache() -> ResultCache:
    return ResultCache(size=0)


def _json_safe(value):
    return disclosure.json_safe(value)


# A city the gazetteer has no place code for is listed as city:<state FIPS>:<slug of its name>.
CITY_SLUG = re.compile(r"city:(\d{2}):[a-z0-9-]+")
CUSTODY_TYPES = ("federal", "ice", "private", "non_government", "unknown")


def profile(con, jid: str, cache: ResultCache | None = None, suggest_names: bool = True) -> dict:
    """A county's, city's or state's profile; a ParamError (404) when the id names none, with
    the nearest names unless suggest_names=False (publish/profile.py parse_jurisdiction)."""

    def compute():
        query = jid
        if CITY_SLUG.fullmatch(jid):
            # Profiles find such a city by its name within its state: look the name up.
            facs = facilities_of(con, jid, cache, limit=1)
            if not facs or not facs[0].get("jurisdiction_name"):
                raise ParamError("id", f"no jurisdiction {jid!r} in the store", 404)
            query = facs[0]["jurisdiction_name"]
        try:
            data = _json_safe(
                build_profile(con, query, basis(con, cache), suggest_names=suggest_names)
            )
        except UsageError as exc:
            raise ParamError("id", str(exc), 404) from None
        if query != jid:
            data["id"] = jid  # the id the lists link to, not the name it was found by
        return data

    return (cache or _nocache()).get(("profile", jid), compute)


def basis(con: Any, cache: ResultCache | None) -> ProfileBasis | None:
    """The whole-store rows every profile of this app is looked up in, asked once per app and
    kept beside the store with its finished pages (None without an app's cache: a library
    caller's one profile asks its own rows)."""
    if cache is None or not cache.size:
        return None
    return cache.get(("profile_basis",), lambda: profile_basis(con, cache.disk))


def facilities_of(
    con: Any, jid: str, cache: ResultCache | None, *, limit: int
) -> list[dict[str, Any]]:
    """The facilities attributed to a jurisdiction id, most detainers first (the library's own
    unprotected counts): with an app's cache, looked up in every id's list, asked of the store
    once per app; without, asked for this id."""
    if cache is None or not cache.size:
        return catalog.facilities(con, jurisdiction=jid, limit=limit, raw=True)
    every = cache.get(
        ("facilities_by_jurisdiction",), lambda: catalog.facilities_by_jurisdiction(con)
    )
    return [dict(f) for f in every.get(jid, [])[:limit]]


def name_of(con: Any, jid: str, cache: ResultCache | None) -> str | None:
    """A jurisdiction id's one name, as every page shows it (derive/ids.py): with an app's
    cache, looked up in every id's, asked of the store once per app."""
    if cache is None or not cache.size:
        return catalog.jurisdiction_name(con, jid)
    return cache.get(("jurisdiction_names",), lambda: catalog.jurisdiction_names(con)).get(jid)


def custody(con, jid: str, cache: ResultCache | None = None) -> dict:
    """A jurisdiction with no profile (federal, ICE, private or unresolved custody): its
    facilities as released and their counts. Raises ParamError(404) when nothing matches."""

    def compute():
        facs = facilities_of(con, jid, cache, limit=1000) if jid else []
        if not facs:
            raise ParamError("id", f"no jurisdiction {jid!r} in the store", 404)
        kind = facs[0].get("jurisdiction_type") or "unknown"
        return _json_safe(
            disclosure.protect(
                {
                    "id": jid,
                    "name": name_of(con, jid, cache) or jid,
                    "jurisdiction_type": kind,
                    "state": facs[0].get("state"),
                    "totals": {"issued": sum(f.get("detainers") or 0 for f in facs)},
                    "facilities": [
                        {
                            k: f.get(k)
                            for k in (
                                "facility",
                                "city",
                                "state",
                                "state_as_released",
                                "code",
                                "method",
                                "confidence",
                                "needs_review",
                                "review_reason",
                                "protected_facility",
                                "detainers",
                            )
                        }
                        for f in facs
                    ],
                    "notes": [custody_note(kind)],
                },
                "custody",
            )
        )

    return (cache or _nocache()).get(("custody", jid), compute)


def custody_note(kind: str) -> str:
    if kind in CUSTODY_TYPES:
        return (
            f"{kind} custody: not a county, city or state government, so never counted as "
            "declining."
        )
    return (
        "No profile could be built for this id; the facilities attributed to it are listed "
        "as released."
    )


def jurisdiction(con, jid: str, cache: ResultCache | None = None) -> tuple[str, dict]:
    """("profile", profile) for a county, city or state; ("custody", summary) for the rest."""
    if jid.partition(":")[0] in CUSTODY_TYPES:
        # A custody id (federal:42:..., private:..., unknown:...) names no government, so no
        # profile is built for it: asked first, it spares the profile's failed name lookup and
        # its suggestions (a tenth of a second each); when none matches, the usual order.
        try:
            return "custody", custody(con, jid, cache)
        except ParamError:
            pass
    try:
        # without the nearest names: an id of another kind (regional:...) fails here on every
        # view, and its custody summary is what is shown (a static site of a national store
        # searched names for each, 2 s in all); they are looked up when the error is shown
        return "profile", profile(con, jid, cache, suggest_names=False)
    except ParamError:
        if CITY_SLUG.fullmatch(jid):
            return "profile", profile(con, jid, cache)  # raises, with the nearest names
        try:
            return "custody", custody(con, jid, cache)
        except ParamError:
            pass
    try:  # not a government, nor any custody: the profile's error, with the nearest names
        return "profile", profile(con, jid, cache)
    except ParamError as not_a_government:
        raise not_a_government from None


def trend_svg(series: list[dict], title: str) -> str:
    return charts.svg(charts.trend_spec(series, title))


def profile_trend_svg(con, data: dict, cache: ResultCache | None = None) -> str:
    return (cache or _nocache()).get(
        ("profile_svg", data["id"]), lambda: charts.profile_trend(data)
    )


def _report_dict(
    con, week=None, start=None, end=None, state=None, cache: ResultCache | None = None
) -> dict:
    if start and end and end < start:
        raise ParamError("end", f"{end.isoformat()} is before start {start.isoformat()}")

    def compute():
        try:
            period = resolve_period(con, week=week, start=start, end=end)
            return _json_safe(build_report(con, period, state=state))
        except UsageError as exc:
            raise ParamError(
                "state" if state and "state" in str(exc) else "period", str(exc)
            ) from None

    return (cache or _nocache()).get(("report", week, start, end, state), compute)


def report(con, cache: ResultCache | None = None, **kwargs) -> dict:
    return _report_dict(con, cache=cache, **kwargs)


def report_page(con, cache: ResultCache | None = None, **kwargs) -> dict:
    """The report and its charts, for the site's report page (the same body template as the
    CLI's page, inside the site's frame)."""
    data = disclosure.require(_report_dict(con, cache=cache, **kwargs), "report page")

    def compute():
        specs = chart_specs(data)
        return {
            "r": data,
            "trend_svg": charts.svg(specs["trend"]) if specs else "",
            "map_svg": charts.svg(specs["map"]) if specs else "",
        }

    return (cache or _nocache()).get(("report_page",) + tuple(sorted(kwargs.items())), compute)


def list_names() -> list[str]:
    return sorted(p.name for p in LISTS_DIR.glob("*.csv"))


def _audit_dict(con, name: str, cache: ResultCache | None = None) -> dict:
    if name not in list_names():
        raise ParamError("name", f"no list {name!r}", 404)

    def compute():
        try:
            entries = read_list(LISTS_DIR / name)
            period = resolve_period(con, whole=True)
            return _json_safe(disclosure.protect(build_audit(con, entries, period, name), "audit"))
        except (UsageError, InputError) as exc:
            raise ParamError("name", str(exc), 404) from None

    return (cache or _nocache()).get(("audit", name), compute)


def audit(con, name: str, cache: ResultCache | None = None) -> dict:
    return _audit_dict(con, name, cache)


def home_extras(con, cache: ResultCache | None = None) -> dict:
    """The latest full week's report, and the whole period's trend chart and county map."""

    def compute():
        try:
            latest = _report_dict(con, cache=cache)
            span = resolve_period(con, whole=True)
        except ParamError:
            return {"latest": None, "trend_svg": "", "map_svg": ""}
        whole = (cache or _nocache()).get(
            ("report_all",), lambda: _json_safe(build_report(con, span))
        )
        covered = [s["fips"] for s in whole["store_coverage"]["states"]]
        return {
            "latest": latest,
            "trend_svg": trend_svg(filled_series(whole["trend"]), "Detainers by issue date"),
            "map_svg": charts.svg(
                charts.map_spec(
                    whole["map"], None, "Detainers recorded as declined, by county", covered=covered
                )
            ),
        }

    return (cache or _nocache()).get(("home",), compute)


def _uniform(rows: list[dict]) -> list[dict]:
    """A column holding "<5" or "x" beside numbers is written as text throughout."""
    mixed = {k for r in rows for k, v in r.items() if isinstance(v, str)} & {
        k
        for r in rows
        for k, v in r.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }
    return [
        {k: (str(v) if k in mixed and v is not None else v) for k, v in r.items()} for r in rows
    ]


def download_media(name: str) -> str:
    """The media type of a download, by its name."""
    return "text/csv; charset=utf-8" if name.endswith(".csv") else "application/vnd.apache.parquet"


def download(con, name: str, cache: ResultCache | None = None) -> tuple[bytes, str]:
    def compute():
        try:  # e.g. a store of facility lists only: no detainers, nothing to download (404)
            span = resolve_period(con, whole=True)
        except UsageError as exc:
            raise ParamError("name", str(exc), 404) from None
        data = (cache or _nocache()).get(
            ("report_all",), lambda: _json_safe(build_report(con, span))
        )
        disclosure.require(data, "download")
        rows = (
            data["jurisdictions"] + data["other_custody"]
            if name.startswith("jurisdictions")
            else data["facilities"]
        )
        if name.endswith(".csv"):  # the one CSV writer: formula-like text cells escaped
            return csvsafe.dicts_to_bytes(rows), download_media(name)
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(_uniform(rows))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            pq.write_table(table, path)
            return path.read_bytes(), download_media(name)

    return (cache or _nocache()).get(("download", name), compute)
