"""What the web pages and API endpoints show, from the same library calls as the CLI.

The store is opened read-only, so a result computed once stays true for the app's lifetime:
results are cached per parameter set (bounded), which keeps repeated page views fast.
"""
from __future__ import annotations

import json
import tempfile
from collections import OrderedDict
from pathlib import Path

from ..data_paths import LISTS_DIR
from ..errors import InputError, UsageError
from ..publish import charts
from ..publish.audit import build_audit, read_list, write_audit
from ..publish.output import environment, render_report_html
from ..publish.profile import build_profile
from ..publish.report import build_report, resolve_period
from .api import STATE, Param, ParamError

CACHE_SIZE = 256
_cache: OrderedDict = OrderedDict()

REPORT_PARAMS = {"week": Param("week", "", "date"), "start": Param("start", "", "date"),
                 "end": Param("end", "", "date"),
                 "state": STATE}
DOWNLOADS = {
    "jurisdictions.csv": "Detainers and outcomes by jurisdiction, whole period (CSV)",
    "facilities.csv": "Detainers and outcomes by facility as released, with attribution (CSV)",
    "jurisdictions.parquet": "The same by jurisdiction (Parquet)",
    "facilities.parquet": "The same by facility (Parquet)",
}


def reset() -> None:
    _cache.clear()


def _cached(key, compute):
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    value = compute()
    _cache[key] = value
    if len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return value


def _json_safe(value):
    return json.loads(json.dumps(value, default=str))


def profile(con, jid: str) -> dict:
    def compute():
        try:
            return _json_safe(build_profile(con, jid))
        except UsageError as exc:
            raise ParamError("id", str(exc), 404) from None
    return _cached(("profile", jid), compute)


def profile_trend_svg(data: dict) -> str:
    series = [{"period": f"{m['month']}-01", "unit": "month", "issued": m["issued"],
               "declined": m["declined"], "booked": m["booked"]} for m in data["by_month"]]
    return _cached(("profile_svg", data["id"]), lambda: charts.svg(
        charts.trend_spec(series, f"{data['name']}: detainers by month of issue")))


def _report_dict(con, week=None, start=None, end=None, state=None) -> dict:
    def compute():
        try:
            period = resolve_period(con, week=week, start=start, end=end)
            return _json_safe(build_report(con, period, state=state))
        except UsageError as exc:
            raise ParamError("state" if state and "state" in str(exc) else "period", str(exc)) from None
    return _cached(("report", week, start, end, state), compute)


def report(con, **kwargs) -> dict:
    return _report_dict(con, **kwargs)


def report_html(con, **kwargs) -> str:
    data = _report_dict(con, **kwargs)
    return _cached(("report_html",) + tuple(sorted(kwargs.items())),
                   lambda: render_report_html(data))


def list_names() -> list[str]:
    return sorted(p.name for p in LISTS_DIR.glob("*.csv"))


def _audit_dict(con, name: str) -> dict:
    if name not in list_names():
        raise ParamError("name", f"no list {name!r}", 404)

    def compute():
        try:
            entries = read_list(LISTS_DIR / name)
            period = resolve_period(con, whole=True)
            return _json_safe(build_audit(con, entries, period, name))
        except (UsageError, InputError) as exc:
            raise ParamError("name", str(exc), 404) from None
    return _cached(("audit", name), compute)


def audit(con, name: str) -> dict:
    return _audit_dict(con, name)


def audit_html(con, name: str) -> str:
    data = _audit_dict(con, name)
    return _cached(("audit_html", name),
                   lambda: environment().get_template("audit.html").render(a=data))


def home_extras(con) -> dict:
    """The latest full week's report, and the whole period's trend chart and county map."""
    def compute():
        try:
            latest = _report_dict(con)
            span = resolve_period(con, whole=True)
        except ParamError:
            return {"latest": None, "trend_svg": "", "map_svg": ""}
        whole = _cached(("report_all",), lambda: _json_safe(build_report(con, span)))
        return {"latest": latest,
                "trend_svg": charts.svg(charts.trend_spec(whole["trend"], "Detainers by issue date")),
                "map_svg": charts.svg(charts.map_spec(whole["map"], None,
                                                      "Detainers recorded as declined, by county"))}
    return _cached(("home",), compute)


def download(con, name: str) -> tuple[bytes, str]:
    def compute():
        span = resolve_period(con, whole=True)
        data = _cached(("report_all",), lambda: _json_safe(build_report(con, span)))
        rows = data["jurisdictions"] + data["other_custody"] if name.startswith("jurisdictions") \
            else data["facilities"]
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(rows)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            if name.endswith(".parquet"):
                pq.write_table(table, path)
                return path.read_bytes(), "application/vnd.apache.parquet"
            pacsv.write_csv(table, path)
            return path.read_bytes(), "text/csv; charset=utf-8"
    return _cached(("download", name), compute)
