"""A fuzz campaign: seeded mutations of real and generated workbooks and text files, each
ingested by the real command into a copy of a store, with a table of outcomes.

    python scripts/fuzz.py [--count 1000] [--seed 10] [--out build/fuzz] [--debug-malloc]

Inputs run in batches inside worker processes (start-up dominates otherwise); a worker that
dies by a signal or goes silent past an input's time limit is recorded against the input it
was on, and a new worker goes on from the next. Per input: the exit status (0, 2, 130, other),
a traceback or not, the store changed on a failure or not, the time, and the worker's peak
memory while it ran.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import resource
import select
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import damage  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
REAL_WORKBOOKS = sorted((RAW / "uwchr-ice-facilities").glob("*.xlsx"))
TEXT_SEEDS = [RAW / "eads-geocode-pa-detainers" / "pa_detainers.csv"]
XML_PARTS = (
    "xl/worksheets/",
    "xl/sharedStrings.xml",
    "xl/styles.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
)


# ---- mutations ----------------------------------------------------------------------------


def byte_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    data = bytearray(data)
    kind = rng.choice(["truncate", "flip", "overwrite", "insert", "delete", "duplicate"])
    at = rng.randrange(max(len(data), 1))
    if kind == "truncate":
        return bytes(data[:at]), kind
    if kind == "flip":
        for _ in range(rng.randint(1, 16)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
    elif kind == "overwrite":
        n = rng.randint(1, 64)
        data[at : at + n] = bytes(rng.randrange(256) for _ in range(n))
    elif kind == "insert":
        data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif kind == "delete":
        del data[at : at + rng.randint(1, 256)]
    else:
        n = rng.randint(1, 512)
        data[at:at] = data[at : at + n]
    return bytes(data), kind


XML_SNIPPETS = [
    "<c>",
    "</c>",
    "<row>",
    "</row>",
    "<v>",
    "</v>",
    '<c r="XFE1">',
    '<c r="A0">',
    '<c t="s"><v>999999</v></c>',
    '<c s="99999"><v>1</v></c>',
    "&amp;",
    "&bogus;",
    "&#0;",
    "&#xD800;",
    "_xD800_",
    "<![CDATA[x]]>",
    "<!--",
    "-->",
    "<?pi?>",
    '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    "\x00",
    "\udcff",
    '<row r="1">',
    '<row r="99999999999">',
    "<is><t>",
    "</t></is>",
    "\u00e9",
    "'\"",
    "<" * 50,
    ">" * 50,
]


def xml_mutation(text: str, rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(
        ["delete-tag", "duplicate-tag", "swap-tags", "insert", "number", "huge-run", "attr-value"]
    )
    tags = [m for m in re.finditer(r"<[^<>]{0,200}>", text[:4_000_000])]
    if not tags:
        return text + rng.choice(XML_SNIPPETS), "append"
    m = tags[rng.randrange(len(tags))]
    if kind == "delete-tag":
        return text[: m.start()] + text[m.end() :], kind
    if kind == "duplicate-tag":
        return text[: m.end()] + m.group(0) + text[m.end() :], kind
    if kind == "swap-tags":
        n = tags[rng.randrange(len(tags))]
        a, b = sorted([m, n], key=lambda t: t.start())
        if a.end() > b.start():
            return text, kind
        return text[: a.start()] + b.group(0) + text[a.end() : b.start()] + a.group(0) + text[
            b.end() :
        ], kind
    if kind == "insert":
        return text[: m.end()] + rng.choice(XML_SNIPPETS) + text[m.end() :], kind
    if kind == "number":
        nums = list(re.finditer(r"\d+", text[:4_000_000]))
        if not nums:
            return text, kind
        k = nums[rng.randrange(len(nums))]
        new = rng.choice(
            [
                "0",
                "-1",
                "99999999999999999999",
                "1048577",
                "16385",
                str(rng.randrange(10**6)),
                "1e308",
                "NaN",
                "",
            ]
        )
        return text[: k.start()] + new + text[k.end() :], kind
    if kind == "huge-run":
        return text[: m.end()] + rng.choice("xA <&") * rng.choice(
            [70_000, 300_000, 2_000_000]
        ) + text[m.end() :], kind
    return re.sub(
        r'="[^"]*"', lambda a: '="' + "z" * rng.choice([1, 70_000]) + '"', text, count=1
    ), kind


def workbook_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = {n: z.read(n) for n in z.namelist()}
    except Exception:  # noqa: BLE001
        return byte_mutation(data, rng)
    names = [n for n in members if n.startswith(XML_PARTS)]
    if not names:
        return byte_mutation(data, rng)
    name = rng.choice(names)
    text, kind = xml_mutation(members[name].decode("utf-8", "surrogateescape"), rng)
    members[name] = text.encode("utf-8", "surrogateescape")
    if rng.random() < 0.1:  # a sheet entry repeated, or two sheets of one name
        wb = members.get("xl/workbook.xml", b"").decode("utf-8", "replace")
        sheet = re.search(r"<sheet [^>]*/>", wb)
        if sheet:
            members["xl/workbook.xml"] = wb.replace(
                sheet.group(0), sheet.group(0) * rng.choice([2, 50])
            ).encode()
            kind += "+sheets"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in members.items():
            z.writestr(n, d)
    return out.getvalue(), f"xml {name.rsplit('/', 1)[-1]}: {kind}"


def text_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    kind = rng.choice(
        [
            "bytes",
            "nul",
            "bad-utf8",
            "quote",
            "delimiter",
            "cr-only",
            "bom",
            "fields",
            "huge-field",
            "lines",
        ]
    )
    lines = data.split(b"\n")
    i = rng.randrange(1, max(len(lines), 2)) if len(lines) > 1 else 0
    if kind == "bytes":
        return byte_mutation(data, rng)
    if kind == "nul":
        lines[i] = lines[i][:5] + b"\x00" + lines[i][5:]
    elif kind == "bad-utf8":
        lines[i] = lines[i] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe9"])
    elif kind == "quote":
        lines[i] = b'"' + lines[i]
    elif kind == "delimiter":
        lines[i] = lines[i].replace(b",", rng.choice([b"|", b";", b"\t", b",,"]))
    elif kind == "cr-only":
        return data.replace(b"\n", b"\r"), kind
    elif kind == "bom":
        return rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]) + data, kind
    elif kind == "fields":
        lines[i] = lines[i] + b",extra"
    elif kind == "huge-field":
        lines[i] = lines[i] + b"x" * rng.choice([100_000, 5_000_000])
    else:
        del lines[i : i + rng.randint(1, 50)]
    return b"\n".join(lines), kind


def make_inputs(out: Path, count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    seeds = [(p.name, p.read_bytes(), "xlsx") for p in REAL_WORKBOOKS]
    seeds.append(
        (
            "generated-shared.xlsx",
            damage.base_workbook(out / "_gen_shared.xlsx", rng).read_bytes(),
            "xlsx",
        )
    )
    seeds.append(
        (
            "generated-inline.xlsx",
            damage.base_workbook(out / "_gen_inline.xlsx", rng, inline=True).read_bytes(),
            "xlsx",
        )
    )
    pa = TEXT_SEEDS[0].read_bytes().split(b"\n")
    seeds.append(("pa_detainers-head.csv", b"\n".join(pa[:400]) + b"\n", "csv"))
    cases = []
    for i in range(count):
        name, data, fmt = seeds[rng.randrange(len(seeds))]
        options: list[str] = []
        if fmt == "xlsx":
            mutated, kind = (
                byte_mutation(data, rng) if rng.random() < 0.4 else workbook_mutation(data, rng)
            )
        else:
            mutated, kind = text_mutation(data, rng)
            if rng.random() < 0.1:
                enc = rng.choice(
                    ["rot13", "utf-16", "latin-1", "base64", "no-such-codec", "cp1252"]
                )
                options = ["--encoding", enc]
                kind += f" --encoding {enc}"
        path = out / f"{i:04d}-{Path(name).stem[:24].replace(' ', '_')}.{fmt}"
        path.write_bytes(mutated)
        cases.append({"file": path.name, "seed": name, "kind": kind, "options": options})
    # special files
    specials = []
    fifo = out / "special-fifo.csv"
    if not fifo.exists():
        os.mkfifo(fifo)
    specials.append((fifo.name, "FIFO"))
    zero = out / "special-dev-zero.csv"
    if not zero.is_symlink():
        zero.symlink_to("/dev/zero")
    specials.append((zero.name, "/dev/zero"))
    (out / "special-folder.xlsx").mkdir(exist_ok=True)
    specials.append(("special-folder.xlsx", "folder"))
    (out / "special-empty.xlsx").write_bytes(b"")
    specials.append(("special-empty.xlsx", "empty"))
    for name, kind in specials:
        cases.append({"file": name, "seed": "-", "kind": f"special: {kind}", "options": []})
    (out / "manifest.json").write_text(json.dumps(cases, indent=1))
    return cases


# ---- the worker ---------------------------------------------------------------------------


def _fingerprint(db: Path) -> str:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return damage._fingerprint(con)
    finally:
        con.close()


def worker(folder: Path, start: int) -> int:
    """Run inputs from `start` on, one JSON line each; the parent restarts after a crash."""
    from detainerwatch.cli import cli

    cases = json.loads((folder / "manifest.json").read_text())
    base = folder / "_base.duckdb"
    before = _fingerprint(base)
    for index in range(start, len(cases)):
        case = cases[index]
        print(json.dumps({"start": index}), flush=True)
        db = folder / "_work.duckdb"
        for stale in (db, Path(str(db) + ".wal")):
            stale.unlink(missing_ok=True)
        shutil.copyfile(base, db)
        err, out = io.StringIO(), io.StringIO()
        started = time.monotonic()
        traceback = None
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                cli.main(
                    [
                        "--db",
                        str(db),
                        "ingest",
                        "--quiet",
                        *case["options"],
                        str(folder / case["file"]),
                    ],
                    prog_name="detainerwatch",
                    standalone_mode=True,
                )
                status = 0
            except SystemExit as exc:
                status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException as exc:  # noqa: BLE001 - escaped the CLI: a traceback
                status = 1
                traceback = f"{type(exc).__name__}: {str(exc)[:160]}"
        stderr = err.getvalue()
        changed = status != 0 and _fingerprint(db) != before
        lines = [line for line in stderr.splitlines() if line.strip()]
        print(
            json.dumps(
                {
                    "index": index,
                    "status": status,
                    "seconds": round(time.monotonic() - started, 2),
                    "traceback": traceback or ("Traceback" in stderr and stderr[-300:]) or None,
                    "lines": len(lines),
                    "message": lines[-1][:300] if lines else "",
                    "store_changed": changed,
                    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                }
            ),
            flush=True,
        )
    return 0


# ---- the campaign -------------------------------------------------------------------------


def campaign(folder: Path, debug_malloc: bool) -> list[dict]:
    cases = json.loads((folder / "manifest.json").read_text())
    base = folder / "_base.duckdb"
    if not base.exists():  # a store holding one small workbook, committed
        from detainerwatch.store import connect
        from detainerwatch.store.ingest import ingest

        con = connect(base)
        ingest(con, [folder / "_gen_shared.xlsx"], release="fuzz-base")
        con.close()
    results: dict[int, dict] = {}
    env = {**os.environ, **({"PYTHONMALLOC": "debug"} if debug_malloc else {})}
    index = 0
    while index < len(cases):
        proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(folder), "--start", str(index)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        current, last = index, time.monotonic()
        while True:
            path = folder / cases[current]["file"] if current < len(cases) else None
            size = path.stat().st_size if path and path.exists() and path.is_file() else 0
            limit = 60 + size / (64 << 10)
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                line = proc.stdout.readline()
                if not line:
                    break
                msg = json.loads(line)
                if "start" in msg:
                    current, last = msg["start"], time.monotonic()
                else:
                    results[msg["index"]] = msg
                    current = msg["index"] + 1
                    with open(folder / "progress.jsonl", "a") as fh:  # watchable while it runs
                        fh.write(line)
                continue
            if time.monotonic() - last > limit:
                proc.kill()
                results[current] = {
                    "index": current,
                    "status": "timeout",
                    "seconds": round(limit, 1),
                    "traceback": None,
                    "lines": 0,
                    "message": "",
                    "store_changed": False,
                    "rss_mb": None,
                }
                current += 1
                break
        proc.wait()
        if (
            proc.returncode
            and proc.returncode < 0
            and current not in results
            and current < len(cases)
        ):
            results[current] = {
                "index": current,
                "status": f"signal {-proc.returncode}",
                "seconds": None,
                "traceback": None,
                "lines": 0,
                "message": "",
                "store_changed": None,
                "rss_mb": None,
            }
            current += 1
        elif proc.returncode and current < len(cases) and current not in results:
            results[current] = {
                "index": current,
                "status": f"worker exit {proc.returncode}",
                "seconds": None,
                "traceback": None,
                "lines": 0,
                "message": "",
                "store_changed": None,
                "rss_mb": None,
            }
            current += 1
        index = max(current, index + (0 if current > index else 1))
        while index in results:
            index += 1
    out = []
    for i, case in enumerate(cases):
        out.append({**case, **results.get(i, {"status": "not run"})})
    return out


def table(results: list[dict]) -> str:
    def row(label, rs):
        n = len(rs)
        count = lambda f: sum(1 for r in rs if f(r))  # noqa: E731
        peak = max((r.get("rss_mb") or 0 for r in rs), default=0)
        return (
            f"| {label:<26} | {n:>5} | {count(lambda r: r['status'] == 0):>5} | "
            f"{count(lambda r: r['status'] == 2):>5} | "
            f"{count(lambda r: r['status'] not in (0, 2)):>5} | "
            f"{count(lambda r: r.get('traceback')):>5} | "
            f"{count(lambda r: str(r['status']).startswith('signal')):>6} | "
            f"{count(lambda r: r['status'] == 'timeout'):>7} | "
            f"{count(lambda r: r.get('store_changed')):>7} | "
            f"{count(lambda r: r['status'] == 2 and r.get('lines') != 1):>9} | {peak:>6} |"
        )

    head = (
        "| inputs                     |     n | exit0 | exit2 | other | trace | signal | timeout |"
        " changed | not1line | MB max |\n|" + "---|" * 11
    )
    groups: dict[str, list[dict]] = {}
    for r in results:
        seed = r["seed"] if r["seed"] != "-" else "special files"
        groups.setdefault(seed, []).append(r)
    lines = [head] + [row(k[:26], v) for k, v in sorted(groups.items())] + [row("all", results)]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "fuzz")
    ap.add_argument("--debug-malloc", action="store_true")
    ap.add_argument("--worker", type=Path)
    ap.add_argument("--start", type=int, default=0)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.start)
    if args.out.exists():
        shutil.rmtree(args.out)
    cases = make_inputs(args.out, args.count, args.seed)
    print(f"{len(cases)} inputs in {args.out}", flush=True)
    started = time.monotonic()
    results = campaign(args.out, args.debug_malloc)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print(table(results))
    print(
        f"{len(results)} inputs in {time.monotonic() - started:.0f} s; details in {args.out}/results.json"
    )
    bad = [
        r
        for r in results
        if r["status"] not in (0, 2)
        or r.get("traceback")
        or r.get("store_changed")
        or (r["status"] == 2 and r.get("lines") != 1)
    ]
    for r in bad[:40]:
        print(
            f"BAD {r['file']} ({r['kind']}): {r['status']} {r.get('traceback') or r.get('message')}"
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
