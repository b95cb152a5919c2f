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
from django.utils.translation import gettext_lazy

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


@dataclass
class TableStream:
    """A table read row by row: `rows` yields (row number, column -> text) as the file is read,
    so a list of hundreds of thousands of rows is never held as Python objects at once."""

    columns: list[str]
    rows: Iterator[tuple[int, dict[str, str]]]
    total: int | None  # data rows the file holds (about: blank lines included), for progress; None if unknown


def read_table(source, *, filename: str, required: Iterable[str], aliases: dict[str, str] | None = None) -> Table:
    """Read a CSV or .xlsx file. `aliases` maps other header spellings (e.g. Chinese) to column names.

    Raises ValidationError (field "file") for a file that cannot be read as a table, a merged
    header, or missing required columns; rows are returned as text for the caller to validate."""
    stream = open_table(source, filename=filename, required=required, aliases=aliases)
    return Table(columns=stream.columns, rows=list(stream.rows))


def open_table(source, *, filename: str, required: Iterable[str], aliases: dict[str, str] | None = None) -> TableStream:
    """`read_table`, streamed: the header is checked at once (same errors), the rows are read as
    they are consumed (a CSV through a text decoder, a workbook in openpyxl's read-only mode)."""
    aliases = {_normalise_header(k): v for k, v in (aliases or {}).items()}
    data = source.read() if hasattr(source, "read") else Path(source).read_bytes()
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        header, raw_rows, total = _read_xlsx(data)
    elif suffix in (".csv", ".txt"):
        header, raw_rows, total = _read_csv(data)
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
    named = [(i, col) for i, col in enumerate(columns) if col]

    def rows():
        for number, raw in raw_rows:
            texts = [v.strip() if type(v) is str else _cell_text(v) for v in raw]
            if not any(texts):
                continue  # blank line
            yield number, {col: texts[i] if i < len(texts) else "" for i, col in named}

    return TableStream(columns=[c for c in columns if c], rows=rows(), total=total)


def _read_csv(data: bytes) -> tuple[list, Iterator, int]:
    """(header, numbered rows, rows in the file). The encoding is checked on the whole file, then
    the rows are decoded as they are read (the text is never held whole beside the bytes)."""
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise ValidationError(_("The file is saved as UTF-16 text (Excel's \"Unicode text\"): save it as \"CSV UTF-8\" "
                                "(or GB18030) and send it again."), field="file", code="wrong_encoding")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.decode(data, encoding)   # checked whole, then dropped: rows decode as read
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("The file is not a text CSV file (UTF-8 or GB18030)."), field="file")
    if b"\x00" in data[:4096]:
        raise ValidationError(_("The file is not a text CSV file: it contains binary data."), field="file")
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))
    try:
        header = next(_csv_rows(reader, start=1))[1]
    except StopIteration:
        raise ValidationError(_("The file is empty."), field="file")
    return header, _csv_rows(reader, start=2), max(data.count(b"\n") - 1, 0)


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


def _read_xlsx(data: bytes) -> tuple[list, Iterator, int | None]:
    """(header, numbered rows, rows in the sheet), read with calamine (Rust): the national
    division list's 665,276 rows as .xlsx took openpyxl about a minute of CPU to parse, calamine a
    few seconds; dates still come back as dates, numbers as numbers."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise ValidationError(_("The workbook's first sheet is empty."), field="file")
        sheet = workbook.get_sheet_by_index(0)
        merged = sheet.merged_cell_ranges or []
    except (CalamineError, ValueError, OSError, TypeError, IndexError) as error:
        logger.warning("workbook unreadable: %r", error)
        raise ValidationError(_("The file is not an Excel workbook (.xlsx), whatever its name says."), field="file")
    for (top, left), (bottom, right) in merged:
        if top == 0:
            raise ValidationError(
                _("The header row has merged cells (%(range)s): give each column its own header cell in row 1.")
                % {"range": f"{_column_letter(left)}{top + 1}:{_column_letter(right)}{bottom + 1}"},
                field="file", code="merged_header",
            )
    first_row = sheet.start[0] if sheet.start else 0   # calamine starts at the first used row
    rows = sheet.iter_rows()
    try:
        header = list(next(rows)) if first_row == 0 else []
    except StopIteration:
        raise ValidationError(_("The workbook's first sheet is empty."), field="file")
    if first_row != 0 or not header:
        raise ValidationError(_("The first row must be the header with the column names."), field="file")
    while header and header[-1] in (None, ""):
        header.pop()
    return header, ((i, row) for i, row in enumerate(rows, start=2)), max(sheet.height - 1, 0)


def _column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (as Excel names columns)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# The columns the imports know (divisions, rosters, department files), as a person reads them in an
# error report or sheet; any other name is the user's own header, shown as it is.
FIELD_LABELS = {
    "file": gettext_lazy("File"), "code": gettext_lazy("Code"), "name": gettext_lazy("Name"),
    "urban_rural_class": gettext_lazy("Urban-rural class"), "area": gettext_lazy("Area"),
    "area_code": gettext_lazy("Area code"), "household_ref": gettext_lazy("Household number"),
    "address": gettext_lazy("Address"), "registration_type": gettext_lazy("registration type"),
    "id_number": gettext_lazy("ID number"), "relation_to_head": gettext_lazy("Relation to head"),
    "disability_type": gettext_lazy("Disability type"), "disability_grade": gettext_lazy("Disability grade"),
    "serious_illness": gettext_lazy("Serious illness"), "work_ability": gettext_lazy("work ability"),
    "phone": gettext_lazy("Phone"), "sex": gettext_lazy("Sex"), "birth_date": gettext_lazy("Birth date"),
}


def field_label(field: str) -> str:
    """A bad row's field as a person reads it, in the active language (the import reports and the
    error sheets); a header of the user's own file is shown as it is."""
    return str(FIELD_LABELS.get(field, field or ""))


def write_error_sheet(columns: list[str], errors: list[RowError]) -> bytes:
    """An .xlsx with every bad row as the user sent it, plus its row number and the reason."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("errors")[:31]
    sheet.append([_("row"), _("field"), _("reason"), *columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for error in errors:
        sheet.append([error.row, field_label(error.field), error.message, *[error.values.get(c, "") for c in columns]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Writing the CSV files people open (issue 15, item 11)
# ---------------------------------------------------------------------------------------------
# Excel in a Chinese Windows reads a CSV without a byte-order mark as GBK and shows UTF-8
# Chinese as mojibake; with the BOM it reads UTF-8. Every CSV SafetyNet writes goes through
# these two, so every one opens as it is: the BOM, the comma dialect, CRLF line ends.
OFFICE_CSV = "text/csv; charset=utf-8"
OFFICE_CSV_ENCODING = "utf-8-sig"     # writes the BOM first; reads with or without it


def open_office_csv(path: Path, header: list[str]):
    """A CSV file opened for writing row by row: (handle, csv writer), the BOM and `header`
    already written. The caller closes the handle."""
    handle = Path(path).open("w", encoding=OFFICE_CSV_ENCODING, newline="")
    writer = csv.writer(handle)
    writer.writerow([str(h) for h in header])
    return handle, writer


def office_csv(header: list[str], rows: Iterable[Iterable]) -> bytes:
    """A whole CSV as bytes: the BOM, `header` (translated labels, str() of lazy ones) and `rows`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(h) for h in header])
    writer.writerows(rows)
    return buffer.getvalue().encode(OFFICE_CSV_ENCODING)
