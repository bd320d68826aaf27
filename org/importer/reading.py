"""Reading an organisation file, CSV (UTF-8) or XLSX, into the same numbered rows.

A row is ``(line, {column: text})``; lines are numbered as a spreadsheet numbers them (the header
is line 1). An XLSX cell's date is read as ``YYYY-MM-DD``, a whole number as its digits, TRUE as
``1``. The format is told from the content, not the file's name (an .xlsx is a ZIP archive).
"""

from __future__ import annotations

import csv
import datetime
import io

from django.utils.translation import gettext as _

from .report import ImportRejected

# The first fourteen are the original columns, in their original order: older files keep working.
COLUMNS = [
    "unit_code", "unit_name", "unit_kind", "parent_unit_code",
    "position_code", "position_title", "superior_position_code", "is_unit_leader",
    "nip", "name", "employment_type", "username", "email", "language",
    "grade", "position_kind", "functional_level", "position_start", "contract_start", "contract_end",
    "leave_date", "leave_reason",
]
REQUIRED_COLUMNS = ["unit_code", "unit_name", "parent_unit_code", "position_code", "position_title",
                    "superior_position_code", "nip", "name"]

ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx is a ZIP archive of XML parts
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls
# An .xlsx of a few MB can unpack to millions of empty rows: reading stops well past any real
# organisation (the largest agencies have some tens of thousands of people).
MAX_XLSX_ROWS = 200_000


def read_file(content: str | bytes, *, filename: str = "") -> list[tuple[int, dict]]:
    """The rows of a CSV (text, or UTF-8 bytes) or XLSX (bytes) file; an unreadable file is
    refused with a line-0 error that says what to do."""
    if isinstance(content, str):
        return read_rows(content)
    if content.startswith(ZIP_MAGIC):
        return read_xlsx(content)
    if content.startswith(OLE_MAGIC):
        raise ImportRejected([(0, _("This is an old Excel file (.xls): save it as .xlsx or as CSV UTF-8."))])
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportRejected([(0, _("The file is not a valid XLSX workbook."))])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected([(0, _("The file is neither CSV UTF-8 nor XLSX; save it as one of these."))]) from None
    return read_rows(text)


def read_rows(text: str) -> list[tuple[int, dict]]:
    """The rows of CSV text."""
    try:
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
        header = next(reader, [])
        return _rows(header, reader, start=2)
    except csv.Error as error:
        raise ImportRejected([(0, _("not a readable CSV file: %(error)s") % {"error": error})]) from None


def read_xlsx(data: bytes) -> list[tuple[int, dict]]:
    """The rows of the first worksheet of an XLSX workbook, its first row the header."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl fails on a damaged archive with any of a dozen exception types
        raise ImportRejected([(0, _("The file is not a valid XLSX workbook."))]) from None
    try:
        if not book.worksheets:
            raise ImportRejected([(0, _("The workbook has no worksheet."))])
        sheet = book.worksheets[0]
        header = [_text(value) for value in next(sheet.iter_rows(max_row=1, values_only=True), ())]
        width = max((index + 1 for index, name in enumerate(header) if name), default=1)
        # Only the header's columns are read: a stray cell far to the right does not widen every row.
        header, cells = header[:width], sheet.iter_rows(min_row=2, max_col=width, values_only=True)
        nip_at = header.index("nip") if "nip" in header else None
        values, errors = [], []
        for number, row in enumerate(cells, start=2):
            if number > MAX_XLSX_ROWS:
                raise ImportRejected([(number, _("The worksheet has more than %(count)s rows.") % {"count": MAX_XLSX_ROWS})])
            nip = row[nip_at] if nip_at is not None and nip_at < len(row) else None
            if isinstance(nip, (int, float)) and not isinstance(nip, bool):
                # Excel keeps 15 significant digits: an 18-digit NIP typed as a number has lost its end.
                errors.append((number, _("NIP %(nip)s is a number in the worksheet; format the column as text and type "
                                         "the 18 digits again") % {"nip": _text(nip)}))
            values.append([_text(value) for value in row])
        if errors:
            raise ImportRejected(errors)
        return _rows(header, values, start=2)
    except ImportRejected:
        raise
    except Exception:  # a damaged worksheet inside a sound archive
        raise ImportRejected([(0, _("The file is not a valid XLSX workbook."))]) from None
    finally:
        book.close()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _rows(header: list[str], rows, *, start: int) -> list[tuple[int, dict]]:
    header = [name.strip() for name in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportRejected([(1, _("missing columns: %(columns)s") % {"columns": ", ".join(missing)})])
    known = [(index, name) for index, name in enumerate(header) if name in COLUMNS]
    return [
        (number, {name: (row[index] if index < len(row) else "").strip() for index, name in known})
        for number, row in enumerate(rows, start=start)
    ]
