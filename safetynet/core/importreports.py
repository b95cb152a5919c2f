"""Keeping an import's report (counts, bad rows) and its error sheet for the user who ran it,
so an import page can redirect to its report (POST-redirect-GET) and offer the .xlsx of bad rows.
One place for every import page (division codes, rosters)."""
from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _

from .tabular import write_error_sheet

IMPORT_REPORT_DAYS = 7
REPORT_ID = re.compile(r"^[A-Za-z0-9_-]{20,40}$")


def reports_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def report_paths(kind: str, report_id: str) -> tuple[Path, Path]:
    if not REPORT_ID.match(report_id or ""):
        raise Http404()
    base = reports_dir() / f"{kind}-{report_id}"
    return base.with_suffix(".json"), base.with_suffix(".xlsx")


def keep_report(kind: str, user_id: int, filename: str, result) -> str:
    """Write the run's report and error sheet; drop this kind's reports older than a week."""
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
        "user_id": user_id, "filename": filename, "counts": result.counts(),
        "errors": [e.as_dict() for e in result.errors],
    }, ensure_ascii=False), encoding="utf-8")
    if result.errors:
        sheet_path.write_bytes(write_error_sheet(result.columns, result.errors))
    return report_id


def load_report(kind: str, user_id: int, report_id: str) -> dict:
    """The report, only for the user who ran the import (anyone else: 404)."""
    report_path, _sheet = report_paths(kind, report_id)
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Http404(_("This import report is gone (reports are kept for a week)."))
    if report.get("user_id") != user_id:
        raise Http404(_("This import report is gone (reports are kept for a week)."))
    return report
