"""Untrusted workbooks never crash the reader: a seeded corpus of damaged workbooks
(scripts/damage.py) read under the debug allocator and, when the compiler has them, with the
scanner built under AddressSanitizer and UndefinedBehaviorSanitizer; the scanner's own checks;
the bundled workbooks ingested under PYTHONMALLOC=debug."""

from __future__ import annotations

import json
import math
import os
import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FACILITY_LISTS, ROOT

xlsx_stream = pytest.importorskip("detainerwatch.sources.xlsx_stream")
from detainerwatch.sources._xlsxscan import ScanFault, Scanner, shared_strings  # noqa: E402
from detainerwatch.sources.readers import cell_to_text  # noqa: E402

DAMAGE = ROOT / "scripts" / "damage.py"
KINDS = {
    "truncation",
    "byte flips",
    "tag deletion",
    "unclosed tag",
    "bad shared-string index",
    "cell reference",
    "huge cell",
    "huge attribute",
    "entity expansion",
    "external entity",
    "deep nesting",
    "zip bomb",
    "empty",
    "unreadable",
    "reverse-order cells",
    "bad text",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("damaged")
    subprocess.run(
        [sys.executable, str(DAMAGE), "make", str(folder), "--seed", "10"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder


def _check(folder: Path, env: dict, *extra: str, timeout: int = 600) -> list[dict]:
    proc = subprocess.run(
        [sys.executable, str(DAMAGE), "check", str(folder), *extra],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    results = [r for r in lines if "outcome" in r]
    started = [r["start"] for r in lines if "start" in r]
    assert proc.returncode in (0, 1), (
        f"the checker died (status {proc.returncode}) on {started[-1] if started else '?'}:\n"
        f"{proc.stderr[-3000:]}"
    )
    return results


def _assert_clean(results: list[dict], cases: list[dict]):
    assert len(results) == len(cases)
    problems = [
        f"{r['file']}: {r['problem']} ({r['outcome']}: {r['message']})"
        for r in results
        if r["problem"]
    ]
    assert not problems, "\n".join(problems)
    for r in results:
        assert r["outcome"] in ("read", "refused"), r
        if r["outcome"] == "refused":
            assert "\n" not in r["message"] and r["file"] in r["message"]


def test_corpus_covers_every_kind_of_damage(corpus):
    cases = json.loads((corpus / "manifest.json").read_text())
    assert len(cases) >= 100
    assert KINDS <= {c["kind"] for c in cases}


def test_damaged_workbooks_are_read_exactly_or_refused_in_one_line(corpus):
    # Under the debug allocator: a Python allocation without the GIL aborts the process.
    cases = json.loads((corpus / "manifest.json").read_text())
    results = _check(corpus, {"PYTHONMALLOC": "debug"})
    _assert_clean(results, cases)
    for r in results:  # a time limit proportional to size; none comes near it
        size = (corpus / r["file"]).stat().st_size if (corpus / r["file"]).exists() else 0
        assert r["seconds"] < 20 + size / (256 << 10), r
    assert sum(r["outcome"] == "refused" for r in results) >= 100


def _damage_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("damage", DAMAGE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_damaged_workbooks_under_address_and_undefined_behaviour_sanitizers(corpus, tmp_path):
    damage = _damage_module()
    scanner = damage.build_sanitized(tmp_path)
    if scanner is None:
        pytest.skip("the C compiler has no AddressSanitizer runtime")
    cases = json.loads((corpus / "manifest.json").read_text())
    results = _check(corpus, damage.sanitizer_env(), "--reader-only", "--scanner", str(scanner))
    _assert_clean(results, cases)


# ---- the scanner on its own ---------------------------------------------------------------


def _scan(
    xml: str | bytes,
    width: int = 3,
    sst: tuple[bytes, bytes] = (b"", bytes(8)),
    styles: bytes = b"\x00\x01",
):
    scanner = Scanner(sst[0], sst[1], styles)
    scanner.configure(width, 0)
    data = xml.encode() if isinstance(xml, str) else xml
    pending = scanner.feed(data)
    scanner.finish()
    if isinstance(pending, tuple):
        return pending
    n, rows, columns = scanner.take()
    return n, columns


def _sheet(rows: str) -> str:
    return f'<?xml version="1.0"?><worksheet><sheetData>{rows}</sheetData></worksheet>'


def test_numbers_print_as_python_repr_without_the_gil():
    rng = random.Random(10)
    values = [rng.uniform(-1e6, 1e6) for _ in range(2000)]
    values += [struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(3000)]
    values += [
        0.1,
        1e15,
        1e16,
        1.5e16,
        123456789012345.6,
        1e-5,
        1.25e-7,
        5e-324,
        1.7976931348623157e308,
        -2.5e-300,
        0.0001,
        0.00001234,
        1e22,
        9007199254740993.0,
    ]
    values = [v for v in values if math.isfinite(v)]
    rows = "".join(
        f'<row r="{i + 1}"><c r="A{i + 1}"><v>{v!r}</v></c></row>' for i, v in enumerate(values)
    )
    scanner = Scanner(b"", bytes(8), b"")
    scanner.configure(1, 0)
    scanner.feed(_sheet(rows).encode())
    scanner.finish()
    n, _, [(offsets, chunk, _, _)] = scanner.take()
    offs = struct.unpack(f"{n + 1}i", offsets)
    data = bytes(chunk)
    got = [data[offs[i] : offs[i + 1]].decode() for i in range(n)]
    assert got == [cell_to_text(v) for v in values]


@pytest.mark.parametrize(
    "rows, problem",
    [
        ('<row r="1"><c r="A1" t="s"><v>5</v></c></row>', "a shared-string index past the table"),
        ('<row r="1"><c r="A1" t="s"><v>99999999999999999999</v></c></row>', "not a number"),
        ('<row r="1"><c r="A1" t="s"><v>-1</v></c></row>', "not a number"),
        ('<row r="1"><c r="A1" s="7"><v>1</v></c></row>', "a style index past the styles table"),
        ('<row r="1"><c r="A1" s="99999999999999999999"><v>1</v></c></row>', "a style index"),
        ('<row r="1"><c r="XFE1"><v>1</v></c></row>', "outside A1:XFD1048576"),
        ('<row r="1"><c r="ZZZZZZZZZZZZZZZZZZZZZZ1"><v>1</v></c></row>', "outside A1:XFD1048576"),
        (
            '<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>2</v></c></row>',
            "cells out of column order",
        ),
        (
            '<row r="1"><c r="B1"><v>1</v></c><c r="B1"><v>2</v></c></row>',
            "cells out of column order",
        ),
        ('<row r="2"><c r="A2"><v>1</v></c></row><row r="1"></row>', "rows out of order"),
        ('<row r="0"><c><v>1</v></c></row>', "a row number outside"),
        ('<row r="18446744073709551617"><c><v>1</v></c></row>', "a row number outside"),
        ('<row r="1"><c r="A2"><v>1</v></c></row>', "another row"),
        ('<row r="1"><c r="A1"><v>1</v></row>', "does not match"),
        ('<row r="1"><c r="A1"><v>1</v></c>', "does not match"),
        ('<row r="1"><c r="A1"><v>&foo;</v></c></row>', "an entity XML does not define"),
        ('<row r="1"><c r="A1"><v>&#xD800;</v></c></row>', "an entity XML does not define"),
        ('<row r="1"><c r="A1" t="str"><v>_xD800_</v></c></row>', "lone surrogate"),
        ('<row r="1"><c r="A1" t="str"><v>\xff</v></c></row>', "not UTF-8"),
        ('<row r="1"><c r="A1" t="str"><v>\x01</v></c></row>', "control character"),
        ('<row r="1"><c r="A1" t="str"><v><![CDATA[x]]></v></c></row>', "CDATA"),
        (
            '<row r="1"><c r="A1" t="inlineStr"><is><t>' + "x" * (1 << 21) + "</t></is></c></row>",
            "longer than 1 MiB",
        ),
        ('<row r="1" x="' + "a" * (1 << 17) + '"></row>', "attribute longer"),
        (
            '<row r="1"><c r="A1"><v>' + "<x>" * 100 + "</x>" * 100 + "</v></c></row>",
            "nested too deep",
        ),
    ],
)
def test_scanner_refuses_with_row_and_column(rows, problem):
    xml = _sheet(rows).encode("latin-1") if "\xff" in rows else _sheet(rows)
    with pytest.raises(ScanFault) as err:
        _scan(xml, width=3, sst=shared_strings(b"<sst><si><t>a</t></si></sst>"))
    assert problem in err.value.args[0]
    assert err.value.args[1] >= 1  # a row to name


def test_doctype_and_cut_off_parts_are_refused():
    with pytest.raises(ScanFault, match="DOCTYPE"):
        _scan(
            '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "b">]><worksheet><sheetData/></worksheet>'
        )
    with pytest.raises(ScanFault, match="left open"):
        _scan('<worksheet><sheetData><row r="1"><c><v>1</v></c></row>')
    with pytest.raises(ValueError, match="DOCTYPE"):
        shared_strings(
            b'<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><sst><si><t>&x;</t></si></sst>'
        )


def test_scanner_reads_what_writers_legitimately_write():
    n, cols = _scan(
        _sheet(
            '<row r="1"><c r="A1" t="str"><v>_xD83D__xDE00_ &amp; &#x263A;</v></c>'
            '<!-- not in a cell --><c r="C1"><v>007</v></c></row>'.replace(
                "<!-- not in a cell -->", ""
            )
        )
    )
    assert n == 1
    (o0, d0, _, _), _, (o2, d2, _, _) = cols
    assert bytes(d0).decode() == "\U0001f600 & \u263a" and bytes(d2) == b"7"


def test_scanner_state_is_checked_across_feeds():
    scanner = Scanner(b"", bytes(8), b"")
    scanner.configure(2, 0)
    scanner.feed(b'<worksheet><sheetData><row r="1"><c><v>1</v></c></row>')
    scanner.feed(b'<row r="2"><c><v>2</v></c></row>')
    with pytest.raises(ScanFault, match="does not match"):
        scanner.feed(b"</worksheet>")
    with pytest.raises(ScanFault):  # and stays refused
        scanner.feed(b"</sheetData></worksheet>")


def test_shared_string_offsets_are_checked():
    with pytest.raises(ValueError):
        Scanner(b"ab", struct.pack("2q", 0, 99), b"")
    with pytest.raises(ValueError):
        Scanner(b"ab", struct.pack("3q", 0, 2, 1), b"")


# ---- the bundled workbooks under the debug allocator --------------------------------------

RUNS = int(os.environ.get("DETAINERWATCH_DEBUG_RUNS", "1"))


@pytest.mark.parametrize("path", FACILITY_LISTS, ids=lambda p: p.name)
def test_bundled_workbooks_ingest_under_the_debug_allocator(path, tmp_path):
    # The gazetteer loads in another thread while the scanner runs without the GIL: any
    # Python call from the scanner aborts under PYTHONMALLOC=debug. (The report's figure:
    # DETAINERWATCH_DEBUG_RUNS=20.)
    for run in range(RUNS):
        db = tmp_path / f"s{run}.duckdb"
        proc = subprocess.run(
            [
                str(Path(sys.executable).parent / "detainerwatch"),
                "--db",
                str(db),
                "ingest",
                "--quiet",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "PYTHONMALLOC": "debug"},
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.parametrize("head", [False, True])
def test_one_long_shared_string_repeated_is_refused_not_grown_past_memory(head):
    # A few kilobytes of XML naming one 1 MiB shared string 300 times: past 256 MiB of cell
    # text the scanner refuses (before, the int32 offsets of a column wrapped at 2 GiB and
    # pyarrow crashed; the head's text grew alike).
    data, offsets = shared_strings(
        b"<sst><si><t>" + b"x" * (1 << 20) + b"</t></si><si><t/></si></sst>"
    )
    scanner = Scanner(data, offsets, b"")
    if not head:
        scanner.configure(2, 0)
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="s"><v>0</v></c><c r="B%d" t="s"><v>1</v></c></row>' % (r, r, r)
        for r in range(1, 301)
    )
    with pytest.raises(ScanFault, match="over 256 MiB of cell text") as caught:
        scanner.feed(b"<worksheet><sheetData>" + rows, head)
    assert 250 <= caught.value.args[1] <= 260  # the row where it stopped


FAST_PATH_CELLS = [
    b'<c r="A{r}" t="s"><v>0</v></c>',
    b'<c r="A{r}" t="s" s="3"><v>1</v></c>',
    b'<c r="A{r}" t="s"/>',
    b'<c r="A{r}"><v>42.5</v></c>',
    b'<c r="A{r}" s="1"><v>45000</v></c>',  # a date style: a date's digits
    b'<c r="A{r}" s="1"><v>45000.75</v></c>',
    b'<c r="A{r}" t="inlineStr"><is><t>plain text</t></is></c>',
    b'<c r="A{r}" t="inlineStr"><is><t xml:space="preserve"> spaced </t></is></c>',
    b'<c r="A{r}" t="inlineStr"><is><t>a &amp; b &#233; &lt;x&gt;</t></is></c>',
    b'<c r="A{r}" t="inlineStr"><is><t></t></is></c>',
    b'<c r="A{r}" t="str"><v>formula text</v></c>',
    b'<c r="A{r}" t="b"><v>1</v></c>',
    b'<c r="A{r}" t="e"><v>#N/A</v></c>',
    b'<c r="A{r}"><v></v></c>',
    b'<c r="A{r}" t="s"><v>7</v></c>',  # an index past the shared strings: refused
    b'<c r="B{r}" t="s"><v>0</v></c>',
    b'<c r="A{r}" t="inlineStr"><is><t>bad & amp</t></is></c>',  # refused
    b'<c r="A{r}" t="inlineStr"><is><t>_x0041_\xc3\xa9</t></is></c>',
]


@pytest.mark.parametrize("cell", FAST_PATH_CELLS, ids=lambda c: c.decode("utf-8", "replace"))
def test_the_one_pass_cell_reads_as_the_general_path_does(cell):
    # The one-pass path (fast_cell) takes cells whose attributes are plainly spaced; a second
    # space after "<c" sends the same cell down the general path, the oracle. Same cells, same
    # refusals, whole and cut at every row end.
    data, offsets = shared_strings(b"<sst><si><t>first</t></si><si><t/></si></sst>")
    styles = b"\x00\x01"  # style 1 is a date

    def read(template: bytes, cuts: bool) -> list[object]:
        rows = [
            b'<row r="%d">' % r + template.replace(b"{r}", b"%d" % r) + b"</row>"
            for r in range(1, 4)
        ]
        pieces = [b"<worksheet><sheetData>" + rows[0], *rows[1:], b"</sheetData></worksheet>"]
        if not cuts:
            pieces = [b"".join(pieces)]
        scanner = Scanner(data, offsets, styles)
        scanner.configure(2, 0)
        seen: list[object] = []
        try:
            for piece in pieces:
                seen.append(scanner.feed(piece))
            scanner.finish()
        except ScanFault as exc:
            return [*seen, ("fault", exc.args)]
        n, row_numbers, columns = scanner.take()
        return [
            *seen,
            n,
            bytes(row_numbers),
            [tuple(bytes(b) for b in c[:3]) + (c[3],) for c in columns],
        ]

    general = cell.replace(b"<c ", b"<c  ", 1)
    for cuts in (False, True):
        assert read(cell, cuts) == read(general, cuts)


@pytest.mark.parametrize(
    "problem, expected",
    [
        ("over 256 MiB of cell text in one piece of the sheet (one string repeated?)", "size"),
        ("a cell longer than 1 MiB", "size"),
        ("an attribute longer than 64 KiB", "size"),
        ("elements nested too deep", "size"),
        ("out of memory", "memory"),
        ("an end tag that does not match the open element", "well-formed"),
    ],
)
def test_a_refusal_of_size_says_what_the_limits_are_not_malformed_xml(problem, expected):
    from detainerwatch.sources.readers import _fault

    message = str(_fault(ScanFault(problem, 7, 2), Path("book.xlsx"), "Sheet1"))
    assert "\n" not in message and problem in message and "row 7" in message
    assert {
        "size": "expected a sheet within the reader's size limits",
        "memory": "expected memory to read the sheet",
        "well-formed": "expected well-formed sheet XML",
    }[expected] in message
