"""Keeping an import's report (counts, bad rows) and its error sheet for the user who ran it,
so an import page can redirect to its report (POST-redirect-GET) and offer the .xlsx of bad rows.
One place for every import page (division codes, rosters, department files); the report pages
are one template (templates/core/import_report.html) fed by `report_page`.

The files are private (core/privatefiles.py): under `imports/` of the private root, named by a
random id, and read back only by the user who ran the import while acting through a post whose
area covers the post it was run from (the same person acting for another town gets 404)."""
from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from .pagination import numbered_page
from .privatefiles import answer_file, private_root
from .scoping import Actor
from .tabular import write_error_sheet

IMPORT_REPORT_DAYS = 7
BAD_ROWS_PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_ID = re.compile(r"^[A-Za-z0-9_-]{20,40}$")


def reports_dir() -> Path:
    return private_root() / "imports"


def report_paths(kind: str, report_id: str) -> tuple[Path, Path]:
    if not REPORT_ID.match(report_id or ""):
        raise Http404()
    base = reports_dir() / f"{kind}-{report_id}"
    return base.with_suffix(".json"), base.with_suffix(".xlsx")


def keep_report(kind: str, *, actor: Actor, filename: str, result) -> str:
    """Write the run's report and error sheet, for `actor`'s user and area; drop this kind's
    reports older than a week."""
    folder = reports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - IMPORT_REPORT_DAYS * 86400
    for old in folder.glob(f"{kind}-*"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    report_id = secrets.token_urlsafe(18)
    report_path, sheet_path = report_paths(kind, report_id)
    report_path.write_text(json.dumps({
        "user_id": actor.user_id, "area_code": actor.area_code, "filename": filename, "counts": result.counts(),
        "errors": [e.as_dict() for e in result.errors],
    }, ensure_ascii=False), encoding="utf-8")
    if result.errors:
        sheet_path.write_bytes(write_error_sheet(result.columns, result.errors))
    return report_id


def load_report(kind: str, report_id: str, *, actor: Actor) -> dict:
    """The report, only for the user who ran the import, acting through a post whose area covers
    the one it was run from (anyone else: 404)."""
    report_path, _sheet = report_paths(kind, report_id)
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Http404(_("This import report is gone (reports are kept for a week)."))
    area_code = report.get("area_code")
    if report.get("user_id") != actor.user_id or not isinstance(area_code, str) or not actor.covers(area_code):
        raise Http404(_("This import report is gone (reports are kept for a week)."))
    return report


def answer_error_sheet(kind: str, report_id: str, *, actor: Actor, stem: str) -> FileResponse:
    """The report's .xlsx of bad rows as a private download named `<file>-errors.xlsx` (`stem`
    when the upload had no name), for whoever may read the report."""
    report = load_report(kind, report_id, actor=actor)
    _report, sheet = report_paths(kind, report_id)
    name = f"{Path(report.get('filename') or '').stem or stem}-errors.xlsx"
    return answer_file(sheet, filename=name, content_type=XLSX)


def report_page(request, kind: str, report_id: str, *, actor: Actor, cards, error_sheet: str, with_file: bool = False) -> dict:
    """The context of an import's report page (templates/core/import_report.html): the report,
    if `actor` may read it; a card per count, `cards` being (count key, test id, label); the bad
    rows a page at a time; the URL name of the error sheet; a File column where an import reads
    several files (`with_file`)."""
    report = load_report(kind, report_id, actor=actor)
    counts = report["counts"]
    return {"report": report, "counts": counts, "report_id": report_id, "with_file": with_file,
            "cards": [{"label": label, "value": counts.get(key, ""), "testid": testid} for key, testid, label in cards],
            "page": numbered_page(report["errors"], request.GET.get("page"), BAD_ROWS_PAGE_SIZE),
            "error_sheet_url": reverse(error_sheet, args=[report_id])}
