"""The local web app: pages and the JSON API over a read-only store.

Pages and API read the same library functions as the CLI and the static site. Every asset is
served from this app (versioned file names); the Content Security Policy forbids anything else.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..publish import catalog, disclosure, queries
from ..publish.output import methodology_context
from ..publish.profile import load_lookups
from . import views
from ..publish.diskcache import DiskCache
from ..store.schema import JURISDICTION_TYPES
from .answers import Answers
from .static_memory import MemoryStatic
from .warm import RETRY_AFTER_S, Preparing, Warmer
from .api import LIMIT, OFFSET, STATE, Endpoint, Param, ParamError, openapi, parse

STATIC_DIR = Path(__file__).resolve().parent / "static"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Connections prepared when `serve` starts, one per request thread of the goal's 20 clients.
SPARE_CONNECTIONS = 20
# Page context that holds no counts about people (the API description, file and list names).
PAGE_PLAIN = ("spec", "files", "lists", "m")


class SecurityHeaders:
    """Pure ASGI middleware: CSP and friends on every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Store:
    """The app's read model (publish.queries.connect_read): the store opened read-only once, the
    facts view registered and the hand tables checked on each connection once. Each request
    works on a connection of its own thread, prepared the first time that thread asks."""

    def __init__(self, path: Path):
        self.read = queries.connect_read(path)
        self.path = self.read.path
        self._local = threading.local()
        self._spares: list[duckdb.DuckDBPyConnection] = []  # prepared, not yet a thread's
        self._spares_lock = threading.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cur", None)
        if cur is None:
            with self._spares_lock:
                cur = self._spares.pop() if self._spares else None
            if cur is None:
                cur = self.read.cursor()
            self._local.cur = cur
        return cur

    def prepare_spares(self, n: int) -> None:
        """Prepare n connections before any request (`serve`): preparing one (the facts view
        and its lookup tables, the hand tables checked) takes 0.15-0.3 s on a 300k store, and
        each request thread's first request paid it (20 threads at once for 20 clients)."""
        made = [self.read.cursor() for _ in range(n)]
        with self._spares_lock:
            self._spares.extend(made)


def templates() -> Environment:
    """The one Jinja environment of publish (its templates and these pages)."""
    from ..publish.output import environment

    return environment()


# ---- API handlers: thin calls into the library -------------------------------------------


def get_totals(con):
    return catalog.national_totals(con)


def list_jurisdictions(con, q=None, state=None, type=None, limit=50, offset=0, cache=None):
    # pages of the whole list cut from it, asked of the store once (20 clients paging after a
    # restart asked it 20 times)
    ordered = None
    if cache is not None and not (q or state or type):
        ordered = cache.get(("jurisdiction_listing",), lambda: catalog.jurisdiction_listing(con))
    return catalog.jurisdictions(
        con, q=q, state=state, jurisdiction_type=type, limit=limit, offset=offset, ordered=ordered
    )


def list_facilities(
    con, q=None, state=None, jurisdiction=None, needs_review=None, limit=50, offset=0
):
    return catalog.facilities(
        con,
        q=q,
        state=state,
        jurisdiction=jurisdiction,
        needs_review=needs_review,
        limit=limit,
        offset=offset,
    )


def list_sources(con):
    return catalog.sources(con)


def get_jurisdiction(con, id, cache: views.ResultCache | None = None):
    return views.jurisdiction(con, id, cache)[1]


def get_report(
    con, week=None, start=None, end=None, state=None, cache: views.ResultCache | None = None
):
    return views.report(con, cache=cache, week=week, start=start, end=end, state=state)


def list_audits(con):
    return disclosure.protect(
        [{"list": name, "url": f"/api/v1/audits/{name}"} for name in views.list_names()], "plain"
    )


def get_audit(con, name, cache: views.ResultCache | None = None):
    return views.audit(con, name, cache)


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "/totals",
        "Totals of the store, with what it covers (states, period, releases) in "
        "`coverage`: national only when every state is covered.",
        get_totals,
    ),
    Endpoint(
        "/jurisdictions",
        "Jurisdictions with detainer counts, largest first.",
        list_jurisdictions,
        [
            Param("q", "Part of a jurisdiction or facility name."),
            STATE,
            Param("type", "Jurisdiction type.", enum=JURISDICTION_TYPES),
            LIMIT,
            OFFSET,
        ],
    ),
    Endpoint(
        "/facilities",
        "Facilities as released, with the government each is attributed to.",
        list_facilities,
        [
            Param("q", "Part of a facility name."),
            STATE,
            Param("jurisdiction", "A jurisdiction id, e.g. county:42055."),
            Param(
                "needs_review",
                "Only doubtful (true) or only confident (false) attributions.",
                "boolean",
            ),
            LIMIT,
            OFFSET,
        ],
    ),
    Endpoint(
        "/sources",
        "Source files ingested, with SHA-256, layout, release and licence.",
        list_sources,
        tag="provenance",
    ),
    Endpoint(
        "/jurisdictions/{id}",
        "One jurisdiction's profile: by year and month, facilities, "
        "policies, and the source files and row ranges behind it. For federal, ICE, private "
        "or unresolved custody (ids listed by /jurisdictions), its facilities and counts.",
        get_jurisdiction,
        [
            Param(
                "id",
                "Jurisdiction id (county:42055, city:4260000, state:42) or FIPS code.",
                location="path",
                required=True,
                max_length=120,
                pattern="^[A-Za-z0-9:._-]+$",
            )
        ],
    ),
    Endpoint(
        "/report",
        "The Declined Detainer Outcome Report for a period (default: the latest "
        "full week in the store).",
        get_report,
        [
            Param(
                "week",
                "A date in the DDOR week (Saturday-Friday) to report; when given, "
                "start and end are not used.",
                "date",
            ),
            Param(
                "start", "First issue date of the period (default: the first in the store).", "date"
            ),
            Param(
                "end",
                "Last issue date of the period (default: the last in the store); not before start.",
                "date",
            ),
            STATE,
        ],
    ),
    Endpoint("/audits", "Published lists available for audit.", list_audits),
    Endpoint(
        "/audits/{name}",
        "The audit of one published list against the evidence.",
        get_audit,
        [
            Param(
                "name",
                "List name (see /api/v1/audits).",
                location="path",
                required=True,
                max_length=120,
                pattern="^[A-Za-z0-9._-]+$",
            )
        ],
    ),
]


from .outcomes_endpoint import ENDPOINT as _OUTCOMES  # noqa: E402  (issue 14)

ENDPOINTS.append(_OUTCOMES)


def _takes_cache(handler: Callable[..., Any]) -> bool:
    """Handlers that reuse the app's results (profiles, reports, audits) take `cache=`."""
    return "cache" in inspect.signature(handler).parameters


def _api_route(endpoint: Endpoint, store: Store, cache: views.ResultCache):
    extra = {"cache": cache} if _takes_cache(endpoint.handler) else {}

    def handle(request: Request):
        try:
            kwargs = {}
            for p in endpoint.params:
                raw = (
                    request.path_params.get(p.name)
                    if p.location == "path"
                    else request.query_params.get(p.name)
                )
                kwargs[p.name] = parse(p, raw)
            unknown = set(request.query_params) - {p.name for p in endpoint.params}
            if unknown:
                name = sorted(unknown)[0]
                raise ParamError(name, "is not a parameter of this endpoint")
            # Parsed parameters are the key: the read-only store gives the same answer again.
            key = ("api", endpoint.path, tuple(sorted((k, str(v)) for k, v in kwargs.items())))
            return Response(
                cache.get(
                    key,
                    lambda: (
                        JSONResponse(
                            disclosure.require(
                                endpoint.handler(store.cursor(), **kwargs, **extra),
                                "/api/v1" + endpoint.path,
                            )
                        ).body
                    ),
                ),
                media_type="application/json",
            )
        except ParamError as exc:
            return JSONResponse(
                {"error": exc.message, "parameter": exc.param}, status_code=exc.status
            )

    path = "/api/v1" + endpoint.path
    return Route(path, handle, methods=["GET"], name=endpoint.operation_id)


def create_app(
    db_path: Path,
    *,
    extra_endpoints: list[Endpoint] | None = None,
    disk_cache: bool = True,
    warm: bool = False,
) -> Starlette:
    """The app over one store. warm=True (`serve`): whole-store pages are prepared by a child
    process from start-up (web/warm.py) and answered "being prepared" until they are made."""
    store = Store(db_path)
    # Results of this app over this store (profiles, reports, pages, API answers): the app's
    # own, so a new app (a restart, another store, a test) starts empty in memory; finished
    # pages and API answers are also kept beside the store (publish/diskcache.py) while the store
    # and the code are unchanged, so a restarted app serves them at once.
    cache = views.ResultCache(store.path, disk=DiskCache(store.path) if disk_cache else None)
    env = templates()
    endpoints = ENDPOINTS + (extra_endpoints or [])
    spec = openapi(endpoints)

    coverage = catalog.store_coverage(store.cursor())

    def render(name: str, **context) -> str:
        context.setdefault("store_coverage", coverage)
        for key, value in context.items():  # every table on a page passed the disclosure function
            if isinstance(value, (dict, list)) and key not in PAGE_PLAIN:
                disclosure.require(value, f"page {name}: {key}")
        return env.get_template(name).render(**context)

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(render(name, **context), status_code=status)

    def home(request: Request):
        def compute() -> str:
            con = store.cursor()
            return render(
                "home.html",
                totals=catalog.national_totals(con),
                top=catalog.jurisdictions(con, limit=15),
                **views.home_extras(con, cache),
            )

        return HTMLResponse(cache.get(("page", "/"), compute))

    def search(request: Request):
        q = (request.query_params.get("q") or "").strip()[:200]
        if "\x00" in q:
            return page(
                "error.html", status=400, status_code=400, message="q: contains a NUL character"
            )

        def compute() -> str:
            con = store.cursor()
            juris = catalog.jurisdictions(con, q=q, limit=50) if q else disclosure.mark([])
            facs = catalog.facilities(con, q=q, limit=50) if q else disclosure.mark([])
            return render("search.html", q=q, jurisdictions=juris, facilities=facs)

        # kept in memory (not on disk: any text can be asked); one search made once while
        # others asking the same wait for it
        return HTMLResponse(cache.get(("search", q), compute))

    def jurisdictions_page(request: Request):
        return HTMLResponse(
            cache.get(
                ("page", "/jurisdictions"),
                lambda: render(
                    "jurisdictions.html",
                    jurisdictions=catalog.jurisdictions(store.cursor(), limit=100_000),
                ),
            )
        )

    def sources_page(request: Request):
        return HTMLResponse(
            cache.get(
                ("page", "/sources"),
                lambda: render("sources.html", sources=catalog.sources(store.cursor())),
            )
        )

    def review_page(request: Request):
        return HTMLResponse(
            cache.get(
                ("page", "/review"),
                lambda: render(
                    "review.html",
                    facilities=catalog.facilities(store.cursor(), needs_review=True, limit=1000),
                ),
            )
        )

    def jurisdiction_page(request: Request):
        jid = request.path_params["id"]
        if not jid.strip() or len(jid) > 200 or "\x00" in jid:
            raise HTTPException(404, f"no jurisdiction {jid[:200]!r} in the store")

        def render() -> str:
            con = store.cursor()
            try:
                kind, data = views.jurisdiction(con, jid, cache)
            except ParamError:
                raise HTTPException(404, f"no jurisdiction {jid!r} in the store") from None
            disclosure.require(data, f"/jurisdiction/{jid}")
            if kind == "custody":
                return env.get_template("custody.html").render(c=data, store_coverage=coverage)
            return env.get_template("jurisdiction.html").render(
                p=data,
                trend_svg=views.profile_trend_svg(con, data, cache),
                store_coverage=coverage,
            )

        # The store is read-only: a page once rendered stays right, and the most visited page
        # then costs no query and no template.
        return HTMLResponse(cache.get(("jurisdiction_page", jid), render))

    def report_page(request: Request):
        try:
            params = {
                k: parse(p, request.query_params.get(k)) for k, p in views.REPORT_PARAMS.items()
            }

            def compute() -> str:
                context = views.report_page(store.cursor(), cache, **params)
                return render(
                    "report_page.html",
                    r=context["r"],
                    trend_svg=context["trend_svg"],
                    map_svg=context["map_svg"],
                    **methodology_context(),
                )

            key = ("page", "/report", tuple(sorted((k, str(v)) for k, v in params.items())))
            return HTMLResponse(cache.get(key, compute))
        except ParamError as exc:
            return page(
                "error.html", status=400, status_code=400, message=f"{exc.param}: {exc.message}"
            )

    def methodology_page(request: Request):
        return page("methodology_page.html", **methodology_context())

    def audits_page(request: Request):
        return page("audits.html", lists=views.list_names())

    def audit_page(request: Request):
        name = request.path_params["name"]
        try:
            return HTMLResponse(
                cache.get(
                    ("page", "/audits", name),
                    lambda: render("audit_page.html", a=views.audit(store.cursor(), name, cache)),
                )
            )
        except ParamError as exc:
            raise HTTPException(404, exc.message) from None

    def downloads_page(request: Request):
        return page("downloads.html", files=views.DOWNLOADS)

    def download(request: Request):
        name = request.path_params["name"]
        if name not in views.DOWNLOADS:
            raise HTTPException(404, f"no download {name!r}")
        try:
            media = views.download_media(name)
            body = cache.get(
                ("page", "/downloads", name), lambda: views.download(store.cursor(), name, cache)[0]
            )
        except ParamError as exc:
            raise HTTPException(exc.status, exc.message) from None
        return Response(
            body,
            media_type=media,
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    def api_docs(request: Request):
        return page("api.html", spec=spec)

    def openapi_json(request: Request):
        return JSONResponse(spec)

    async def not_found(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"error": exc.detail or "not found", "parameter": "path"},
                status_code=exc.status_code,
            )
        return page(
            "error.html", status=exc.status_code, status_code=exc.status_code, message=exc.detail
        )

    async def server_error(request: Request, exc: Exception):
        return JSONResponse({"error": "internal error"}, status_code=500)

    routes = [
        Route("/", home, name="home"),
        Route("/search", search, name="search"),
        Route("/sources", sources_page, name="sources"),
        Route("/review", review_page, name="review"),
        Route("/jurisdictions", jurisdictions_page, name="jurisdictions"),
        Route("/jurisdiction/{id:path}", jurisdiction_page, name="jurisdiction"),
        Route("/report", report_page, name="report"),
        Route("/methodology", methodology_page, name="methodology"),
        Route("/audits", audits_page, name="audits"),
        Route("/audits/{name}", audit_page, name="audit"),
        Route("/downloads", downloads_page, name="downloads"),
        Route("/downloads/{name}", download, name="download"),
        Route("/api/docs", api_docs, name="api_docs"),
        Route("/api/v1/openapi.json", openapi_json, name="openapi"),
        *[_api_route(ep, store, cache) for ep in endpoints],
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    warmer = Warmer(store.path, cache.disk if warm else None)

    def busy(path: str) -> Response:
        message = (
            "This page is being prepared: its figures are computed from the whole store when "
            "the app starts."
        )
        headers = {"retry-after": str(RETRY_AFTER_S)}
        if path.startswith("/api/"):
            return JSONResponse(
                {
                    "error": f"{message} Ask again after {RETRY_AFTER_S} s (Retry-After).",
                    "parameter": "path",
                },
                status_code=503,
                headers=headers,
            )
        html = render(
            "error.html",
            status_code=503,
            message=f"{message} It reloads itself in {RETRY_AFTER_S} s.",
            refresh=RETRY_AFTER_S,
        )  # a browser ignores Retry-After: the page reloads itself
        return HTMLResponse(html, status_code=503, headers=headers)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        warmer.start()
        if warm:
            # `serve`: the whole-store rows every profile is looked up in, asked (or read from
            # beside the store) before the first request, so that no first view of a profile
            # waits on them or asks its own questions of the whole store; and a prepared
            # connection for each of the request threads 20 clients keep busy.
            try:
                views.basis(store.cursor(), cache)
                load_lookups()
                store.prepare_spares(SPARE_CONNECTIONS)
            except Exception as exc:  # noqa: BLE001  (pages are then computed when asked)
                print(f"detainerwatch serve: preparing profiles failed: {exc}", file=sys.stderr)
        try:
            yield
        finally:
            warmer.stop()
            store.read.close()  # the read-only connection, so the store can be written again

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(MemoryStatic, directory=STATIC_DIR),  # the stylesheet, from memory
            Middleware(Preparing, warmer=warmer, busy=busy),  # before anything is computed
            Middleware(Answers, rules=disclosure.enabled),  # finished answers sent again
            Middleware(GZipMiddleware, minimum_size=2048, compresslevel=6),
        ],
        # starlette types a handler as taking any Exception; not_found takes its HTTPException
        exception_handlers={HTTPException: not_found, 500: server_error},  # type: ignore[dict-item]
    )
    app.state.store = store
    app.state.cache = cache
    app.state.warmer = warmer
    app.state.templates = env
    app.state.spec = spec
    return app
