"""Writes to the network: importing official division codes, adding groups and grids, renaming.

Area codes are primary keys and are never changed or deleted here, so whatever refers to an
area (households, people, posts) keeps referring to it through a rename (DESIGN.md §4).
"""
from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.core import refcache
from safetynet.core.audit import record_event
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor
from safetynet.core.statements import cursor as statement_cursor
from safetynet.core.statements import db_value, insert_many
from safetynet.core.tabular import RowError, TableStream, open_table

from .models import CODE_LENGTHS, LEVEL_BY_LENGTH, Area, Level, UrbanRuralClass

DIVISION_ALIASES = {
    "代码": "code", "区划代码": "code", "统计用区划代码": "code", "行政区划代码": "code", "编码": "code",
    "名称": "name", "区划名称": "name", "单位名称": "name", "行政区划名称": "name",
    "城乡分类代码": "urban_rural_class", "城乡分类": "urban_rural_class", "城乡属性": "urban_rural_class",
    "class": "urban_rural_class", "urban-rural_class": "urban_rural_class",
    "级别": "level", "层级": "level",
    # The statistics bureau's list as packaged (README of /data/divisions): each row names its
    # ancestors, the nearest of which is its parent.
    "provincecode": "province_code", "citycode": "city_code", "areacode": "county_code", "streetcode": "town_code",
    "parent": "parent_code", "parentcode": "parent_code", "上级代码": "parent_code", "上级区划代码": "parent_code",
}
# The ancestor columns a row may carry, nearest first: the nearest one given is its parent.
ANCESTOR_COLUMNS = ("parent_code", "town_code", "county_code", "city_code", "province_code")
# What a `level` column may say, in English or Chinese, mapped to our levels.
LEVEL_ALIASES = {
    **{level.value: level.value for level in Level},
    "省": Level.PROVINCE, "省级": Level.PROVINCE,
    "市": Level.CITY, "地级": Level.CITY, "市级": Level.CITY,
    "县": Level.COUNTY, "区": Level.COUNTY, "县级": Level.COUNTY,
    "乡": Level.TOWN, "镇": Level.TOWN, "街道": Level.TOWN, "乡级": Level.TOWN, "乡镇": Level.TOWN, "乡镇街道": Level.TOWN,
    "村": Level.VILLAGE, "社区": Level.VILLAGE, "村级": Level.VILLAGE, "村居": Level.VILLAGE, "村社区": Level.VILLAGE,
    "组": Level.GROUP, "村民小组": Level.GROUP, "网格": Level.GRID,
}
VALID_CLASSES = set(UrbanRuralClass.values)
# Sub-tree levels SafetyNet assigns itself (DESIGN.md §4): the official list stops at villages.
LOCAL_LEVELS = {Level.GROUP: Level.VILLAGE, Level.GRID: Level.GROUP}
# Keep IN lists under SQLite's bound-parameter limit when a whole province is imported.
_IN_BATCH = 900
# Rows read, checked and written at a time: memory stays flat whatever the size of the list.
CHUNK_ROWS = 5000
# A bulk load this large refreshes the planner's statistics of the table (PostgreSQL).
ANALYZE_AFTER = 50_000
# The package's files, parents first (a folder is read in this order, then any other list).
PACKAGE_FILES = ("provinces", "cities", "areas", "streets", "villages")
DIVISION_SUFFIXES = (".csv", ".xlsx")


@dataclass
class DivisionRowError(RowError):
    """A refused row: its file as well, since one import reads several."""

    file: str = ""

    def as_dict(self) -> dict:
        return {"file": self.file, **super().as_dict()}


@dataclass
class DivisionImportResult:
    added: int = 0
    renamed: int = 0
    reclassified: int = 0
    unchanged: int = 0
    without_class: int = 0   # villages this import leaves with no urban-rural class ("class unknown")
    errors: list[RowError] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    renames: dict[str, tuple[str, str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    cities_as_counties: list[str] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.added + self.renamed + self.reclassified + self.unchanged

    def counts(self) -> dict[str, int]:
        return {"added": self.added, "renamed": self.renamed, "reclassified": self.reclassified,
                "unchanged": self.unchanged, "without_class": self.without_class, "errors": len(self.errors)}


def _plain_code(raw: str) -> str:
    """Full-width digits made ASCII, spaces and an Excel text marker (a leading apostrophe) dropped."""
    if raw.isdigit() and raw.isascii():
        return raw   # the usual case, a million times in a national list
    return unicodedata.normalize("NFKC", raw or "").strip().lstrip("'").strip()


def normalise_code(raw: str) -> str:
    """Official lists pad every code to 12 digits (130123000000 is the county 130123);
    strip the padding back to the level's own length. Full-width digits become ASCII and an
    Excel text marker (a leading apostrophe) is dropped."""
    code = _plain_code(raw)
    if len(code) == 12 and code.endswith("000") and code.isascii() and code.isdigit():
        for length in (2, 4, 6, 9):
            if code[length:] == "0" * (12 - length) and code[:length] != "0" * length:
                # the shortest prefix followed only by zeros is the real code
                return code[:length]
    return code


def _row_code(raw: str, said_level: str, said_parent: str) -> str:
    """The row's code: de-padded (`normalise_code`) unless the row itself says the padding is
    its own number: a stated parent that the 12 digits lie under (Kinmen's placeholder village
    350527000000 under the town 350527000), or a stated level of that length."""
    plain = _plain_code(raw)
    code = normalise_code(plain)
    if code != plain:
        if said_parent and len(said_parent) >= len(code) and plain.startswith(said_parent):
            return plain
        if said_level and LEVEL_ALIASES.get(said_level.lower()) == level_for_code(plain):
            return plain
    return code


def _stated_parent(values: dict) -> str:
    """The nearest ancestor a row names, or ""."""
    return next((normalise_code(values[c]) for c in ANCESTOR_COLUMNS if values.get(c)), "")


def level_for_code(code: str) -> str | None:
    return LEVEL_BY_LENGTH.get(len(code)) if code.isascii() and code.isdigit() else None


# For each length of code, the length of its parent's (a code of another length: the longest shorter level).
_PARENT_LENGTH = {n: max([m for m in CODE_LENGTHS.values() if m < n], default=0) for n in range(1, 40)}


def parent_code(code: str) -> str | None:
    cut = _PARENT_LENGTH.get(len(code), 0)
    return code[:cut] if cut else None


def _zero_segment(code: str) -> bool:
    """A level's own digits all zero (town 000, village 000) is padding, not a code (POLICY.md §8),
    unless the row names its parent (Kinmen's 350527000), or it is the county-level row of a city
    without counties (441900: ADR 0006)."""
    parent = parent_code(code) or ""
    return set(code[len(parent):]) == {"0"}


def _check_row(code: str, name: str, klass: str, level_column: str, *, parent_stated: bool = False) -> tuple[str, str] | None:
    """(field, reason) for a bad row, or None. A village without a class is accepted: its class
    stays unknown (blank) until set, and no standard applies to it meanwhile (ADR 0006)."""
    if not code:
        return "code", _("The code is empty.")
    if not (code.isascii() and code.isdigit()):
        return "code", _("The code %(code)s has characters other than digits.") % {"code": code}
    level = level_for_code(code)
    if level is None:
        return "code", _("The code %(code)s has %(n)d digits; a division code has 2, 4, 6, 9 or 12 (15 and 18 for groups and grids).") % {"code": code, "n": len(code)}
    if _zero_segment(code) and level != Level.COUNTY and not (parent_stated and level in (Level.TOWN, Level.VILLAGE)):
        return "code", _("The code %(code)s ends in a block of zeros where its own number should be.") % {"code": code}
    if level_column:
        said = LEVEL_ALIASES.get(level_column.strip().lower())
        if said != level:
            return "level", _("The code %(code)s is a %(actual)s code, but the row says %(said)s.") % {
                "code": code, "actual": Level(level).label, "said": level_column}
    if not name:
        return "name", _("The name is empty.")
    if len(name) > 100:
        return "name", _("The name is longer than 100 characters.")
    if klass and klass not in VALID_CLASSES:
        return "urban_rural_class", _("%(c)s is not an urban-rural class (111, 112, 121, 122, 123, 210 or 220).") % {"c": klass}
    if klass and level != Level.VILLAGE:
        return "urban_rural_class", _("Only villages and neighborhoods carry an urban-rural class; %(code)s is a %(level)s.") % {"code": code, "level": Level(level).label}
    return None


def _check_ancestors(code: str, stated: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(field, reason) when the ancestors a row names ((column, code), nearest first) disagree
    with its code, or None."""
    for column, ancestor in stated:
        if not code.startswith(ancestor) or len(ancestor) >= len(code):
            return column, _("The row says %(code)s lies under %(parent)s, but its code does not.") % {"code": code, "parent": ancestor}
    nearest = stated[0][1]
    if nearest != parent_code(code):
        return "code", _("The row says %(code)s lies directly under %(parent)s, but its code lies under %(own)s.") % {
            "code": code, "parent": nearest, "own": parent_code(code)}
    return None


def _existing_areas(codes) -> dict[str, Area]:
    codes = list(codes)
    found: dict[str, Area] = {}
    for start in range(0, len(codes), _IN_BATCH):
        found.update((a.code, a) for a in Area.objects.filter(code__in=codes[start:start + _IN_BATCH]))
    return found


def _existing_codes(codes) -> set[str]:
    codes = list(codes)
    found: set[str] = set()
    for start in range(0, len(codes), _IN_BATCH):
        found.update(Area.objects.filter(code__in=codes[start:start + _IN_BATCH]).values_list("code", flat=True))
    return found


def division_files(folder) -> list[Path]:
    """The lists in a folder (.csv and .xlsx), the package's five files first in their order
    (provinces, cities, areas, streets, villages), then any other by name."""
    folder = Path(folder)
    found = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in DIVISION_SUFFIXES]
    rank = {stem: i for i, stem in enumerate(PACKAGE_FILES)}
    return sorted(found, key=lambda p: (rank.get(p.stem.lower(), len(PACKAGE_FILES)), p.name))


@dataclass
class _Row:
    ref: int          # (file index + 1) * _FILE_STEP + row number: where the row was read
    code: str
    name: str
    klass: str
    values: dict


_FILE_STEP = 10 ** 9


def _open_lists(sources) -> list[tuple[str, TableStream, list]]:
    """Each list opened (every header checked before any row is written), in the order of its
    first code's level, parents first, whatever order the files came in (a browser sends a
    multiple upload in its own order); lists of the same level keep theirs."""
    opened = []
    for index, (filename, source) in enumerate(sources):
        try:
            stream = open_table(source, filename=filename, required=["code", "name"], aliases=DIVISION_ALIASES)
        except ValidationError as exc:
            if len(sources) > 1:
                exc.message = _("%(file)s: %(reason)s") % {"file": filename, "reason": exc.message}
            raise
        first = next(stream.rows, None)
        head = [first] if first else []
        depth = len(_row_code(first[1].get("code", ""), first[1].get("level", ""), _stated_parent(first[1]))) if first else 0
        opened.append((depth, index, filename, stream, head))
    opened.sort(key=lambda item: (item[0], item[1]))
    return [(filename, stream, head) for _depth, _index, filename, stream, head in opened]


class _DivisionImport:
    """The state of one import, kept small: for each code read, one int saying where it was read
    and (by its sign) whether it was taken, so a national list's parents and duplicates are
    checked without holding its rows."""

    def __init__(self, *, actor: Actor, result: DivisionImportResult, files: list[str]):
        self.actor = actor
        self.result = result
        self.files = files
        self.seen: dict[str, int] = {}        # code -> +ref taken (added or known), -ref refused or waiting
        self.in_network: set[str] = set()     # parents found already in the network
        self.waiting: dict[str, _Row] = {}    # rows whose parent has not come yet
        self.city_names: dict[str, str] = {}  # names of the cities taken, for a city acting as a county
        self.now = timezone.now()
        self.now_db = db_value(Area._meta.get_field("updated_at"), self.now)
        # An empty network (a first import) has nothing to compare with: no reads at all.
        self.network_empty = not Area.objects.exists()
        quote = connection.ops.quote_name
        self.range_sql = (f"SELECT {quote('code')}, {quote('name')}, {quote('urban_rural_class')} FROM {quote(Area._meta.db_table)} "
                          f"WHERE {quote('code')} >= %s AND {quote('code')} <= %s LIMIT %s")

    # --- where a row was read ---------------------------------------------------------------
    def where(self, ref: int) -> tuple[str, int]:
        ref = abs(ref)
        return self.files[ref // _FILE_STEP - 1], ref % _FILE_STEP

    def refuse(self, row_ref: int, field_name: str, message: str, values: dict) -> None:
        filename, number = self.where(row_ref)
        self.result.errors.append(DivisionRowError(number, field_name, message, {"file": filename, **values}, file=filename))

    def named_row(self, ref: int) -> str:
        filename, number = self.where(ref)
        if len(self.files) == 1:
            return _("row %(row)d") % {"row": number}
        return _("row %(row)d of %(file)s") % {"row": number, "file": filename}

    # --- reading ----------------------------------------------------------------------------
    def check(self, file_index: int, number: int, values: dict, ancestor_columns: tuple[str, ...]) -> _Row | None:
        """The row checked on its own (code, name, class, level, stated ancestors, duplicate,
        scope), or None when refused. `ancestor_columns`: those of ANCESTOR_COLUMNS the file has."""
        ref = (file_index + 1) * _FILE_STEP + number
        ancestors = [(c, normalise_code(values[c])) for c in ancestor_columns if values[c]]
        stated = ancestors[0][1] if ancestors else ""
        level_said = values.get("level", "").strip()
        code = _row_code(values.get("code", ""), level_said, stated)
        name = values.get("name", "").strip()
        klass = normalise_code(values.get("urban_rural_class", ""))
        problem = _check_row(code, name, klass, level_said, parent_stated=bool(stated))
        if problem is None and stated:
            problem = _check_ancestors(code, ancestors)
        first = self.seen.get(code)
        if problem is None and first is not None:
            problem = ("code", _("The code %(code)s appears again (first on %(where)s).") % {"code": code, "where": self.named_row(first)})
        if code and first is None:
            self.seen[code] = -ref
        if problem is None and not self.actor.covers(code) and not self.actor.area_code.startswith(code):
            problem = ("code", _("The code %(code)s is outside your area.") % {"code": code})
        if problem:
            self.refuse(ref, problem[0], problem[1], values)
            return None
        return _Row(ref, code, name, klass, values)

    # --- deciding and writing ---------------------------------------------------------------
    def take(self, rows: list[_Row], *, last: bool = False) -> None:
        """Decide a chunk of checked rows against the network and write it: new rows inserted
        in one statement, changed ones updated in one; a row whose parent has not come yet waits
        (to the end of the import, `last`, when it is refused)."""
        existing = self.existing([r.code for r in rows])
        self.find_parents({parent_code(r.code) for r in rows if r.code not in existing} - {None})
        new, changed = [], []
        for row in sorted(rows, key=lambda r: (len(r.code), r.code)):
            self.waiting.pop(row.code, None)
            if row.code in existing:
                self.keep(row, existing[row.code], changed)
                continue
            if not self.actor.covers(row.code):
                self.refuse(row.ref, "code", _("The code %(code)s is outside your area.") % {"code": row.code}, row.values)
                continue
            parent = parent_code(row.code)
            if parent and not self.parent_taken(parent, new):
                if parent in self.waiting and not last:
                    self.waiting[row.code] = row
                elif self.seen.get(parent, 0) < 0 and parent not in self.waiting:
                    self.refuse(row.ref, "code", _("The parent %(parent)s of %(code)s is on %(where)s, which has an error.") % {
                        "parent": parent, "code": row.code, "where": self.named_row(self.seen[parent])}, row.values)
                elif not last:
                    self.waiting[row.code] = row
                else:
                    self.refuse(row.ref, "code", _("The parent %(parent)s of %(code)s is neither in the file nor in the network.") % {
                        "parent": parent, "code": row.code}, row.values)
                continue
            new.append((row.code, row.name, level_for_code(row.code), parent, row.klass, True, self.now_db))
            self.accept(row)
            self.result.added += 1
        insert_many(Area._meta.db_table, ["code", "name", "level", "parent_id", "urban_rural_class", "is_active", "updated_at"], new)
        if changed:
            with statement_cursor() as cursor:
                quote = connection.ops.quote_name
                cursor.executemany(
                    f"UPDATE {quote(Area._meta.db_table)} SET {quote('name')} = %s, {quote('urban_rural_class')} = %s, "
                    f"{quote('updated_at')} = %s WHERE {quote('code')} = %s", changed)

    def accept(self, row: _Row, klass: str | None = None) -> None:
        self.seen[row.code] = abs(row.ref)
        if len(row.code) <= CODE_LENGTHS[Level.CITY]:
            self.city_names[row.code] = row.name
        if len(row.code) == CODE_LENGTHS[Level.VILLAGE] and not (row.klass if klass is None else klass):
            self.result.without_class += 1

    def keep(self, row: _Row, before: tuple[str, str], changed: list) -> None:
        """A code already in the network: renamed or reclassified in place, or unchanged. An
        ancestor above the actor's own area is context: read-only for them. A row without a
        class never clears one that was set."""
        old_name, old_class = before
        self.accept(row, row.klass or old_class)
        if not self.actor.covers(row.code):
            self.result.unchanged += 1
            return
        renamed = old_name != row.name
        reclassified = bool(row.klass) and old_class != row.klass
        if renamed:
            self.result.renames[row.code] = (old_name, row.name)
            self.result.renamed += 1
        elif reclassified:
            self.result.reclassified += 1
        if renamed or reclassified:
            changed.append((row.name, row.klass or old_class, self.now_db, row.code))
        else:
            self.result.unchanged += 1

    def parent_taken(self, parent: str, new: list) -> bool:
        """Whether the parent is in the network or taken by this import; a missing county-level
        parent of a town under a city without counties (441900 under 4419) is the city acting as
        its county, added under the city's name (ADR 0006)."""
        if self.seen.get(parent, 0) > 0 or parent in self.in_network:
            return True
        city = parent[:CODE_LENGTHS[Level.CITY]]
        if (len(parent) == CODE_LENGTHS[Level.COUNTY] and parent.endswith("00") and parent not in self.seen
                and self.actor.covers(parent) and (self.seen.get(city, 0) > 0 or city in self.in_network)):
            name = self.city_names.get(city) or Area.objects.filter(code=city).values_list("name", flat=True).first()
            if name:
                new.append((parent, name, Level.COUNTY.value, city, "", True, self.now_db))
                self.in_network.add(parent)
                self.result.added += 1
                self.result.cities_as_counties.append(parent)
                return True
        return False

    def existing(self, codes: list[str]) -> dict[str, tuple[str, str]]:
        """(name, class) of the codes already in the network. A list comes in code order, so a
        chunk's codes are one short range of the primary key: read as a range (a few rows more
        than asked, such as the towns between villages), or by lists of codes when the range
        turns out wide (an unordered file)."""
        if not codes or self.network_empty:
            return {}
        wanted = set(codes)
        limit = 2 * len(codes) + 1000
        with statement_cursor() as cursor:
            cursor.execute(self.range_sql, [min(codes), max(codes), limit])
            rows = cursor.fetchall()
        if len(rows) < limit:
            return {code: (name, klass) for code, name, klass in rows if code in wanted}
        found = {}
        for start in range(0, len(codes), _IN_BATCH):
            found.update((code, (name, klass)) for code, name, klass in Area.objects.filter(
                code__in=codes[start:start + _IN_BATCH]).values_list("code", "name", "urban_rural_class").order_by())
        return found

    def find_parents(self, parents: set[str]) -> None:
        unknown = [p for p in parents if self.seen.get(p, 0) <= 0 and p not in self.in_network]
        if unknown and not self.network_empty:
            self.in_network.update(_existing_codes(unknown))


def import_divisions(*, actor: Actor, source=None, filename: str = "", sources=None,
                     progress: Callable[[int, int], None] | None = None) -> DivisionImportResult:
    """Add and rename areas from official division-code lists; never delete or re-key, so
    whatever refers to an area keeps referring to it. Every bad row is reported with its file
    and row number (as Excel shows it) and left out; the good rows go in together or not at all.
    A re-import changes nothing (all counted unchanged).

    `sources` is a list of (filename, path or binary file): the package's five files, or any
    lists, in any order (each is read in the order of its first code's level). The statistics
    bureau's layout (code, name and its ancestors' codes) and SafetyNet's (code, name, class,
    optional level) are both read; villages without a class are taken with the class unknown.
    Rows are read, checked and written a chunk at a time (memory stays flat); `progress(done,
    total)` is called after each chunk.

    Rows for the actor's own ancestors (its province and city) are accepted as context and
    counted unchanged, so a county officer can import the national list's slice as published;
    anything else outside the actor's area is a bad row."""
    actor.require("areas.import")
    if sources is None:
        sources = [(filename, source)]
    with transaction.atomic():
        lists = _open_lists(list(sources))
        files = [name for name, _stream, _head in lists]
        result = DivisionImportResult(files=files, columns=["file"])
        for _name, stream, _head in lists:
            result.columns += [c for c in stream.columns if c not in result.columns]
        work = _DivisionImport(actor=actor, result=result, files=files)
        total = sum(stream.total or 0 for _name, stream, _head in lists)
        done = 0
        for file_index, (_name, stream, head) in enumerate(lists):
            chunk: list[_Row] = []
            ancestor_columns = tuple(c for c in ANCESTOR_COLUMNS if c in stream.columns)
            for number, values in itertools.chain(head, stream.rows):
                done += 1
                row = work.check(file_index, number, values, ancestor_columns)
                if row is not None:
                    chunk.append(row)
                if len(chunk) >= CHUNK_ROWS:
                    work.take(chunk)
                    chunk = []
                    if progress is not None:
                        progress(done, max(total, done))
            work.take(chunk)
        if work.waiting:
            work.take(list(work.waiting.values()), last=True)
        if progress is not None:
            progress(done, done)
        if result.added or result.renamed or result.reclassified:
            refcache.bump(refcache.AREAS)
        if result.added >= ANALYZE_AFTER and connection.vendor == "postgresql":
            # Statistics now, not when autovacuum comes by: without them PostgreSQL pages the
            # new villages with a bitmap scan and a sort (365 ms at offset 10,000, against 2 ms).
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(Area._meta.db_table)}")
        result.errors.sort(key=lambda e: (files.index(e.file), e.row))
        record_event(actor=actor, action="areas.import", object_type="areas.area", object_id=", ".join(files)[:64], after={
            **result.counts(), "files": files, "cities_as_counties": result.cities_as_counties,
            "renames": {code: {"before": old, "after": new} for code, (old, new) in result.renames.items()},
        })
    return result


@transaction.atomic
def create_area(*, actor: Actor, name: str, code: str = "", parent: str = "", urban_rural_class: str = "") -> Area:
    """Add a group under a village or a grid under a group (3 more digits each, DESIGN.md §4).

    Official levels (province to village) come only from the division list (`import_divisions`),
    so a hand-made village cannot drift from the statistics bureau's codes. Give `code`, or only
    `parent` to take the next free 3-digit number under it."""
    actor.require("areas.edit")
    code = normalise_code(code or "")
    parent = normalise_code(parent or "")
    name = (name or "").strip()
    if not code:
        if not parent:
            raise ValidationError(_("Choose the area to add under."), field="parent")
        parent_area = _lock_area(actor, parent, field="parent")
        _check_local_child(parent_area)
        code = next_child_code(parent_area)
    else:
        if parent and parent_code(code) != parent:
            raise ValidationError(_("The code %(code)s does not lie under %(parent)s.") % {"code": code, "parent": parent}, field="code")
        problem = _check_row(code, name or "-", urban_rural_class, "")
        if problem:
            raise ValidationError(problem[1], field=problem[0])
        if level_for_code(code) not in LOCAL_LEVELS:
            raise ValidationError(_("Only groups (15 digits) and grids (18 digits) are added by hand; villages and above come from the official division list."), field="code")
        parent_area = _lock_area(actor, parent_code(code), field="code")
        _check_local_child(parent_area)
        if Area.objects.filter(code=code).exists():
            raise ValidationError(_("The code %(code)s is already taken.") % {"code": code}, field="code")
    if urban_rural_class:
        raise ValidationError(_("Only villages and neighborhoods carry an urban-rural class."), field="urban_rural_class")
    if not name:
        raise ValidationError(_("The name is empty."), field="name")
    if len(name) > 100:
        raise ValidationError(_("The name is longer than 100 characters."), field="name")
    area = Area.objects.create(code=code, name=name, level=level_for_code(code), parent=parent_area)
    record_event(actor=actor, action="areas.create", obj=area, after={"name": area.name, "level": area.level, "parent": parent_area.code})
    return area


def _lock_area(actor: Actor, code: str, *, field: str) -> Area:
    """The area, locked so two officers adding under it at once cannot take the same number;
    outside the actor's subtree it does not exist (404)."""
    if not code or not actor.covers(code):
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field=field)
    area = Area.objects.select_for_update().filter(code=code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field=field)
    return area


def _check_local_child(parent: Area) -> None:
    if parent.level not in (Level.VILLAGE, Level.GROUP):
        raise ValidationError(_("Groups are added under a village and grids under a group; %(name)s is a %(level)s.") % {
            "name": parent.name, "level": parent.get_level_display()}, field="parent")


@transaction.atomic
def rename_area(*, actor: Actor, code: str, name: str) -> Area:
    """Rename in place: the code stays, so households and posts keep pointing at the area."""
    actor.require("areas.edit")
    name = (name or "").strip()
    area = _lock_area(actor, code, field="code")
    if not name:
        raise ValidationError(_("The name is empty."), field="name")
    if len(name) > 100:
        raise ValidationError(_("The name is longer than 100 characters."), field="name")
    before = area.name
    if before == name:
        return area
    area.name = name
    area.save(update_fields=["name", "updated_at"])
    record_event(actor=actor, action="areas.rename", obj=area, before={"name": before}, after={"name": name})
    return area


def next_child_code(parent: Area) -> str:
    """The next free 3-digit code under a village (a group) or a group (a grid)."""
    siblings = Area.objects.filter(parent=parent).values_list("code", flat=True)
    used = {int(c[-3:]) for c in siblings}
    n = next((i for i in range(1, 1000) if i not in used), None)
    if n is None:
        raise ValidationError(_("%(name)s already has 999 areas under it: no code is free.") % {"name": parent.name}, field="parent")
    return f"{parent.code}{n:03d}"
