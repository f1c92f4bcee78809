"""Web app latency at 20 concurrent clients on a national-size generated store (4,000,000
detainers; `--rows` for a smaller one). Goal (issue 16): p99 <= 150 ms, first views after a
restart included.

`detainerwatch serve` runs as a child process (uvicorn, one worker, as users run it) on a free
loopback port; clients are threads with their own HTTP connection, requests bounded in count
and time. Each client asks for a different jurisdiction among the 200 largest. Per route:
- fresh: the file of finished pages beside the store (publish/diskcache.py) is deleted and the
  server started: every request computes a profile, its chart and its page (the first reader
  of a page on a store never served or published before; reported, not the goal);
- restart: the server restarted (its memory cache empty), the same requests again; for the
  whole-store pages, once serve's warmer (web/warm.py) has prepared them (waited for after the
  fresh pass, at most --prepare-limit s), as a server restarted after its first start is;
- cached: the same again on that server.
A first route, a static file, is the floor: what a request costs this machine's HTTP client
and server at that moment, with no store and no page (not part of the goal's figure); the
same one client at a time shows the round trip without a queue. The clients are threads of
this process on the server's cores: each pass prints the CPU a request cost the clients and
the server, so a figure limited by the client is seen as such (http.client by default: httpx
cost 6 ms of client CPU a request against the server's 2 on a static file).
The comparison printed is each p99 against the goal, and the p99 of restart + cached passes
of every route together (the goal). `serve` prepares whole-store pages (home, report, lists,
downloads, audits) in a child process from start-up (web/warm.py) and answers them 503 "being
prepared" (Retry-After) until they are made: such answers are counted apart ("prep."), and the
summary gives the p99 of every answer and of the 200 answers alone.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.client import HTTPException
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from .harness import save
from .national import national_store

DETAINERWATCH = str(Path(sys.executable).with_name("detainerwatch"))
GOAL_P99 = 0.150


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(base: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"detainerwatch serve exited with {proc.returncode}")
        try:
            if httpx.get(base + "/api/v1/totals", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("detainerwatch serve did not answer in time")


class _Light:
    """A kept-alive HTTP/1.1 connection through the standard library's http.client: a tenth
    of httpx's CPU a request, so that 20 client threads sharing the machine's cores with the
    server measure the server rather than themselves (bench.web --client httpx for the
    other). Asks for gzip as httpx and browsers do."""

    def __init__(self, base: str) -> None:
        import http.client
        from urllib.parse import urlsplit

        self._module = http.client
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.con = self._connect()

    def _connect(self) -> Any:
        """Connected before the clients start together (as httpx's pool is not: its first
        request connects)."""
        import socket

        con = self._module.HTTPConnection(self.host, self.port, timeout=30)
        con.connect()
        con.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return con

    def get(self, path: str) -> tuple[int, dict[str, str]]:
        try:
            self.con.request("GET", path, headers={"Accept-Encoding": "gzip, deflate"})
            response = self.con.getresponse()
            response.read()
        except (OSError, self._module.HTTPException):
            self.con.close()
            self.con = self._connect()
            raise
        return response.status, {k.lower(): v for k, v in response.getheaders()}

    def close(self) -> None:
        self.con.close()


class _Httpx:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)

    def get(self, path: str) -> tuple[int, dict[str, str]]:
        response = self.http.get(path)
        return response.status_code, dict(response.headers)

    def close(self) -> None:
        self.http.close()


CLIENTS = {"light": _Light, "httpx": _Httpx}


def _load(
    base: str,
    paths: list[str],
    clients: int,
    per_client: int,
    limit_s: float,
    kind: str = "light",
) -> tuple[list[float], int, int, list[float]]:
    """Each client thread requests its share of paths in turn: latencies in seconds, errors,
    "being prepared" answers, and the latencies of the 200 answers."""
    latencies: list[float] = []
    ok: list[float] = []
    errors = [0]
    prepared = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + limit_s
    barrier = threading.Barrier(clients)

    def client(k: int) -> None:
        mine = []
        mine_ok = []
        http = CLIENTS[kind](base)
        try:
            barrier.wait()
            for i in range(per_client):
                if time.monotonic() > deadline:
                    break
                path = paths[(k * per_client + i) % len(paths)]
                start = time.perf_counter()
                try:
                    status, headers = http.get(path)
                except (httpx.HTTPError, OSError, HTTPException):  # an error and its wait
                    mine.append(time.perf_counter() - start)
                    with lock:
                        errors[0] += 1
                    continue
                mine.append(time.perf_counter() - start)
                if status == 200:
                    mine_ok.append(mine[-1])
                elif status == 503 and "retry-after" in headers:
                    with lock:
                        prepared[0] += 1
                else:
                    with lock:
                        errors[0] += 1
        finally:
            http.close()
        with lock:
            latencies.extend(mine)
            ok.extend(mine_ok)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0], prepared[0], ok


def _await_prepared(db: Path, proc: subprocess.Popen, limit_s: float) -> str:
    """Wait (server running) until serve's warmer has marked every whole-store page made."""
    import sqlite3

    from detainerwatch.publish.diskcache import cache_path
    from detainerwatch.web.warm import WHOLE_STORE_DONE

    start = time.monotonic()
    while time.monotonic() - start < limit_s and proc.poll() is None:
        try:
            con = sqlite3.connect(f"file:{cache_path(db)}?mode=ro", uri=True)
            try:
                row = con.execute(
                    "SELECT 1 FROM answers WHERE key = ?", [WHOLE_STORE_DONE]
                ).fetchone()
            finally:
                con.close()
            if row:
                return f"{time.monotonic() - start:.0f} s after the fresh pass"
        except sqlite3.Error:
            pass
        time.sleep(2)
    return f"more than {limit_s:.0f} s: not finished (restart pass counts 'being prepared')"


def _cpu(pid: int | None = None) -> float:
    """CPU seconds (user + system) of this process (pid None) or of process pid so far."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=int(os.environ.get("BENCH_ROWS", 4_000_000)),
        help="detainers in the store (default 4,000,000, or BENCH_ROWS)",
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=25, help="per client and pass")
    parser.add_argument(
        "--client",
        choices=sorted(CLIENTS),
        default="light",
        help="the clients' HTTP library: light (http.client, default) or httpx (heavier: "
        "its CPU a request is printed, cli CPU)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only the routes whose name starts with this (repeatable), e.g. 'floor'",
    )
    parser.add_argument(
        "--prepare-limit",
        type=float,
        default=900,
        help="seconds to wait for serve's warmer after the fresh pass of the whole-store pages",
    )
    args = parser.parse_args(argv)

    db = national_store(args.rows)
    results = {}
    everything: list[float] = []
    everything_ok: list[float] = []

    def serve() -> tuple[subprocess.Popen, str]:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [DETAINERWATCH, "--db", str(db), "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _wait(base, proc)
        return proc, base

    def stop(proc: subprocess.Popen) -> None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()

    proc, base = serve()
    try:
        listing = httpx.get(
            base + "/api/v1/jurisdictions", params={"limit": 200}, timeout=60
        ).json()
    finally:
        stop(proc)
    ids = [quote(j["id"], safe=":") for j in listing]
    from detainerwatch import __version__

    routes = {
        # the floor: a static file (no store, no page), the HTTP round trip on this machine now
        "floor: a static file": [f"/static/detainerwatch-{__version__}.css"],
        # the same, one request at a time: the round trip with no queue (client or server)
        "floor, one client": [f"/static/detainerwatch-{__version__}.css"],
        "profile page /jurisdiction/{id}": [f"/jurisdiction/{i}" for i in ids],
        "API /api/v1/jurisdictions/{id}": [f"/api/v1/jurisdictions/{i}" for i in ids],
        "API /api/v1/jurisdictions (list)": [
            f"/api/v1/jurisdictions?limit=50&offset={k}" for k in range(0, 200, 10)
        ],
        "home, report, search, lists": [
            "/",
            "/report",
            "/jurisdictions",
            "/sources",
            "/search?q=county",
            "/methodology",
            "/api/v1/totals",
            "/api/v1/report",
        ],
    }
    if args.only:
        routes = {k: v for k, v in routes.items() if k.startswith(tuple(args.only))}
    print(
        f"latency at {args.clients} concurrent clients ({args.client}), store of {args.rows:,} detainers, "
        f"{len(ids)} jurisdictions; server restarted before each route"
    )
    print(
        f"  {'route':<36} {'pass':<7} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'p99/goal':>9} {'errors':>6} {'prep.':>5} {'cli CPU':>7} {'srv CPU':>7}"
    )
    print(
        "  (cli/srv CPU: CPU ms per request of the bench's client threads and of the serve "
        "process during the pass; the two share this machine's cores)"
    )
    from detainerwatch.publish.diskcache import cache_path

    for name, paths in routes.items():
        for suffix in ("", "-wal", "-shm"):  # a fresh store: nothing rendered yet
            Path(str(cache_path(db)) + suffix).unlink(missing_ok=True)
        for label in ("fresh", "restart", "cached"):
            if label != "cached":
                proc, base = serve()
            try:
                cli0, srv0 = _cpu(), _cpu(proc.pid)
                clients = 1 if name.startswith("floor, one") else args.clients
                lat, errors, prepared, ok = _load(
                    base,
                    paths,
                    clients,
                    args.requests * args.clients // clients,
                    limit_s=300,
                    kind=args.client,
                )
                cli_ms = (_cpu() - cli0) * 1000 / max(len(lat), 1)
                srv_ms = (_cpu(proc.pid) - srv0) * 1000 / max(len(lat), 1)
                if label == "fresh" and name.startswith("home"):
                    waited = _await_prepared(db, proc, limit_s=args.prepare_limit)
                    print(f"  (whole-store pages prepared by serve's warmer in {waited})")
            finally:
                if label != "restart":
                    stop(proc)
            # the goal: first views after a restart, and cached views (the floor apart)
            if label != "fresh" and not name.startswith("floor"):
                everything += lat
                everything_ok += ok
            lat = lat or [float("nan")]
            p50, p99 = statistics.median(lat), _pct(lat, 0.99)
            print(
                f"  {name:<36} {label:<7} {len(lat):>5} {p50 * 1000:>8.1f} "
                f"{p99 * 1000:>8.1f} {max(lat) * 1000:>8.1f} {p99 / GOAL_P99:>9.2f} "
                f"{errors:>6} {prepared:>5} {cli_ms:>7.1f} {srv_ms:>7.1f}",
                flush=True,
            )
            results[f"{name} {label}"] = {
                "n": len(lat),
                "p50": p50,
                "p99": p99,
                "max": max(lat),
                "errors": errors,
                "prepared": prepared,
                "client_cpu_ms": cli_ms,
                "server_cpu_ms": srv_ms,
            }
    if not everything:  # the floor alone (--only floor)
        print("saved", save("web", {"clients": args.clients, "rows": args.rows, "routes": results}))
        return
    p99 = _pct(everything, 0.99)
    print(
        f"  {'after restart + cached, all routes':<44} {len(everything):>5} "
        f"{statistics.median(everything) * 1000:>8.1f} {p99 * 1000:>8.1f} "
        f"{max(everything) * 1000:>8.1f} {p99 / GOAL_P99:>9.2f}"
    )
    results["all"] = {"n": len(everything), "p99": p99}
    if everything_ok:
        p99_ok = _pct(everything_ok, 0.99)
        print(
            f"  {'  the same, 200 answers only':<44} {len(everything_ok):>5} "
            f"{statistics.median(everything_ok) * 1000:>8.1f} {p99_ok * 1000:>8.1f} "
            f"{max(everything_ok) * 1000:>8.1f} {p99_ok / GOAL_P99:>9.2f}"
        )
        results["all 200"] = {"n": len(everything_ok), "p99": p99_ok}
    print(f"  goal: p99 <= {GOAL_P99 * 1000:.0f} ms")
    print("saved", save("web", {"clients": args.clients, "rows": args.rows, "routes": results}))


if __name__ == "__main__":
    main()
