"""Checking a department's file and turning it into a snapshot (issue 4, part 1).

A file (CSV, Excel or Parquet) is read into DuckDB as text, every row is checked against the
dataset's declaration (schemas.py) with set-based SQL — one pass per check over the whole
table, never a Python loop per row — and only a file without a single bad row becomes a
snapshot: a Parquet file sorted by ID number, plus a DuckDB file with an index on the ID number
for the online report (storage.py). A file with bad rows stores nothing; every bad row comes back
with its row number, column and reason.

Checks: the header (wrong column names → one error naming the unknown and the missing ones),
the type of each value, required values, allowed values, amounts not negative, dates not in the
future, an ID number (or else a name and a birth date) on each row, and duplicate keys. Before
any of that, the file must be what its extension says (a workbook renamed .csv is refused, and
so is a text file renamed .parquet).

Row numbers are those a spreadsheet shows (the header is row 1, the first record row 2; blank
lines of a CSV are skipped and not counted); in a Parquet file, the record's position (from 1).

Pure of the database: services.import_snapshot stores what this module staged.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from django.utils.translation import gettext as _, gettext_noop

from safetynet.core.errors import ValidationError
from safetynet.core.idnumbers import normalise_id_number
from safetynet.core.tabular import RowError, number_text
from safetynet.core.text import ZERO_WIDTH, normalise_text

from . import storage
from .schemas import CHOICE, DATE, Dataset, IDENTITY, ID_NUMBER, MONEY, MONTH, NUMBER, STRING, TYPE_LABELS

CSV, XLSX, PARQUET = "csv", "xlsx", "parquet"
EXTENSIONS = {".csv": CSV, ".txt": CSV, ".xlsx": XLSX, ".xlsm": XLSX, ".parquet": PARQUET, ".pq": PARQUET}
KIND_NAMES = {CSV: "CSV", XLSX: "Excel (.xlsx)", PARQUET: "Parquet"}
ROW_GROUP_SIZE = 122_880
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)   # GB 11643-1999 (POLICY.md §8)
UTF16 = "utf16"
logger = logging.getLogger(__name__)

# Identity kinds of a row, kept in the snapshot for identity resolution.
ID_EXACT, ID_LEGACY, ID_BAD_CHECK, ID_MISSING = "exact", "legacy", "bad_check", "missing"


@dataclass
class BadRow:
    row: int
    column: str
    reason: str
    value: str = ""

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason, "value": self.value}

    def as_row_error(self) -> RowError:
        return RowError(row=self.row, field=self.column, message=self.reason, values={self.column: self.value})


@dataclass
class Staged:
    """A valid file, written as a snapshot under tmp/ until the service keeps it."""

    dataset: Dataset
    content_hash: str
    row_count: int
    parquet: Path
    index: Path
    identities: dict = field(default_factory=dict)   # {exact, legacy, bad_check, missing: count}


@dataclass
class Checked:
    content_hash: str
    bad_rows: list[BadRow] = field(default_factory=list)
    staged: Staged | None = None
    row_count: int = 0


# --------------------------------------------------------------------------------------------
# The file itself
# --------------------------------------------------------------------------------------------

def copy_upload(source, *, suffix: str) -> tuple[Path, str]:
    """Write the upload (bytes, a file object or a path) under tmp/ while hashing it: the
    SHA-256 of the bytes is the snapshot's content hash (an identical re-send is recognised)."""
    target = storage.new_tmp_path(suffix)
    digest = hashlib.sha256()
    if isinstance(source, (bytes, bytearray)):
        stream, close = io.BytesIO(source), True
    elif isinstance(source, (str, Path)):
        stream, close = open(source, "rb"), True
    else:
        stream, close = source, False
        if hasattr(stream, "seek"):
            try:
                stream.seek(0)
            except (OSError, ValueError):
                pass
    try:
        with open(target, "wb") as out:
            chunks = stream.chunks() if hasattr(stream, "chunks") else iter(lambda: stream.read(1 << 20), b"")
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
    finally:
        if close:
            stream.close()
    return target, digest.hexdigest()


def kind_of(filename: str) -> str:
    suffix = Path(filename or "").suffix.lower()
    kind = EXTENSIONS.get(suffix)
    if kind is None:
        raise ValidationError(_("Unsupported file type %(ext)s: send a .csv, .xlsx or .parquet file.") % {"ext": suffix or "?"},
                              field="file", code="unsupported_file")
    return kind


def _looks_like(path: Path) -> str:
    """What the bytes are, whatever the name says: parquet, xlsx (a zip), xls, pdf, binary or text."""
    with open(path, "rb") as f:
        head = f.read(65536)
        size = f.seek(0, 2)
        tail = b""
        if size >= 8:
            f.seek(size - 4)
            tail = f.read(4)
    if head[:4] == b"PAR1" and tail == b"PAR1":
        return PARQUET
    if head[:4] == b"PK\x03\x04":
        return XLSX
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if head[:4] == b"%PDF":
        return "pdf"
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return UTF16
    if b"\x00" in head:
        return "binary"
    return CSV


_WHAT = {PARQUET: gettext_noop("a Parquet file"), XLSX: gettext_noop("an Excel workbook or another zip archive"),
         "xls": gettext_noop("an old Excel (.xls) workbook"), "pdf": gettext_noop("a PDF document"),
         "binary": gettext_noop("a binary file"), CSV: gettext_noop("a text file"), UTF16: gettext_noop("UTF-16 text")}


def check_file_kind(path: Path, filename: str) -> str:
    """The kind the extension promises, once the bytes agree; ValidationError (code
    "wrong_file_kind") naming both when they do not."""
    kind = kind_of(filename)
    actual = _looks_like(path)
    if actual == UTF16 and kind == CSV:
        raise ValidationError(
            _("%(name)s is saved as UTF-16 text (Excel's \"Unicode text\"): save it as \"CSV UTF-8\" (or GB18030) and send it again.")
            % {"name": Path(filename).name}, field="file", code="wrong_encoding")
    if actual != kind:
        raise ValidationError(
            _("%(name)s is named as a %(kind)s file but it is %(actual)s: send the file in the format its name says.")
            % {"name": Path(filename).name, "kind": KIND_NAMES[kind], "actual": _(_WHAT[actual])},
            field="file", code="wrong_file_kind", details={"expected": kind, "found": actual})
    return kind


def _normalise_header(value) -> str:
    return normalise_text(value).lower().replace(" ", "_")


def _check_header(dataset: Dataset, header: list) -> list[str]:
    """Normalised column names (aliases applied); ValidationError naming every wrong name."""
    aliases = {_normalise_header(k): v for k, v in dataset.aliases.items()}
    names = [aliases.get(_normalise_header(h), _normalise_header(h)) for h in header]
    while names and names[-1] == "":
        names.pop()
    known = set(dataset.column_names)
    unknown = [h for h, n in zip(header, names) if n not in known]
    missing = [c for c in dataset.required_columns if c not in names]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(_("unknown columns: %(cols)s") % {"cols": ", ".join(str(u) if u not in (None, "") else _("(empty)") for u in unknown)})
        if missing:
            parts.append(_("missing columns: %(cols)s") % {"cols": ", ".join(missing)})
        raise ValidationError(
            _("Wrong column names for %(dataset)s — %(problems)s. The header must be: %(expected)s.")
            % {"dataset": dataset.code, "problems": "; ".join(parts), "expected": ", ".join(dataset.column_names)},
            field="file", code="wrong_columns",
            details={"unknown": [str(u) for u in unknown], "missing": missing, "expected": dataset.column_names})
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValidationError(_("Columns appear twice in the header: %(cols)s.") % {"cols": ", ".join(duplicated)},
                              field="file", code="wrong_columns", details={"duplicated": duplicated})
    return names


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _load_csv(con, path: Path, dataset: Dataset) -> list[BadRow]:
    """Into table `raw` (text columns and `__row`); rows with the wrong number of cells come
    back as bad rows (the file is then refused before any other check)."""
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        decoder.decode(head, final=False)
        encoded = path
    except UnicodeDecodeError:
        encoded = _transcode(path, "gb18030")
    with open(encoded, "r", encoding="utf-8-sig", newline="") as f:
        try:
            header = next(csv.reader(f))
        except StopIteration:
            raise ValidationError(_("The file is empty."), field="file", code="empty_file")
    names = _check_header(dataset, header)
    if len(names) < len(header):
        header = header[: len(names)]
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    try:
        con.execute(
            f"""CREATE TABLE raw AS SELECT * FROM read_csv(?, header = true, delim = ',', quote = '"', escape = '"',
                auto_detect = false, columns = {columns}, encoding = 'utf-8', store_rejects = true,
                rejects_table = 'csv_rejects', rejects_scan = 'csv_rejects_scan', null_padding = false)""",
            [str(encoded)])
    except duckdb.Error as error:
        logger.warning("department CSV %s unreadable: %s", path.name, error)
        raise ValidationError(_("The file cannot be read as CSV: check that it is a comma-separated text file with one "
                                "header row."), field="file", code="unreadable_file")
    finally:
        if encoded != path:
            storage.remove(encoded)
    rejects = con.execute("SELECT line, error_type, error_message, csv_line FROM csv_rejects ORDER BY line").fetchall()
    if rejects:
        for line, kind, message, _line in rejects[:20]:
            logger.info("department CSV %s line %s rejected by DuckDB: %s %s", path.name, line, kind, message)
        return [BadRow(int(line), "", _reject_reason(kind, len(names)), (text or "").strip()[:200])
                for line, kind, _message, text in rejects]
    con.execute("ALTER TABLE raw ADD COLUMN __row BIGINT")
    con.execute("UPDATE raw SET __row = rowid + 2")
    return []


def _reject_reason(kind: str, columns: int) -> str:
    """Our own words for why DuckDB could not read a CSV line (its text stays in the log)."""
    kind = (kind or "").upper()
    if kind == "TOO MANY COLUMNS":
        return _("This line has more cells than the header has columns (%(n)d): a value holding a comma must be in "
                 "double quotes.") % {"n": columns}
    if kind == "MISSING COLUMNS":
        return _("This line has fewer cells than the header has columns (%(n)d).") % {"n": columns}
    if kind == "UNQUOTED VALUE":
        return _("A double quote in this line is not closed, or a value holds a quote that is not doubled.")
    if kind == "INVALID UNICODE":
        return _("This line holds bytes that are not UTF-8 text.")
    if kind == "LINE SIZE OVER MAXIMUM":
        return _("This line is too long to be a record.")
    return _("This line cannot be read as CSV.")


def _transcode(path: Path, encoding: str) -> Path:
    """A GB18030 CSV (what Chinese Excel saves) rewritten as UTF-8 for DuckDB."""
    target = storage.new_tmp_path(".csv")
    try:
        with open(path, "r", encoding=encoding, newline="") as src, open(target, "w", encoding="utf-8", newline="") as out:
            while True:
                block = src.read(1 << 20)
                if not block:
                    break
                out.write(block)
    except UnicodeDecodeError:
        storage.remove(target)
        raise ValidationError(_("The file is not a text CSV file (UTF-8 or GB18030)."), field="file", code="wrong_file_kind")
    return target


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return number_text(value)   # Excel's 15 significant digits, as the reader of the roster
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10]
    text = str(value).strip()
    return text or None


def _load_xlsx(con, path: Path, dataset: Dataset) -> list[BadRow]:
    import pyarrow as pa
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged workbook; its text goes to the log
        logger.warning("department workbook %s unreadable: %r", path.name, error)
        raise ValidationError(_("The file is not an Excel workbook (.xlsx), whatever its name says."), field="file",
                              code="wrong_file_kind")
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        try:
            header = list(next(rows))
        except StopIteration:
            raise ValidationError(_("The workbook's first sheet is empty."), field="file", code="empty_file")
        names = _check_header(dataset, header)
        width = len(names)
        id_columns = [i for i, n in enumerate(names) if n in dataset.column_names and dataset.column(n).type == ID_NUMBER]
        values: list[list] = [[] for _ in range(width)]
        numbers = []
        bad: list[BadRow] = []
        for number, row in enumerate(rows, start=2):
            cells = [_cell_text(v) for v in row[:width]]
            if not any(cells):
                continue
            extra = [v for v in row[width:] if _cell_text(v)]
            if extra:
                raise ValidationError(_("Row %(row)d has values beyond the last header column.") % {"row": number},
                                      field="file", code="wrong_columns")
            for i in id_columns:
                if i < len(row) and isinstance(row[i], (int, float)):
                    try:
                        normalise_id_number(row[i], field=names[i])   # a number cell keeps 15 digits whole, no more
                    except ValidationError:
                        bad.append(BadRow(number, names[i], _REASONS["id_number_cell"](None), str(row[i])))
            numbers.append(number)
            for i in range(width):
                values[i].append(cells[i] if i < len(cells) else None)
    except ValidationError:
        raise
    except Exception as error:  # a damaged sheet part: openpyxl's text goes to the log
        logger.warning("department workbook %s unreadable: %r", path.name, error)
        raise ValidationError(_("The file is not an Excel workbook (.xlsx), whatever its name says."), field="file",
                              code="wrong_file_kind")
    finally:
        workbook.close()
    if bad:
        return bad
    table = pa.table({**{n: pa.array(v, pa.string()) for n, v in zip(names, values)}, "__row": pa.array(numbers, pa.int64())})
    con.register("xlsx_rows", table)
    con.execute("CREATE TABLE raw AS SELECT * FROM xlsx_rows")
    con.unregister("xlsx_rows")
    return []


def _load_parquet(con, path: Path, dataset: Dataset) -> list[BadRow]:
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as error:
        logger.warning("department Parquet %s unreadable: %s", path.name, error)
        raise ValidationError(_("The file cannot be read as Parquet: it is damaged or not a Parquet file."),
                              field="file", code="unreadable_file")
    header = [row[0] for row in described]
    types = {row[0]: row[1] for row in described}
    names = _check_header(dataset, header)
    selects = []
    for original, name in zip(header, names):
        kind = types[original].upper()
        expression = _q(original)
        if kind.startswith("TIMESTAMP"):
            expression = f"CAST({expression} AS DATE)"
        selects.append(f"CAST({expression} AS VARCHAR) AS {_q(name)}")
    try:
        con.execute(f"CREATE TABLE raw AS SELECT {', '.join(selects)}, file_row_number + 1 AS __row "
                    f"FROM read_parquet(?, file_row_number = true)", [str(path)])
    except duckdb.Error as error:
        logger.warning("department Parquet %s unreadable: %s", path.name, error)
        raise ValidationError(_("The file cannot be read as Parquet: it is damaged or not a Parquet file."),
                              field="file", code="unreadable_file")
    return []


# --------------------------------------------------------------------------------------------
# The checks, as SQL over the whole table
# --------------------------------------------------------------------------------------------

# What an ID number may hold before it is checked: full-width digits and X typed on a Chinese input
# method, spaces and zero-width characters (as core.idnumbers.normalise_id_number, in SQL).
_ID_FROM, _ID_TO = "０１２３４５６７８９Ｘｘ" + " \u3000\u00a0" + ZERO_WIDTH, "0123456789XX"
_SCIENTIFIC_SQL = "'-?([0-9]+([.][0-9]*)?|[.][0-9]+)E[+-]?[0-9]+'"
_DECIMALS_SQL = "'-?[0-9]+([.][0-9]{1,2}0*)?'"     # two decimals at most (12.340 is 12.34: nothing rounded)


def _money_text(value: str) -> str:
    return f"trim(replace(replace(replace({value}, '¥', ''), '￥', ''), '元', ''))"


def _ungrouped(value: str, separator: str, decimals: str) -> str:
    """`value` with a declared thousands separator taken out, only where it groups digits by three."""
    if not separator:
        return value
    sep = "[" + separator.replace("'", "''") + "]"
    grouped = f"'-?[0-9]{{1,3}}({sep}[0-9]{{3}})+({decimals})?'"
    return f"CASE WHEN regexp_full_match({value}, {grouped}) THEN replace({value}, '{separator}', '') ELSE {value} END"


def _typed(column, value: str, dataset: Dataset) -> str:
    """SQL turning the trimmed text `value` into the column's type (NULL when it does not fit).

    Money is never rounded or guessed: more than two decimals, a thousands separator the dataset
    did not declare, or an exponent leave it NULL, and `_money_problem` names the reason."""
    if column.type == ID_NUMBER:
        return f"upper(translate({value}, '{_ID_FROM}', '{_ID_TO}'))"
    if column.type == DATE:
        return f"TRY_CAST(replace({value}, '.', '-') AS DATE)"
    if column.type == MONTH:
        v = f"replace(replace({value}, '/', '-'), '.', '-')"
        return (f"CAST(date_trunc('month', CASE WHEN regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{1,2}}') "
                f"THEN TRY_CAST({v} || '-01' AS DATE) ELSE TRY_CAST({v} AS DATE) END) AS DATE)")
    if column.type == MONEY:
        text = _ungrouped(_money_text(value), dataset.thousands_separator, "[.][0-9]{1,2}0*")
        return f"CASE WHEN regexp_full_match({text}, {_DECIMALS_SQL}) THEN TRY_CAST({text} AS DECIMAL(14, 2)) END"
    if column.type == NUMBER:
        return f"TRY_CAST({_ungrouped(value, dataset.thousands_separator, '[.][0-9]+')} AS DOUBLE)"
    if column.type == CHOICE:
        return f"lower({value})"
    return value


def _money_problem(value: str) -> str:
    """SQL naming why the money text `value` (not NULL, not typed) was refused: a reason code."""
    text = _money_text(value)
    return (f"CASE WHEN regexp_full_match(upper({text}), {_SCIENTIFIC_SQL}) THEN 'money_exponent' "
            f"WHEN regexp_full_match({text}, '-?[0-9]+[.][0-9]{{3,}}') THEN 'money_decimals' "
            f"WHEN regexp_full_match(regexp_replace({text}, '[,，'' ]', '', 'g'), '-?[0-9]+([.][0-9]+)?') THEN 'money_separator' "
            f"ELSE 'type' END")


def _check_digit_sql(id_sql: str) -> str:
    total = " + ".join(f"TRY_CAST(substr({id_sql}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(ID_WEIGHTS))
    return f"substr('10X98765432', (({total}) % 11) + 1, 1)"


def _identity_kind_sql(id_sql: str) -> str:
    return (f"CASE WHEN {id_sql} IS NULL THEN '{ID_MISSING}' WHEN length({id_sql}) = 15 THEN '{ID_LEGACY}' "
            f"WHEN {_check_digit_sql(id_sql)} = substr({id_sql}, 18, 1) THEN '{ID_EXACT}' ELSE '{ID_BAD_CHECK}' END")


_REASONS = {
    "required": lambda c: _("A value is required."),
    "type": lambda c: _("Not %(type)s.") % {"type": _type_label(c)},
    "id_format": lambda c: _("Not an ID number: 18 characters (17 digits and a digit or X) or 15 digits."),
    "id_number_cell": lambda c: _("The ID number was kept as a number (the cell is a number): Excel keeps only 15 digits, "
                                  "so its last digits are lost. Format the column as text and export the file again."),
    "money_exponent": lambda c: _("Written with an exponent: write the amount in full, e.g. 1000.00."),
    "money_decimals": lambda c: _("More than two decimals: amounts are in yuan to the fen, and nothing is rounded."),
    "money_separator": lambda c: _("A thousands separator or a decimal comma: write the amount with digits and a decimal "
                                   "point only, e.g. 12345.67."),
    "choice": lambda c: _("Not one of: %(choices)s.") % {"choices": ", ".join(c.choices)},
    "negative": lambda c: _("Cannot be negative."),
    "future": lambda c: _("This date is in the future."),
    "too_long": lambda c: _("Longer than %(n)d characters.") % {"n": c.max_length},
    "identity": lambda c: _("No ID number: give the ID number, or else the name and the birth date."),
}


def _type_label(column) -> str:
    return str(TYPE_LABELS.get(column.type, column.type))


def _identity_key_sql() -> str:
    return "coalesce(id_number, 'name:' || coalesce(name, '') || '|' || coalesce(CAST(birth_date AS VARCHAR), ''))"


def _check_rows(con, dataset: Dataset, today: dt.date) -> list[BadRow]:
    """Every bad row of table `raw` (a view `clean` of trimmed text is created on the way)."""
    present = {r[0] for r in con.execute("DESCRIBE raw").fetchall()}
    selects = ["__row"]
    for c in dataset.columns:
        selects.append(f"NULLIF(trim({_q(c.name)}), '') AS {_q(c.name)}" if c.name in present else f"CAST(NULL AS VARCHAR) AS {_q(c.name)}")
    con.execute(f"CREATE VIEW clean AS SELECT {', '.join(selects)} FROM raw")
    typed = ", ".join(["__row"] + [f"{_typed(c, _q(c.name), dataset)} AS {_q(c.name)}" for c in dataset.columns])
    con.execute(f"CREATE TABLE typed AS SELECT {typed} FROM clean")

    checks = []
    today_sql = f"DATE '{today.isoformat()}'"
    for c in dataset.columns:
        raw_col, typed_col = f"r.{_q(c.name)}", f"t.{_q(c.name)}"
        name = c.name.replace("'", "''")
        if c.required:
            checks.append(f"SELECT r.__row, '{name}', 'required', NULL FROM clean r WHERE {raw_col} IS NULL")
        if c.type in (DATE, MONTH, MONEY, NUMBER):
            problem = _money_problem(raw_col) if c.type == MONEY else "'type'"
            checks.append(f"SELECT r.__row, '{name}', {problem}, {raw_col} FROM clean r JOIN typed t USING (__row) "
                          f"WHERE {raw_col} IS NOT NULL AND {typed_col} IS NULL")
        if c.type == ID_NUMBER:
            checks.append(f"SELECT t.__row, '{name}', CASE WHEN regexp_full_match({typed_col}, {_SCIENTIFIC_SQL}) "
                          f"THEN 'id_number_cell' ELSE 'id_format' END, {typed_col} FROM typed t WHERE {typed_col} IS NOT NULL "
                          f"AND NOT regexp_full_match({typed_col}, '[0-9]{{17}}[0-9X]|[0-9]{{15}}')")
        if c.type == CHOICE:
            allowed = ", ".join("'" + v + "'" for v in c.choices)
            checks.append(f"SELECT t.__row, '{name}', 'choice', {typed_col} FROM typed t WHERE {typed_col} IS NOT NULL "
                          f"AND {typed_col} NOT IN ({allowed})")
        if c.type in (MONEY, NUMBER):
            checks.append(f"SELECT t.__row, '{name}', 'negative', CAST({typed_col} AS VARCHAR) FROM typed t WHERE {typed_col} < 0")
        if c.type in (DATE, MONTH) and c.past:
            checks.append(f"SELECT t.__row, '{name}', 'future', CAST({typed_col} AS VARCHAR) FROM typed t "
                          f"WHERE {typed_col} > {today_sql}")
        if c.type in (STRING, CHOICE):
            checks.append(f"SELECT r.__row, '{name}', 'too_long', left({raw_col}, 60) FROM clean r "
                          f"WHERE length({raw_col}) > {c.max_length}")
    if dataset.person:
        checks.append("SELECT t.__row, 'id_number', 'identity', NULL FROM typed t "
                      "WHERE t.id_number IS NULL AND (t.name IS NULL OR t.birth_date IS NULL)")
    sql = " UNION ALL ".join(checks) + " ORDER BY 1, 2"
    problems = con.execute(sql).fetchall()
    columns = {c.name: c for c in dataset.columns}
    bad = [BadRow(int(row), column, _REASONS[code](columns[column]), "" if value is None else str(value))
           for row, column, code, value in problems]

    key = [(_identity_key_sql() if k == IDENTITY else _q(k)) for k in dataset.key]
    key_sql = ", ".join(key)
    duplicates = con.execute(
        f"""SELECT __row, first_row FROM (
                SELECT __row, min(__row) OVER (PARTITION BY {key_sql}) AS first_row,
                       count(*) OVER (PARTITION BY {key_sql}) AS n FROM typed)
            WHERE n > 1 AND __row <> first_row ORDER BY __row""").fetchall()
    key_label = ", ".join(k if k != IDENTITY else "id_number" for k in dataset.key)
    for row, first in duplicates:
        bad.append(BadRow(int(row), key_label, _("Duplicate key (%(key)s): the same as row %(first)d.") % {"key": key_label, "first": first}))
    bad.sort(key=lambda b: (b.row, b.column))
    return bad


# --------------------------------------------------------------------------------------------
# Writing the snapshot
# --------------------------------------------------------------------------------------------

def _write_snapshot(con, dataset: Dataset, parquet: Path, index: Path) -> tuple[int, dict]:
    columns = ", ".join(_q(c.name) for c in dataset.columns)
    id_kind = _identity_kind_sql("id_number") if dataset.person else f"'{ID_MISSING}'"
    order = "id_number NULLS LAST, " + ", ".join(_q(k) for k in dataset.key if k != IDENTITY) if dataset.person else "1"
    order = order.rstrip(", ")
    con.execute(f"COPY (SELECT {columns}, {id_kind} AS id_kind FROM typed ORDER BY {order}) TO '{parquet}' "
                f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
    counts = dict(con.execute(f"SELECT id_kind, count(*) FROM read_parquet('{parquet}') GROUP BY 1").fetchall())
    row_count = sum(counts.values())
    build_index(parquet, index)
    return row_count, {k: int(counts.get(k, 0)) for k in (ID_EXACT, ID_LEGACY, ID_BAD_CHECK, ID_MISSING)}


def build_index(parquet: Path, index: Path) -> None:
    """The snapshot's rows in a DuckDB file with an ART index on `id_number` (online lookups); a
    dataset without persons (a disaster list of addresses) has no ID number to index."""
    storage.remove(index)
    con = storage.connect(str(index))
    try:
        con.execute(f"CREATE TABLE records AS SELECT * FROM read_parquet('{parquet}')")
        if "id_number" in {row[0] for row in con.execute("DESCRIBE records").fetchall()}:
            con.execute("CREATE INDEX records_id_number ON records (id_number)")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def check_snapshot_file(path: Path, *, filename: str, dataset: Dataset, content_hash: str,
                        today: dt.date) -> Checked:
    """Check the uploaded file at `path`; stage the snapshot when every row is good.

    Raises ValidationError for what spoils the whole file (wrong kind, wrong columns, unreadable);
    returns the bad rows otherwise (empty, and `staged` set, when the file is good)."""
    kind = check_file_kind(path, filename)
    con = storage.connect()
    try:
        loader = {CSV: _load_csv, XLSX: _load_xlsx, PARQUET: _load_parquet}[kind]
        bad = loader(con, path, dataset)
        if bad:
            return Checked(content_hash=content_hash, bad_rows=bad)
        rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        if rows == 0:
            raise ValidationError(_("The file has a header but no rows."), field="file", code="empty_file")
        bad = _check_rows(con, dataset, today)
        if bad:
            return Checked(content_hash=content_hash, bad_rows=bad, row_count=rows)
        parquet, index = storage.new_tmp_path(".parquet"), storage.new_tmp_path(".duckdb")
        try:
            row_count, identities = _write_snapshot(con, dataset, parquet, index)
        except BaseException:
            storage.remove(parquet)
            storage.remove(index)
            raise
        return Checked(content_hash=content_hash, row_count=row_count,
                       staged=Staged(dataset, content_hash, row_count, parquet, index, identities))
    finally:
        con.close()
