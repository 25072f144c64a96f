"""Read an uploaded attendee file's bytes as numbered rows of text cells (CSV or XLSX).

What the file *is* is decided here; what its columns *mean* is `service.attendees.parsing`'s.

Decisions worth knowing:

* Encoding: a byte-order mark wins (UTF-8 or UTF-16, as Excel's "Unicode text" writes); then
  strict UTF-8; otherwise cp1252, which is what Excel on Windows writes for "CSV" in Western
  locales. A statistical detector is not used: for this narrow choice the rule is exact and a
  detector guesses wrong on short files.
* Delimiter: comma, semicolon or tab, detected by clevercsv on the first 32 KiB; an Excel
  ``sep=;`` first line is honoured. Quotes are always Excel-style double quotes.
* Row numbers count every record, blank ones included, so they match the row numbers Excel
  shows (a quoted cell spanning several lines is still one row).
* Hostile files are refused before they are parsed: an XLSX whose parts unpack to more than
  `XLSX_MAX_RATIO` times the file's size (or `XlsxLimits.max_uncompressed_bytes`), or that
  holds more distinct texts (shared strings) than it has bytes (or
  `XlsxLimits.max_shared_strings`), is a decompression bomb, not an attendee list. XML is read
  with defusedxml (through openpyxl), so entity declarations ("billion laughs") are refused.
  Every way a damaged file can fail (truncated XML, broken compression) is an
  `ImportFileError` naming the problem.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Final, Literal
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

import clevercsv
import openpyxl
from defusedxml import DefusedXmlException
from openpyxl import load_workbook

# openpyxl reads XML with defusedxml whenever it is installed; without it, entity declarations
# would be expanded. Fail at import rather than parse a hostile file unsafely.
if not openpyxl.DEFUSEDXML:  # pragma: no cover - a broken installation
    raise ImportError("openpyxl must read XML through defusedxml; install defusedxml")

__all__ = ["XLSX_MAX_RATIO", "ImportFileError", "Records", "XlsxLimits", "read_records"]

_DELIMITERS: Final = (",", ";", "\t")
_SNIFF_BYTES: Final = 32 * 1024
_ZIP_MAGIC: Final = b"PK\x03\x04"
# Real workbooks unpack to 5-20 times their size; a bomb to thousands.
XLSX_MAX_RATIO: Final = 100
_XLSX_MAX_PARTS: Final = 10_000
# A shared string's start tag, with or without a namespace prefix: at most 28 bytes.
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?si[\s/>]")
_SHARED_STRING_TAG_MAX: Final = 32
_READ_CHUNK: Final = 1024 * 1024
_FOREIGN_MAGIC: Final = {
    b"\xd0\xcf\x11\xe0": "an old Excel .xls (or other Office 97) file; save it as .xlsx or CSV",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}
_SEP_LINE = re.compile(r"\A\ufeff?sep=(.)\r?\n", re.IGNORECASE)


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (empty, not a table, no id column...)."""


@dataclass(frozen=True)
class XlsxLimits:
    """How much an XLSX upload may unpack to; beyond either, it is refused before parsing.

    Attributes:
        max_uncompressed_bytes: The most its parts may unpack to in all (besides at most
            `XLSX_MAX_RATIO` times the file's size).
        max_shared_strings: The most distinct texts it may hold (besides at most one per byte
            of the file).
    """

    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_shared_strings: int = 1_000_000


@dataclass
class Records:
    """A file's rows as read: ``rows`` yields (row number from 1, cells stripped of spaces).

    Reading goes on while ``rows`` is consumed, so a damaged part far down the file raises
    `ImportFileError` then.
    """

    rows: Iterator[tuple[int, list[str]]]
    file_format: Literal["csv", "xlsx"]
    encoding: str | None = None  # CSV only
    delimiter: str | None = None  # CSV only


def read_records(data: bytes, *, filename: str, xlsx_limits: XlsxLimits | None = None) -> Records:
    """Open ``data`` as an XLSX workbook (by its zip signature or its name) or a CSV file.

    Raises:
        ImportFileError: The file is empty, another kind of file (a PDF, an old .xls), holds
            binary data, or is a workbook that is damaged or unpacks out of proportion.

    Example:
        >>> records = read_records(b"id;name\\r\\n1;Zo\\xeb\\r\\n", filename="people.csv")
        >>> (records.file_format, records.encoding, records.delimiter, list(records.rows))
        ('csv', 'cp1252', ';', [(1, ['id', 'name']), (2, ['1', 'Zoë'])])
    """
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if data.startswith(_ZIP_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        _check_xlsx_archive(data, xlsx_limits or XlsxLimits())
        return Records(_xlsx_records(data), file_format="xlsx")
    _refuse_binary(data)
    text, encoding = _decode(data)
    text, delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    rows = ((number, [cell.strip() for cell in cells]) for number, cells in enumerate(reader, 1))
    return Records(_guard_csv(rows), file_format="csv", encoding=encoding, delimiter=delimiter)


def _refuse_binary(data: bytes) -> None:
    for magic, what in _FOREIGN_MAGIC.items():
        if data.startswith(magic):
            raise ImportFileError(f"This is {what}, not a CSV or XLSX attendee list.")
    head = data[:4096]
    is_utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not is_utf16 and b"\x00" in head:
        line = head.count(b"\n", 0, head.index(b"\x00")) + 1
        raise ImportFileError(
            f"This is not a CSV or XLSX file: it holds binary data (a NUL byte on line {line})."
        )


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        # Trust the mark; a stray bad byte becomes U+FFFD rather than sinking the import.
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; they never occur in real text.
        return data.decode("cp1252", errors="replace"), "cp1252"


def _delimiter(text: str) -> tuple[str, str]:
    """Find the delimiter; returns the text without an Excel ``sep=`` line, and the delimiter."""
    hint = _SEP_LINE.match(text)
    if hint and hint.group(1) in _DELIMITERS:
        # Excel reads the hint and does not show it, so rows are numbered without it.
        return text[hint.end() :], hint.group(1)
    sample = text[:_SNIFF_BYTES]
    if len(text) > _SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    # clevercsv's parser stops at a NUL; the cell holding it is reported by row and column.
    sample = sample.replace("\x00", "")
    try:
        dialect = clevercsv.Detector().detect(sample, delimiters=list(_DELIMITERS))
    except clevercsv.Error:
        dialect = None
    if dialect is not None and dialect.delimiter in _DELIMITERS:
        return text, dialect.delimiter
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: first_line.count(delimiter) for delimiter in _DELIMITERS}
    return text, max(_DELIMITERS, key=lambda delimiter: counts[delimiter])


def _guard_csv(records: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    try:
        yield from records
    except csv.Error as error:
        raise ImportFileError(f"The file cannot be read as CSV: {error}.") from error


def _check_xlsx_archive(data: bytes, limits: XlsxLimits) -> None:
    """Refuse a workbook that unpacks out of proportion to its size, before openpyxl reads it.

    The sizes in the zip directory are what the reader will get at most: Python's zipfile
    stops at the declared size (and then fails the checksum), so a lying directory cannot
    make a part unpack larger.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        raise ImportFileError(
            f"The file is not a readable XLSX workbook ({error}); save it as .xlsx or CSV."
        ) from error
    if len(parts) > _XLSX_MAX_PARTS:
        raise ImportFileError(
            f"The XLSX file holds {len(parts):,} parts; a workbook has a few dozen, and at "
            f"most {_XLSX_MAX_PARTS:,} are read."
        )
    unpacked = sum(part.file_size for part in parts)
    allowed = min(limits.max_uncompressed_bytes, XLSX_MAX_RATIO * len(data))
    if unpacked > allowed:
        raise ImportFileError(
            f"The XLSX file unpacks to {unpacked:,} bytes, {unpacked / len(data):,.0f} times "
            f"its size; at most {XLSX_MAX_RATIO} times the file's size and "
            f"{limits.max_uncompressed_bytes:,} bytes are read (a file packed that tightly is "
            "a decompression bomb, not an attendee list)."
        )
    shared = [part for part in parts if part.filename.lower().endswith("sharedstrings.xml")]
    allowed_strings = min(limits.max_shared_strings, len(data))
    for part in shared:
        count = _count_shared_strings(archive, part, stop_after=allowed_strings)
        if count > allowed_strings:
            raise ImportFileError(
                f"The XLSX file holds more than {allowed_strings:,} distinct texts (shared "
                f"strings) in {len(data):,} bytes; at most one per byte of the file and "
                f"{limits.max_shared_strings:,} in all are read."
            )


def _count_shared_strings(
    archive: zipfile.ZipFile, part: zipfile.ZipInfo, *, stop_after: int
) -> int:
    """Count the ``<si>`` elements of a shared-strings part, streaming; stops past the limit."""
    count = 0
    tail = b""
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(_READ_CHUNK):
                window = tail + chunk
                # Tags starting near the end may be cut off: they are counted with the next
                # chunk, and the ones counted here lie wholly before that overlap.
                boundary = max(len(window) - _SHARED_STRING_TAG_MAX, 0)
                count += sum(1 for tag in _SHARED_STRING.finditer(window) if tag.start() < boundary)
                tail = window[boundary:]
                if count > stop_after:
                    return count
            count += len(_SHARED_STRING.findall(tail))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise ImportFileError(f"The XLSX file is damaged: {part.filename}: {error}.") from error
    return count


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        # openpyxl has no error type of its own: a damaged or hostile workbook surfaces as
        # whatever the zip, XML or its own reader raised.
        raise _unreadable_xlsx(error) from error
    try:
        sheet = workbook.worksheets[0]
        # Some writers record a wrong sheet size; without this, columns past it are lost.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                values = next(rows, None)
            except Exception as error:
                raise _unreadable_xlsx(error) from error
            if values is None:
                return
            number += 1
            yield number, [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _unreadable_xlsx(error: Exception) -> ImportFileError:
    # openpyxl wraps some errors in a ValueError of its own; the causes say what happened.
    chain: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__

    def found(kinds: type[BaseException] | tuple[type[BaseException], ...]) -> BaseException | None:
        return next((item for item in chain if isinstance(item, kinds)), None)

    if found(DefusedXmlException):
        return ImportFileError(
            "The XLSX file declares XML entities or a document type, which Hallway does not "
            "read (they can make a small file expand without limit); save it again from your "
            "spreadsheet or as CSV."
        )
    if xml_error := found((ParseError, ExpatError)):
        return ImportFileError(
            f"The XLSX file is damaged: its XML is not well-formed ({xml_error})."
        )
    if zip_error := found((zipfile.BadZipFile, zlib.error, EOFError)):
        return ImportFileError(
            f"The XLSX file is damaged: its compressed data is broken ({zip_error})."
        )
    if found(MemoryError):
        return ImportFileError(
            "The XLSX file needs more memory to read than a workbook of its size can."
        )
    if found(IndexError):
        return ImportFileError(
            "The XLSX file is damaged: a cell refers to a text it does not hold."
        )
    return ImportFileError(
        f"The file is not a readable XLSX workbook ({type(error).__name__}: {error}); save it "
        "as .xlsx or CSV."
    )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        # Ids typed into Excel come back as 1093847561.0.
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()
