"""Reading the spreadsheets offices send (CSV or Excel) into numbered rows, and writing error sheets.

One reader for every import, so each gets the same checks: a file that is not what its
extension says, a merged header, missing columns, and row numbers as the user sees them in Excel.
"""
from __future__ import annotations

import codecs
import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from django.utils.translation import gettext as _

from .errors import ValidationError
from .text import normalise_text

logger = logging.getLogger(__name__)


@dataclass
class RowError:
    row: int  # 1-based row number as shown in Excel (the header is row 1)
    field: str
    message: str
    values: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class Table:
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number, column -> text)


def _normalise_header(value) -> str:
    """A header cell as a column name: normalised text (a full-width letter or an invisible
    character does not hide a column), lower case, spaces as underscores."""
    return normalise_text(value).lower().replace(" ", "_")


class NumberCell(str):
    """The text of a spreadsheet cell that holds a number, remembering the number: a reader of
    an ID number or an account must know the cell was numeric (Excel keeps 15 digits of it).
    Any other reader sees plain text."""

    number: int | float

    def __new__(cls, number):
        text = number_text(number)
        cell = super().__new__(cls, text)
        cell.number = number
        return cell


def number_text(number) -> str:
    """A number cell as Excel shows it: whole numbers without ".0", fractions to Excel's 15
    significant digits, so a computed 100.10000000000001 reads 100.1 (what the user sees) while
    a typed 12.345 stays 12.345 for the reader to refuse."""
    if isinstance(number, float):
        if number.is_integer():
            return str(int(number))
        return format(number, ".15g")
    return str(number)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return NumberCell(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value).strip()


def read_table(source, *, filename: str, required: Iterable[str], aliases: dict[str, str] | None = None) -> Table:
    """Read a CSV or .xlsx file. `aliases` maps other header spellings (e.g. Chinese) to column names.

    Raises ValidationError (field "file") for a file that cannot be read as a table, a merged
    header, or missing required columns; rows are returned as text for the caller to validate."""
    aliases = {_normalise_header(k): v for k, v in (aliases or {}).items()}
    data = source.read() if hasattr(source, "read") else Path(source).read_bytes()
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        header, raw_rows = _read_xlsx(data)
    elif suffix in (".csv", ".txt"):
        header, raw_rows = _read_csv(data)
    else:
        raise ValidationError(_("Unsupported file type %(ext)s: send a .csv or .xlsx file.") % {"ext": suffix or "?"}, field="file")
    columns = [aliases.get(_normalise_header(h), _normalise_header(h)) for h in header]
    if not any(columns):
        raise ValidationError(_("The first row must be the header with the column names."), field="file")
    missing = [c for c in required if c not in columns]
    if missing:
        raise ValidationError(
            _("Missing columns: %(cols)s. The header row must name them.") % {"cols": ", ".join(missing)},
            field="file", code="missing_columns", details={"missing": missing},
        )
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicated:
        raise ValidationError(_("Columns appear twice in the header: %(cols)s.") % {"cols": ", ".join(duplicated)}, field="file")
    rows = []
    for number, raw in raw_rows:
        if not any(_cell_text(v) for v in raw):
            continue  # blank line
        values = {col: _cell_text(raw[i]) if i < len(raw) else "" for i, col in enumerate(columns) if col}
        rows.append((number, values))
    return Table(columns=[c for c in columns if c], rows=rows)


def _read_csv(data: bytes) -> tuple[list, Iterator]:
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise ValidationError(_("The file is saved as UTF-16 text (Excel's \"Unicode text\"): save it as \"CSV UTF-8\" "
                                "(or GB18030) and send it again."), field="file", code="wrong_encoding")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("The file is not a text CSV file (UTF-8 or GB18030)."), field="file")
    if "\x00" in text[:4096]:
        raise ValidationError(_("The file is not a text CSV file: it contains binary data."), field="file")
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(_csv_rows(reader, start=1))[1]
    except StopIteration:
        raise ValidationError(_("The file is empty."), field="file")
    return header, _csv_rows(reader, start=2)


def _csv_rows(reader, *, start: int) -> Iterator:
    """Numbered rows; a quote never closed or a field over the size limit answers in our words
    (the csv module's text goes to the log)."""
    number = start
    try:
        for row in reader:
            yield number, row
            number += 1
    except csv.Error as error:
        logger.warning("CSV unreadable at line %s: %s", reader.line_num, error)
        raise ValidationError(_("Line %(line)d of the file cannot be read as CSV: check its double quotes.")
                              % {"line": reader.line_num}, field="file", code="unreadable_file")


def _read_xlsx(data: bytes) -> tuple[list, Iterator]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, AttributeError, IndexError, SyntaxError) as error:
        # openpyxl raises many kinds on a damaged workbook (lxml's XMLSyntaxError is a SyntaxError)
        logger.warning("workbook unreadable: %r", error)
        raise ValidationError(_("The file is not an Excel workbook (.xlsx), whatever its name says."), field="file")
    sheet = workbook.worksheets[0]
    for merged in sheet.merged_cells.ranges:
        if merged.min_row == 1:
            raise ValidationError(
                _("The header row has merged cells (%(range)s): give each column its own header cell in row 1.") % {"range": str(merged)},
                field="file", code="merged_header",
            )
    rows = sheet.iter_rows(values_only=True)
    try:
        header = list(next(rows))
    except StopIteration:
        raise ValidationError(_("The workbook's first sheet is empty."), field="file")
    while header and header[-1] in (None, ""):
        header.pop()
    return header, ((i, list(row)) for i, row in enumerate(rows, start=2))


def write_error_sheet(columns: list[str], errors: list[RowError]) -> bytes:
    """An .xlsx with every bad row as the user sent it, plus its row number and the reason."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "errors"
    sheet.append([_("row"), _("field"), _("reason"), *columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for error in errors:
        sheet.append([error.row, error.field, error.message, *[error.values.get(c, "") for c in columns]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
