"""Damaged workbooks, generated from a seed, and a checker that reads each one as ingest does.

    python scripts/damage.py make OUT [--seed 10]        # writes OUT/*.xlsx and OUT/manifest.json
    python scripts/damage.py check OUT [--reader-only] [--scanner PATH.so] [--json RESULT]

Every file is damaged on purpose in one way (truncation, flipped bytes, a tag deleted or left
open, a shared-string index past the table, a cell beyond XFD, a huge cell or attribute, entity
expansion, an external entity, deep nesting, a zip bomb, empty or unreadable files, ...). The
manifest says what each must do: "refuse" (exit 2 with one line), "same" (read exactly as the
undamaged workbook), or "any" (refused, or read exactly as calamine reads it, and then every
part it read is well-formed XML to expat).

`check` ingests each file into a store in one process (run it under PYTHONMALLOC=debug, or with
an AddressSanitizer build of the scanner given by --scanner) and prints one JSON object per
file; a crash leaves the file it was on as the last "start" line. Nothing is stored: an ingest
that succeeds is rolled back after its rows were compared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import re
import signal
import sys
import time
import zipfile
from pathlib import Path

HEADER = [
    "Detainer Prepare Date",
    "Facility State",
    "Detainer Facility",
    "Detainer Facility Code",
    "Facility City",
    "Detainer Lift Reason",
    "Detainer Type",
    "Gender",
    "Anonymized Identifier",
]
PREAMBLE = [
    "ERO-LESA Statistical Tracking Unit",
    "For Official Use Only (FOUO)/Pre-decisional",
    "Detainers FY2026",
    "",
    "",
    "Detainers: 10/01/2025 - 03/10/2026",
]
SHEET = "xl/worksheets/sheet1.xml"
SST = "xl/sharedStrings.xml"


# ---- base workbooks -------------------------------------------------------------------------


def base_workbook(path: Path, rng: random.Random, rows: int = 40, inline: bool = False) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": inline})
    date_fmt = wb.add_format({"num_format": "mm/dd/yyyy"})
    ws = wb.add_worksheet("FY2026")
    for i, text in enumerate(PREAMBLE):
        if text:
            ws.write(i, 0, text)
    ws.write_row(len(PREAMBLE), 0, HEADER)
    facilities = [
        ("FRANKLIN COUNTY JAIL", "FRANKPA", "CHAMBERSBURG", "PA"),
        ('A & B <COUNTY> "JAIL"', "ABJAIL", "ÉLAN", "TX"),
        ("YORK COUNTY PRISON", "YORKCPA", "YORK", "PA"),
    ]
    reasons = ["Detainer Declined by LEA", "Case Closed", "Booked into Detention", None]
    for r in range(rows):
        name, code, city, state = facilities[rng.randrange(len(facilities))]
        values = [
            dt.datetime(2025, 10, 1) + dt.timedelta(days=rng.randrange(150)),
            state,
            name,
            code,
            city,
            reasons[rng.randrange(len(reasons))],
            "I247A - Immigration Detainer - Notice of Action (as of May 2025)",
            rng.choice(["Male", "Female"]),
            f"P{rng.randrange(10**6)}",
        ]
        for c, v in enumerate(values):
            if isinstance(v, dt.datetime):
                ws.write_datetime(len(PREAMBLE) + 1 + r, c, v, date_fmt)
            elif v is not None:
                ws.write_string(len(PREAMBLE) + 1 + r, c, v)
    wb.add_worksheet("Footnotes").write(0, 0, "Footnotes")
    wb.close()
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write_parts(path: Path, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def with_part(base: dict[str, bytes], name: str, data: bytes) -> dict[str, bytes]:
    out = dict(base)
    out[name] = data
    return out


# ---- the damage -----------------------------------------------------------------------------


def make(out: Path, seed: int = 10) -> list[dict]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    bases = {
        "shared": base_workbook(out / "_base_shared.xlsx", rng),
        "inline": base_workbook(out / "_base_inline.xlsx", rng, inline=True),
    }
    cases: list[dict] = []

    def add(
        name: str,
        kind: str,
        expect: str,
        base: str = "shared",
        data: bytes | None = None,
        members: dict | None = None,
        method=zipfile.ZIP_DEFLATED,
    ):
        path = out / f"{len(cases):03d}-{name}.xlsx"
        if members is not None:
            write_parts(path, members, method)
        elif data is not None:
            path.write_bytes(data)
        cases.append({"file": path.name, "kind": kind, "expect": expect, "base": bases[base].name})
        return path

    for base_name, base in bases.items():
        raw = base.read_bytes()
        p = parts(base)
        sheet = p[SHEET].decode()
        # truncation and flipped bytes, at the byte level (the zip's CRC or directory notice)
        for i in range(13):
            cut = rng.randrange(1, len(raw))
            add(f"truncated-{base_name}-{i}", "truncation", "any", base_name, raw[:cut])
        for i in range(13):
            data = bytearray(raw)
            for _ in range(rng.randint(1, 8)):
                at = rng.randrange(len(data))
                data[at] ^= 1 << rng.randrange(8)
            add(f"flipped-{base_name}-{i}", "byte flips", "any", base_name, bytes(data))
        # flipped bytes inside the sheet XML, re-zipped (the CRC then holds)
        for i in range(6):
            data = bytearray(p[SHEET])
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(len(data))
                data[at] = rng.choice(b"<>/&\"'=x\x00\xff ")
            add(
                f"xml-flipped-{base_name}-{i}",
                "byte flips in XML",
                "any",
                base_name,
                members=with_part(p, SHEET, bytes(data)),
            )
        # a tag deleted (a start or an end tag, never a self-closing one): unbalanced
        tags = [
            m
            for m in re.finditer(r"<(/?)(row|c|v|is|t|sheetData)\b[^>]*?(/?)>", sheet)
            if not m.group(3)
        ]
        for i in range(6):
            m = tags[rng.randrange(len(tags))]
            add(
                f"tag-deleted-{base_name}-{i}",
                "tag deletion",
                "refuse",
                base_name,
                members=with_part(p, SHEET, (sheet[: m.start()] + sheet[m.end() :]).encode()),
            )
        # unclosed tags
        for i, (needle, repl) in enumerate(
            [
                ("</row>", ""),
                ("</c>", ""),
                ("</sheetData>", ""),
                ("<row ", "<row><c><v>1</v></c><row "),
            ]
        ):
            at = sheet.find(needle, len(sheet) // 2)
            if at < 0:
                at = sheet.find(needle)
            add(
                f"unclosed-{base_name}-{i}",
                "unclosed tag",
                "refuse",
                base_name,
                members=with_part(
                    p, SHEET, (sheet[:at] + repl + sheet[at + len(needle) :]).encode()
                ),
            )

    p = parts(bases["shared"])
    sheet = p[SHEET].decode()
    sst_cells = list(re.finditer(r'(<c r="[A-Z]+(\d+)"[^>]*t="s"[^>]*><v>)(\d+)(</v>)', sheet))
    data_cells = [m for m in sst_cells if int(m.group(2)) > 8]
    count = p[SST].decode().count("<si>")

    def sst_index(value: str, label: str):
        m = data_cells[rng.randrange(len(data_cells))]
        add(
            f"sst-index-{label}",
            "bad shared-string index",
            "refuse",
            members=with_part(p, SHEET, (sheet[: m.start(3)] + value + sheet[m.end(3) :]).encode()),
        )

    for value, label in [
        (str(count), "count"),
        (str(count + 7), "past"),
        ("99999999999999999999", "huge"),
        ("18446744073709551615", "u64"),
        ("-1", "negative"),
        ("x1", "text"),
        ("1e3", "float"),
    ]:
        sst_index(value, label)
    # style index past the styles table
    styled = list(re.finditer(r'(<c r="A(\d+)" s=")(\d+)(")', sheet))
    for value in ("999", "99999999999", "-2"):
        m = next(s for s in styled if int(s.group(2)) > 8)
        add(
            f"style-index-{value}",
            "bad style index",
            "refuse",
            members=with_part(p, SHEET, (sheet[: m.start(3)] + value + sheet[m.end(3) :]).encode()),
        )

    def replace_ref(old_row: int, new_ref: str, label: str, expect="refuse"):
        m = re.search(rf'<c r="B{old_row}"', sheet)
        add(
            f"ref-{label}",
            "cell reference",
            expect,
            members=with_part(
                p, SHEET, (sheet[: m.start()] + f'<c r="{new_ref}"' + sheet[m.end() :]).encode()
            ),
        )

    replace_ref(10, "XFE10", "beyond-XFD")
    replace_ref(10, "AAAA10", "four-letters")
    replace_ref(10, "ZZZZZZZZZZZZZZZZZZZZ10", "twenty-letters")
    replace_ref(10, "B11", "other-row")
    replace_ref(10, "A10", "same-column")
    replace_ref(10, "b10", "lower-case")
    m = re.search(r'<row r="12"[^>]*>(.*?)</row>', sheet)
    cells = re.findall(r"<c .*?(?:/>|</c>)", m.group(1))
    add(
        "cells-reversed",
        "reverse-order cells",
        "refuse",
        members=with_part(
            p, SHEET, (sheet[: m.start(1)] + "".join(reversed(cells)) + sheet[m.end(1) :]).encode()
        ),
    )
    for value, label in [
        ("0", "zero"),
        ("1048577", "past-last"),
        ("99999999999999999999", "huge"),
        ("11", "repeated"),
        ("5", "back"),
        ("-3", "negative"),
    ]:
        add(
            f"row-number-{label}",
            "row number",
            "refuse",
            members=with_part(
                p, SHEET, sheet.replace('<row r="12"', f'<row r="{value}"', 1).encode()
            ),
        )

    # huge cells, rows and attributes
    m = re.search(r'<c r="B10"[^>]*>.*?</c>', sheet)
    big_cell = '<c r="B10" t="inlineStr"><is><t>' + "x" * (2 << 20) + "</t></is></c>"
    add(
        "huge-cell",
        "huge cell",
        "refuse",
        members=with_part(p, SHEET, (sheet[: m.start()] + big_cell + sheet[m.end() :]).encode()),
    )
    row9 = re.search(r'<row r="9".*?</row>', sheet)
    huge_row = (
        '<row r="9">'
        + ('<c t="inlineStr"><is><t>' + "y" * 600000 + "</t></is></c>") * 60
        + "</row>"
    )
    add(
        "huge-row",
        "huge row",
        "refuse",
        members=with_part(
            p, SHEET, (sheet[: row9.start()] + huge_row + sheet[row9.end() :]).encode()
        ),
    )
    add(
        "huge-attribute",
        "huge attribute",
        "refuse",
        members=with_part(
            p,
            SHEET,
            sheet.replace('<row r="9"', '<row r="9" x="' + "a" * (1 << 20) + '"', 1).encode(),
        ),
    )
    styles = p["xl/styles.xml"].decode()
    add(
        "huge-number-format",
        "huge attribute",
        "refuse",
        members=with_part(
            p,
            "xl/styles.xml",
            re.sub(
                r"<numFmts count=\"(\d+)\">",
                lambda m: (
                    f'<numFmts count="{int(m.group(1)) + 1}"><numFmt '
                    f'numFmtId="200" formatCode="{"0" * (1 << 20)}"/>'
                ),
                styles,
                count=1,
            ).encode(),
        ),
    )
    add(
        "many-attributes",
        "huge tag",
        "refuse",
        members=with_part(
            p,
            SHEET,
            sheet.replace(
                '<row r="9"', '<row r="9"' + "".join(f' a{i}="1"' for i in range(60000)), 1
            ).encode(),
        ),
    )

    # entities: expansion, external, undefined
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + "]>"
    )
    for part, label in [(SHEET, "sheet"), (SST, "sst"), ("xl/workbook.xml", "workbook")]:
        text = p[part].decode()
        body = text[text.index("?>") + 2 :] if text.startswith("<?xml") else text
        add(
            f"entity-expansion-{label}",
            "entity expansion",
            "refuse",
            members=with_part(p, part, (laughs + body.replace("FY2026", "&lol9;", 1)).encode()),
        )
    external = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
    for part, label in [(SHEET, "sheet"), (SST, "sst")]:
        text = p[part].decode()
        body = text[text.index("?>") + 2 :]
        body = (
            body.replace("<t>FRANKLIN", "<t>&ext;FRANKLIN", 1).replace("<v>", "<v>&ext;", 1)
            if part == SHEET
            else body.replace("<t>", "<t>&ext;", 1)
        )
        add(
            f"external-entity-{label}",
            "external entity",
            "refuse",
            members=with_part(p, part, (external + body).encode()),
        )
    add(
        "undefined-entity",
        "undefined entity",
        "refuse",
        members=with_part(p, SST, p[SST].replace(b"<t>", b"<t>&nbsp;", 1)),
    )
    # deep nesting
    add(
        "deep-nesting-cell",
        "deep nesting",
        "refuse",
        members=with_part(
            p, SHEET, sheet.replace("<v>", "<v>" + "<x>" * 5000 + "</x>" * 5000, 1).encode()
        ),
    )
    add(
        "deep-nesting-sst",
        "deep nesting",
        "refuse",
        members=with_part(
            p, SST, p[SST].replace(b"<t>", b"<t>" + b"<r>" * 100000 + b"</r>" * 100000, 1)
        ),
    )
    # bad text: invalid UTF-8, surrogates, control characters
    for label, bad in [
        ("invalid-utf8", b"\xff\xfe"),
        ("overlong", b"\xc0\xaf"),
        ("utf8-surrogate", b"\xed\xa0\x80"),
        ("control", b"\x01"),
        ("nul", b"\x00"),
        ("char-ref-surrogate", b"&#xD800;"),
        ("char-ref-nul", b"&#0;"),
        ("escape-surrogate", b"_xD800_"),
    ]:
        add(
            f"text-{label}",
            "bad text",
            "refuse",
            members=with_part(
                p, SST, p[SST].replace(b"<t>FRANKLIN", b"<t>" + bad + b"FRANKLIN", 1)
            ),
        )
    add(
        "cdata",
        "CDATA",
        "refuse",
        members=with_part(p, SHEET, sheet.replace("<v>", "<v><![CDATA[1]]>", 1).encode()),
    )
    add(
        "comment-in-cell",
        "comment",
        "refuse",
        members=with_part(p, SHEET, sheet.replace("</v>", "<!-- </c></row> --></v>", 1).encode()),
    )
    add(
        "two-roots",
        "second root",
        "refuse",
        members=with_part(p, SHEET, (sheet + "<worksheet/>").encode()),
    )
    add(
        "text-after-root",
        "text outside root",
        "refuse",
        members=with_part(p, SHEET, (sheet + "junk").encode()),
    )
    add(
        "sheet-utf16",
        "encoding",
        "refuse",
        members=with_part(
            p, SHEET, sheet.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
        ),
    )

    # zip bombs: a sheet or a shared-string table that inflates past the ratio limit
    bomb = out / f"{len(cases):03d}-zip-bomb-sheet.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in p.items():
            if name != SHEET:
                z.writestr(name, data)
        with z.open(SHEET, "w", force_zip64=True) as fh:
            head = sheet[: sheet.index("<row ")]
            fh.write(head.encode())
            blank = b" " * (1 << 20)
            for _ in range(300):
                fh.write(blank)
            fh.write(sheet[sheet.index("<row ") :].encode())
    cases.append(
        {"file": bomb.name, "kind": "zip bomb", "expect": "refuse", "base": bases["shared"].name}
    )
    bomb = out / f"{len(cases):03d}-zip-bomb-rows.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in p.items():
            if name != SHEET:
                z.writestr(name, data)
        with z.open(SHEET, "w", force_zip64=True) as fh:
            fh.write(sheet[: sheet.index("</row>") + 6].encode())
            block = b"".join(
                b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' for _ in range(20000)
            )
            for _ in range(300):
                fh.write(block)
            fh.write(b"</sheetData></worksheet>")
    cases.append(
        {"file": bomb.name, "kind": "zip bomb", "expect": "refuse", "base": bases["shared"].name}
    )

    # zip-level faults
    raw = bases["shared"].read_bytes()
    cd = raw.rfind(b"PK\x01\x02")
    data = bytearray(raw)
    data[cd + 6] = 89  # "version needed to extract": 8.9
    add("zip-version", "zip directory", "any", data=bytes(data))
    data = bytearray(raw)
    for m in re.finditer(rb"PK\x01\x02", raw):
        data[m.start() + 10] = 99  # compression method 99 (AES), unsupported
    add("zip-method", "zip directory", "refuse", data=bytes(data))
    data = bytearray(raw)
    for m in re.finditer(rb"PK\x01\x02", raw):
        data[m.start() + 8] |= 1  # encrypted
    add("zip-encrypted", "zip directory", "refuse", data=bytes(data))
    data = bytearray(raw)
    for m in re.finditer(rb"PK\x01\x02", raw):
        data[m.start() + 20 : m.start() + 24] = b"\xff\xff\xff\x7f"  # compressed size
    add("zip-sizes", "zip directory", "any", data=bytes(data))

    # sheets: duplicate names, many entries pointing at one part
    wbx = p["xl/workbook.xml"].decode()
    add(
        "duplicate-sheet-names",
        "sheet list",
        "refuse",
        members=with_part(
            p, "xl/workbook.xml", wbx.replace('name="Footnotes"', 'name="fy2026"').encode()
        ),
    )
    entry = re.search(r'<sheet [^>]*name="FY2026"[^>]*/>', wbx).group(0)
    many = "".join(
        entry.replace('name="FY2026"', f'name="S{i}"').replace('sheetId="1"', f'sheetId="{i + 10}"')
        for i in range(2000)
    )
    add(
        "sheets-2000-one-part",
        "sheet list",
        "refuse",
        members=with_part(p, "xl/workbook.xml", wbx.replace(entry, entry + many).encode()),
    )

    # empty, nearly empty and unreadable files
    add("empty", "empty", "refuse", data=b"")
    add("zip-magic-only", "empty", "refuse", data=b"PK\x03\x04")
    add("zip-no-members", "empty", "refuse", members={})
    add("empty-sheet-part", "empty", "refuse", members=with_part(p, SHEET, b""))
    add("empty-sst-part", "empty", "refuse", members=with_part(p, SST, b""))
    unreadable = add("unreadable", "unreadable", "refuse" if os.geteuid() else "any", data=raw)
    os.chmod(unreadable, 0)

    # what a writer may do that is not damage: must read exactly as the original
    add(
        "comment-at-top",
        "benign",
        "same",
        members=with_part(
            p, SHEET, sheet.replace("<sheetData>", "<!-- written by hand --><sheetData>").encode()
        ),
    )
    add(
        "whitespace-between-tags",
        "benign",
        "same",
        members=with_part(
            p, SHEET, sheet.replace("</c><c", "</c>\n  <c").replace("<row ", "\n<row ").encode()
        ),
    )
    add(
        "no-declaration",
        "benign",
        "same",
        members=with_part(p, SHEET, sheet[sheet.index("?>") + 2 :].lstrip().encode()),
    )
    add("stored-not-deflated", "benign", "same", members=p, method=zipfile.ZIP_STORED)
    add("bom", "benign", "same", members=with_part(p, SST, b"\xef\xbb\xbf" + p[SST]))
    add(
        "char-refs",
        "benign",
        "same",
        members=with_part(p, SST, p[SST].replace(b"<t>FRANKLIN", b"<t>&#70;&#x52;ANKLIN")),
    )
    (out / "manifest.json").write_text(json.dumps(cases, indent=1))
    return cases


# ---- the check ------------------------------------------------------------------------------


class _TimeLimit(BaseException):
    """Past the time limit (a BaseException: the readers turn every Exception into a message)."""


class _Verified(Exception):
    """Raised from inside the transaction once the stored rows were seen: rolls the ingest back."""


def _rows(workbook) -> dict:
    import pyarrow as pa

    out = {}
    for s in workbook.sheets:
        table = pa.concat_tables(list(s.batches())).to_pydict()
        # calamine's width also counts columns of empty strings: drop all-blank trailing columns
        keys = [k for k in table if k == "row_number" or any(v is not None for v in table[k])]
        out[s.name] = {k: table[k] for k in keys}
    return out


def _expat_ok(path: Path) -> str | None:
    """None when every XML part is well-formed to expat (DTDs refused), else the problem."""
    import xml.parsers.expat

    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            parser = xml.parsers.expat.ParserCreate()

            def no_dtd(*_a):
                raise ValueError("DTD")

            parser.StartDoctypeDeclHandler = no_dtd
            try:
                parser.Parse(z.read(name), True)
            except Exception as exc:  # noqa: BLE001
                return f"{name}: {exc}"
    return None


def _fingerprint(con) -> str:
    digest = hashlib.sha256()
    for (table,) in con.execute(
        "SELECT table_name FROM information_schema.tables ORDER BY 1"
    ).fetchall():
        rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
        digest.update(table.encode())
        digest.update(repr(sorted(map(repr, rows))).encode())
    return digest.hexdigest()


def check(
    folder: Path,
    reader_only: bool = False,
    scanner: Path | None = None,
    only: list[str] | None = None,
) -> list[dict]:
    if (
        scanner is not None
    ):  # an instrumented build of the scanner, loaded in place of the normal one
        import importlib.util

        spec = importlib.util.spec_from_file_location("detainerwatch.sources._xlsxscan", scanner)
        module = importlib.util.module_from_spec(spec)
        sys.modules["detainerwatch.sources._xlsxscan"] = module
        spec.loader.exec_module(module)

    from detainerwatch.errors import InputError, UsageError
    from detainerwatch.sources import readers
    from detainerwatch.sources.layouts import ALL
    from detainerwatch.store import connect
    from detainerwatch.store.ingest import ingest

    cases = json.loads((folder / "manifest.json").read_text())
    if only:
        cases = [c for c in cases if c["file"] in only]
    con = None
    if not reader_only:
        db = folder / "_store.duckdb"
        for stale in (db, Path(str(db) + ".wal")):
            stale.unlink(missing_ok=True)
        con = connect(db)
        before = _fingerprint(con)
    base_rows: dict[str, dict] = {}
    results = []

    def alarm(_signum, _frame):
        raise _TimeLimit()

    signal.signal(signal.SIGALRM, alarm)
    for case in cases:
        path = folder / case["file"]
        print(json.dumps({"start": case["file"]}), flush=True)
        size = path.stat().st_size
        limit = 20 + size // (256 << 10)  # seconds: proportional to the file's size
        if case["base"] not in base_rows:
            base_rows[case["base"]] = _rows(readers.open_source(folder / case["base"], ALL))
        started = time.monotonic()
        outcome, problem, message = None, None, None
        signal.alarm(limit)
        try:
            got = _rows(readers.open_source(path, ALL))
            outcome = "read"
            if not reader_only:

                def verify(c):
                    raise _Verified()

                try:
                    ingest(con, [path], finalize=verify)
                    problem = "ingest returned without storing (already ingested?)"
                except _Verified:
                    pass
        except (InputError, UsageError) as exc:
            outcome, message = "refused", str(exc)
            if "\n" in message:
                problem = "message of more than one line"
        except _TimeLimit:
            outcome, problem = "timeout", f"over {limit} s"
        except BaseException as exc:  # noqa: BLE001 - a traceback is what we look for
            outcome, problem = "error", f"{type(exc).__name__}: {str(exc)[:200]}"
        finally:
            signal.alarm(0)
        if outcome == "read" and problem is None:
            if case["expect"] == "refuse":
                problem = "read a file that must be refused"
            elif case["expect"] == "same" and got != base_rows[case["base"]]:
                problem = "rows differ from the undamaged workbook"
            elif case["expect"] == "any":
                bad_xml = _expat_ok(path)
                if bad_xml:
                    problem = f"read XML that expat refuses ({bad_xml})"
                elif got != base_rows[case["base"]]:
                    try:
                        oracle = _rows(readers.read_xlsx_calamine(path, ALL))
                    except Exception as exc:  # noqa: BLE001
                        oracle = f"calamine: {exc}"
                    if got != oracle:
                        problem = "rows differ from calamine's reading"
        if outcome == "refused" and case["expect"] == "same":
            problem = "refused a file that must be read"
        if con is not None and _fingerprint(con) != before:
            problem = "the store changed"
        result = {
            "file": case["file"],
            "kind": case["kind"],
            "expect": case["expect"],
            "outcome": outcome,
            "seconds": round(time.monotonic() - started, 2),
            "message": message,
            "problem": problem,
        }
        print(json.dumps(result), flush=True)
        results.append(result)
    if con is not None:
        con.close()
    return results


# ---- the sanitizer build --------------------------------------------------------------------


def _cc() -> str | None:
    import shutil

    return shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")


def sanitizer_runtime(name: str) -> str | None:
    import subprocess

    cc = _cc()
    if not cc:
        return None
    out = subprocess.run(
        [cc, f"-print-file-name={name}"], capture_output=True, text=True
    ).stdout.strip()
    return out if out and os.path.isabs(out) and os.path.exists(out) else None


def build_sanitized(out: Path) -> Path | None:
    """The scanner compiled with -fsanitize=address,undefined, or None when the compiler can't."""
    import subprocess
    import sysconfig

    cc = _cc()
    if not cc or not sanitizer_runtime("libasan.so"):
        return None
    out.mkdir(parents=True, exist_ok=True)
    target = out / ("_xlsxscan" + sysconfig.get_config_var("EXT_SUFFIX"))
    source = Path(__file__).resolve().parents[1] / "src/detainerwatch/sources/_xlsxscan.c"
    proc = subprocess.run(
        [
            cc,
            "-shared",
            "-fPIC",
            "-O1",
            "-g",
            "-fno-omit-frame-pointer",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=undefined",
            f"-I{sysconfig.get_paths()['include']}",
            str(source),
            "-o",
            str(target),
        ],
        capture_output=True,
        text=True,
    )
    return target if proc.returncode == 0 else None


def sanitizer_env() -> dict:
    libs = [p for p in (sanitizer_runtime("libasan.so"), sanitizer_runtime("libubsan.so")) if p]
    return {
        "LD_PRELOAD": " ".join(libs),
        "PYTHONMALLOC": "malloc",
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1:allocator_may_return_null=1",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    }


def asan(out: Path, seed: int) -> int:
    """make asan: build the instrumented scanner, make the corpus, read it with the runtime
    preloaded. Exit 0 (and a note) when the compiler has no sanitizer runtime."""
    import subprocess

    scanner = build_sanitized(out / "lib")
    if scanner is None:
        print("asan: the C compiler has no AddressSanitizer runtime; skipped")
        return 0
    make(out / "corpus", seed)
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "check",
            str(out / "corpus"),
            "--reader-only",
            "--scanner",
            str(scanner),
        ],
        env={**os.environ, **sanitizer_env()},
        capture_output=True,
        text=True,
    )
    summary = [line for line in proc.stdout.splitlines() if '"summary"' in line]
    print(summary[-1] if summary else proc.stdout[-2000:])
    if proc.returncode:
        sys.stderr.write(proc.stderr[-5000:])
    return proc.returncode


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("out", type=Path)
    m.add_argument("--seed", type=int, default=10)
    c = sub.add_parser("check")
    c.add_argument("folder", type=Path)
    c.add_argument("--reader-only", action="store_true")
    c.add_argument("--scanner", type=Path)
    c.add_argument("--only", nargs="*")
    a = sub.add_parser("asan")
    a.add_argument("out", type=Path)
    a.add_argument("--seed", type=int, default=10)
    args = ap.parse_args(argv)
    if args.cmd == "asan":
        return asan(args.out, args.seed)
    if args.cmd == "make":
        cases = make(args.out, args.seed)
        print(f"{len(cases)} damaged workbooks in {args.out}")
        return 0
    results = check(args.folder, args.reader_only, args.scanner, args.only)
    bad = [r for r in results if r["problem"]]
    counts: dict[str, int] = {}
    for r in results:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    print(json.dumps({"summary": counts, "files": len(results), "problems": len(bad)}), flush=True)
    for r in bad:
        print(
            f"PROBLEM {r['file']}: {r['problem']} ({r['outcome']}: {r['message']})", file=sys.stderr
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
