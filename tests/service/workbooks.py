"""XLSX files made by hand for the tests: valid, damaged and hostile, never committed as blobs.

openpyxl writes inline strings and well-formed XML, so the hostile shapes (shared-string bombs,
entity declarations, truncated parts) are assembled here part by part.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b"</Types>"
)
_ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Attendees" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def workbook(
    rows: Sequence[Sequence[str]],
    *,
    extra_strings: int = 0,
    edit: Callable[[str, bytes], bytes] | None = None,
) -> bytes:
    """An XLSX whose cells are shared strings, as Excel writes them.

    Args:
        rows: Cell texts, row by row (the first row is the header).
        extra_strings: Empty shared strings added after the ones the cells use (a bomb's
            payload: they cost the reader memory and time, and the file almost nothing).
        edit: Changes a part's bytes before it is packed: ``edit(name, data) -> data``.
    """
    strings: dict[str, int] = {}
    sheet_rows = []
    for number, row in enumerate(rows, 1):
        cells = []
        for index, text in enumerate(row):
            position = strings.setdefault(text, len(strings))
            cells.append(f'<c r="{_column(index)}{number}" t="s"><v>{position}</v></c>')
        sheet_rows.append(f'<row r="{number}">{"".join(cells)}</row>')
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="'
        + _MAIN_NS
        + b'"><sheetData>'
        + "".join(sheet_rows).encode()
        + b"</sheetData></worksheet>"
    )
    shared = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="'
        + _MAIN_NS
        + b'">'
        + "".join(f"<si><t>{escape(text)}</t></si>" for text in strings).encode()
        + b"<si/>" * extra_strings
        + b"</sst>"
    )
    parts = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        SHEET: sheet,
        SHARED_STRINGS: shared,
    }
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, edit(name, data) if edit else data)
    return output.getvalue()


def with_doctype(
    declaration: bytes, *, part: str = SHARED_STRINGS, use: tuple[bytes, bytes] | None = None
) -> Callable[[str, bytes], bytes]:
    """An ``edit`` that puts a DOCTYPE in front of one part's root element.

    Args:
        declaration: The ``<!DOCTYPE ...>`` text.
        part: The part to change.
        use: Text to replace in the part (``(b"Ada", b"&lol9;")``), to use an entity.
    """

    def edit(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        head, _, rest = data.partition(b"?>")
        if use is not None:
            rest = rest.replace(*use)
        return head + b"?>" + declaration + rest

    return edit


def truncated(part: str = SHEET) -> Callable[[str, bytes], bytes]:
    """An ``edit`` that cuts one part's XML off in the middle."""

    def edit(name: str, data: bytes) -> bytes:
        return data[: len(data) // 2] if name == part else data

    return edit


# Ten levels of ten references: expanded, one entity would be 10^10 characters.
BILLION_LAUGHS = (
    b'<!DOCTYPE sst [<!ENTITY lol0 "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (level, b"".join(b"&lol%d;" % (level - 1) for _ in range(10)))
        for level in range(1, 10)
    )
    + b"]>"
)
ONE_ENTITY = b'<!DOCTYPE sst [<!ENTITY company "Example Corp">]>'
