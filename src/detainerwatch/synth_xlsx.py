"""A small streaming .xlsx writer for generated workbooks: shared or inline strings, date styles.

Why it exists: xlsxwriter in constant-memory mode writes inline strings only and about 1,500
rows a second; Excel and most exporters write shared strings (a table of strings that cells
refer to by index). This writer streams each worksheet's XML into its zip entry as rows come
(deflate runs in a second thread; zlib releases the GIL), keeps only the shared-string table in
memory, and writes the workbook parts at the end: what a reader sees is what Excel writes
(`[Content_Types].xml`, relationships, `xl/workbook.xml`, `xl/styles.xml`, `docProps/core.xml`
and `app.xml`, `xl/sharedStrings.xml` when strings are shared).

Cells are written as Excel writes them: `<c r="B8" t="s"><v>3</v></c>` for a shared string,
`<c r="B8" t="inlineStr"><is><t>WA</t></is></c>` inline, numbers as `<v>` with the column's
style (dates are numbers styled as dates). Same calls, same bytes: zip entries carry a fixed
time and a fixed compression level.
"""

from __future__ import annotations

import datetime as dt
import queue
import re
import threading
import zipfile
from pathlib import Path

STYLE_GENERAL, STYLE_DATE, STYLE_DATETIME = 0, 1, 2
NUMBER_FORMATS = {STYLE_DATE: (164, "mm/dd/yyyy"), STYLE_DATETIME: (165, "mm/dd/yyyy hh:mm")}
EXCEL_MAX_ROWS, EXCEL_MAX_COLS = 1_048_576, 16_384
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FLUSH_CHARS = 1 << 20  # XML characters buffered before a block goes to deflate
CELL_CACHE = 20_000  # cells remembered per column

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Characters XML 1.0 cannot carry at all (Excel would write them as _xHHHH_ escapes).
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def escape(text: str) -> str:
    if _INVALID.search(text):
        raise ValueError(f"{text!r}: a character XML cannot hold")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    return escape(text).replace('"', "&quot;")


def _t(text: str) -> str:
    """A <t> element; white space at either end kept, as Excel marks it."""
    if text != text.strip():
        return f'<t xml:space="preserve">{escape(text)}</t>'
    return f"<t>{escape(text)}</t>"


class Workbook:
    """Write sheets one after another with `sheet()`, then `close()`.

    strings: "shared" (as Excel writes them) or "inline". compresslevel: deflate level of
    every part (1: fast; the sheet XML of a million rows is 1.5-2.5 GB)."""

    def __init__(
        self,
        path: Path,
        *,
        strings: str = "shared",
        title: str = "",
        author: str = "",
        created: dt.datetime | None = None,
        compresslevel: int = 1,
    ):
        if strings not in ("shared", "inline"):
            raise ValueError(f"strings={strings!r}: expected 'shared' or 'inline'")
        self.path = Path(path)
        self.shared = strings == "shared"
        self.title, self.author = title, author
        self.created = created or dt.datetime(2000, 1, 1)
        self.level = compresslevel
        self.zip = zipfile.ZipFile(
            self.path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=compresslevel
        )
        self.sheet_names: list[str] = []
        self._sst: dict[str, int] = {}  # shared strings: text -> index, in order
        self._string_refs = 0
        self._open: Sheet | None = None

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        # read when the entry opens (an alias from 3.13 on); private, so not in typeshed
        info._compresslevel = self.level  # type: ignore[attr-defined]
        info.external_attr = 0o600 << 16
        return info

    def _part(self, name: str, xml: str) -> None:
        self.zip.writestr(self._info(name), (_XML_HEAD + xml).encode("utf-8"))

    def sheet(
        self,
        name: str,
        *,
        last_row: int | None = None,
        width: int | None = None,
        styles: list[int] | None = None,
    ) -> Sheet:
        """A new worksheet. last_row and width, when known, go in its <dimension>; styles
        gives each column's number style (STYLE_DATE, STYLE_DATETIME) for numbers written in
        it."""
        if self._open is not None:
            self._open.close()
        if (
            not name
            or len(name) > 31
            or re.search(r"[\[\]:*?/\\]", name)
            or name.lower() in (n.lower() for n in self.sheet_names)
        ):
            raise ValueError(f"{name!r}: not a usable sheet name")
        self.sheet_names.append(name)
        self._open = Sheet(self, len(self.sheet_names), last_row, width, styles or [])
        return self._open

    def _string(self, text: str) -> str:
        """The XML after a string cell's reference."""
        if self.shared:
            index = self._sst.get(text)
            if index is None:
                escape(text)  # refused now, not when the table is written
                index = self._sst[text] = len(self._sst)
            return f'" t="s"><v>{index}</v></c>'
        return f'" t="inlineStr"><is>{_t(text)}</is></c>'

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None
        if not self.sheet_names:
            raise ValueError("a workbook needs at least one sheet")
        n = len(self.sheet_names)
        if self.shared:
            self._write_shared_strings()
        self._part(
            "xl/workbook.xml",
            f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><workbookPr/><bookViews>'
            '<workbookView xWindow="240" yWindow="15" windowWidth="16095" '
            'windowHeight="9660"/></bookViews><sheets>'
            + "".join(
                f'<sheet name="{_attr(s)}" sheetId="{i}" r:id="rId{i}"/>'
                for i, s in enumerate(self.sheet_names, 1)
            )
            + '</sheets><calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>',
        )
        rels = [(f"rId{i}", "worksheet", f"worksheets/sheet{i}.xml") for i in range(1, n + 1)]
        rels.append((f"rId{n + 1}", "styles", "styles.xml"))
        if self.shared:
            rels.append((f"rId{n + 2}", "sharedStrings", "sharedStrings.xml"))
        self._part(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PKG_REL}">'
            + "".join(
                f'<Relationship Id="{i}" Type="{_REL}/{k}" Target="{t}"/>' for i, k, t in rels
            )
            + "</Relationships>",
        )
        self._part("xl/styles.xml", _styles())
        created = self.created.strftime("%Y-%m-%dT%H:%M:%SZ")
        self._part(
            "docProps/core.xml",
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(self.title)}</dc:title>"
            f"<dc:creator>{escape(self.author)}</dc:creator>"
            f"<cp:lastModifiedBy>{escape(self.author)}</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{created}</dcterms:modified>'
            "</cp:coreProperties>",
        )
        self._part(
            "docProps/app.xml",
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/'
            'officeDocument/2006/docPropsVTypes"><Application>Microsoft Excel'
            "</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
            '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>'
            f"Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>{n}</vt:i4>"
            "</vt:variant></vt:vector></HeadingPairs><TitlesOfParts>"
            f'<vt:vector size="{n}" baseType="lpstr">'
            + "".join(f"<vt:lpstr>{escape(s)}</vt:lpstr>" for s in self.sheet_names)
            + "</vt:vector></TitlesOfParts><LinksUpToDate>false</LinksUpToDate>"
            "<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
            "<AppVersion>12.0000</AppVersion></Properties>",
        )
        self._part(
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" '
            'Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" '
            'Target="docProps/app.xml"/></Relationships>',
        )
        parts = [
            ("/docProps/app.xml", f"{_CT}.extended-properties+xml"),
            ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
            ("/xl/styles.xml", f"{_CT}.spreadsheetml.styles+xml"),
            ("/xl/workbook.xml", f"{_CT}.spreadsheetml.sheet.main+xml"),
        ]
        parts += [
            (f"/xl/worksheets/sheet{i}.xml", f"{_CT}.spreadsheetml.worksheet+xml")
            for i in range(1, n + 1)
        ]
        if self.shared:
            parts.append(("/xl/sharedStrings.xml", f"{_CT}.spreadsheetml.sharedStrings+xml"))
        self._part(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{p}" ContentType="{c}"/>' for p, c in parts)
            + "</Types>",
        )
        self.zip.close()
        self._sst.clear()

    def _write_shared_strings(self) -> None:
        with _Stream(self.zip, self._info("xl/sharedStrings.xml")) as out:
            out.write(
                f'{_XML_HEAD}<sst xmlns="{_NS}" count="{self._string_refs}" '
                f'uniqueCount="{len(self._sst)}">'
            )
            buf, size = [], 0
            for text in self._sst:
                piece = f"<si>{_t(text)}</si>"
                buf.append(piece)
                size += len(piece)
                if size >= FLUSH_CHARS:
                    out.write("".join(buf))
                    buf, size = [], 0
            buf.append("</sst>")
            out.write("".join(buf))

    def abort(self) -> None:
        """Stop writing and remove the unfinished file."""
        if self._open is not None:
            self._open._out.abort()
            self._open = None
        try:
            self.zip.close()
        finally:
            self.path.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is None:
            self.close()
        else:
            self.abort()


class Sheet:
    """One worksheet's XML, streamed. Rows must come in increasing order."""

    def __init__(
        self, book: Workbook, index: int, last_row: int | None, width: int | None, styles: list[int]
    ):
        self.book = book
        self.closed = False
        self._last = 0
        self._out = _Stream(book.zip, book._info(f"xl/worksheets/sheet{index}.xml"))
        self._buf: list[str] = []
        self._size = 0
        self._styles = styles
        self._cells: list[dict] = []  # per column: value -> its cell's XML
        self._get: list = []
        self._cols = range(EXCEL_MAX_COLS)
        dimension = ""
        if last_row and width:
            dimension = f'<dimension ref="A1:{column_letters(width - 1)}{last_row}"/>'
        view = ' tabSelected="1"' if index == 1 else ""
        self._out.write(
            f'{_XML_HEAD}<worksheet xmlns="{_NS}" xmlns:r="{_REL}">{dimension}'
            f'<sheetViews><sheetView{view} workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/><sheetData>'
        )

    def _grow(self, width: int) -> None:
        if width > EXCEL_MAX_COLS:
            raise ValueError(f"{width} columns: a sheet holds at most {EXCEL_MAX_COLS}")
        start = len(self._cells)
        self._cells.extend({} for _ in range(start, width))
        self._get = [cache.get for cache in self._cells]

    def row(self, number: int, values: list) -> None:
        """Write row `number` (1-based, as Excel shows it): values per column from A, each None
        (no cell), str, int or float (styled by the column's style)."""
        if not self._last < number <= EXCEL_MAX_ROWS:
            raise ValueError(f"row {number}: rows go in increasing order, at most {EXCEL_MAX_ROWS}")
        self._last = number
        if len(values) > len(self._get):
            self._grow(len(values))
        cell = self._cell
        # Each cell's XML comes from its column's cache, with NUL where the row number goes
        # (NUL cannot occur in XML text): one lookup per cell, one replace per row.
        # A row may be narrower than the widest row so far (the caches): zip stops at its end.
        xml = "".join(
            [
                get(v) or cell(c, v)
                for c, get, v in zip(self._cols, self._get, values, strict=False)
                if v is not None
            ]
        )
        piece = f'<row r="{number}">{xml.replace(chr(0), str(number))}</row>'
        if self.book.shared:
            self.book._string_refs += xml.count(' t="s"')
        self._buf.append(piece)
        self._size += len(piece)
        if self._size >= FLUSH_CHARS:
            self._flush()

    def _cell(self, col: int, value) -> str:
        """A cell's XML (NUL for the row number), cached in its column while the cache is small
        (identifiers and times of day rarely repeat)."""
        kind = type(value)
        if kind is str:
            frag = self.book._string(value)
        elif kind is int or kind is float:
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(f"column {column_letters(col)}: {value!r} cannot be stored")
            style = self._styles[col] if col < len(self._styles) else STYLE_GENERAL
            text = repr(value) if kind is float else str(value)
            frag = f'" s="{style}"><v>{text}</v></c>' if style else f'"><v>{text}</v></c>'
        else:
            raise TypeError(f"column {column_letters(col)}: {value!r} is not a str, int or float")
        xml = f'<c r="{column_letters(col)}\0{frag}'
        cache = self._cells[col]
        if len(cache) < CELL_CACHE:
            cache[value] = xml
        return xml

    def _flush(self) -> None:
        if self._buf:
            self._out.write("".join(self._buf))
            self._buf, self._size = [], 0

    def close(self) -> None:
        if self.closed:
            return
        self._buf.append(
            '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" '
            'bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
        )
        self._flush()
        self._out.close()
        self.closed = True


_END = object()


class _Stream:
    """A zip entry written from a second thread: the caller hands over text, deflate and CRC
    (which release the GIL) run beside the caller's work."""

    def __init__(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo):
        self._fh = zf.open(info, "w", force_zip64=True)
        self._q: queue.Queue = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, daemon=True, name=f"deflate {info.filename}"
        )
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is _END:
                return
            if self._error is None:
                try:
                    self._fh.write(item)
                except BaseException as exc:  # raised in the caller's thread
                    self._error = exc

    def write(self, text: str) -> None:
        if self._error is not None:
            raise self._error
        self._q.put(text.encode("utf-8"))

    def close(self) -> None:
        self._q.put(_END)
        self._thread.join()
        if self._error is not None:
            raise self._error
        self._fh.close()

    def abort(self) -> None:
        self._q.put(_END)
        self._thread.join()
        try:
            self._fh.close()
        except Exception:  # noqa: S110 (the file is being removed)
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _styles() -> str:
    fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{c}"/>' for i, c in NUMBER_FORMATS.values())
    xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'] + [
        f'<xf numFmtId="{i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        for i, _ in NUMBER_FORMATS.values()
    ]
    return (
        f'<styleSheet xmlns="{_NS}"><numFmts count="{len(NUMBER_FORMATS)}">{fmts}</numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/>'
        '</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1">'
        "<border><left/><right/><top/><bottom/><diagonal/></border></borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        f'</cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
        'defaultPivotStyle="PivotStyleLight16"/></styleSheet>'
    )
