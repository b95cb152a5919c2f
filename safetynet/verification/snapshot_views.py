"""The department data page (issue 4, part 1): every dataset with its current snapshot, the latest
imports, and the upload a county officer makes when a department hands its file over in person.

Thin: the upload goes through services.import_snapshot, the same check the API and
`safetynet verification_import` run. A rejected file stores nothing; the page lists its bad rows
(row, column, reason) and keeps all of them as an .xlsx for the officer to hand back
(core.importreports, as the other import pages do).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from safetynet.core import importreports
from safetynet.core.privatefiles import download_view
from safetynet.core.errors import NotFound, PermissionDenied, SafetyNetError
from safetynet.core.tabular import RowError

from . import selectors, services
from .errors import SnapshotRejected
from .forms import SnapshotImportForm
from .reports import department_label
from .schemas import DATASETS, dataset_choices
from .views import verification_view

REPORT_KIND = "snapshots"
BAD_ROWS_SHOWN = 100
RECENT = 20


@dataclass
class RejectedFile:
    """A rejected file as core.importreports keeps it (counts, bad rows, the dataset's columns)."""

    columns: list[str]
    errors: list[RowError] = field(default_factory=list)

    def counts(self) -> dict:
        return {"bad_rows": len(self.errors)}


def _page(request, actor, *, form=None, rejected: dict | None = None, status: int = 200):
    current = {s.dataset: s for s in selectors.current_snapshots()}
    datasets = [{"dataset": d, "department": department_label(d.department), "current": current.get(d.code)}
                for d in DATASETS.values()]
    can_import = actor.can("verification.import")
    if form is None and can_import:
        form = SnapshotImportForm(datasets=dataset_choices())
    return render(request, "verification/data.html", {
        "datasets": datasets, "recent": list(selectors.snapshots_list(actor).order_by("-uploaded_at", "-id")[:RECENT]),
        "form": form if can_import else None, "rejected": rejected,
    }, status=status)


@require_http_methods(["GET", "POST"])
@verification_view()
def data_page(request, actor):
    if request.method == "GET":
        return _page(request, actor)
    actor.require("verification.import")
    form = SnapshotImportForm(request.POST, request.FILES, datasets=dataset_choices())
    if not form.is_valid():
        return _page(request, actor, form=form, status=422)
    upload, code = form.cleaned_data["file"], form.cleaned_data["dataset"]
    try:
        result = services.import_snapshot(actor=actor, dataset_code=code, source=upload, filename=upload.name or "",
                                          taken_on=form.cleaned_data.get("taken_on"))
    except (NotFound, PermissionDenied):
        raise
    except SnapshotRejected as error:
        rejected = RejectedFile(DATASETS[code].column_names, [b.as_row_error() for b in error.bad_rows])
        report_id = importreports.keep_report(REPORT_KIND, actor=actor, filename=upload.name or code, result=rejected)
        form.add_error("file", error.message)
        return _page(request, actor, form=form, status=422, rejected={
            "count": len(error.bad_rows), "rows": error.bad_rows[:BAD_ROWS_SHOWN], "report_id": report_id,
            "more": max(0, len(error.bad_rows) - BAD_ROWS_SHOWN)})
    except SafetyNetError as error:
        form.add_error(error.field if error.field in form.fields else "file", error.message)
        return _page(request, actor, form=form, status=422)
    snapshot = result.snapshot
    if result.created:
        messages.success(request, _("Stored: %(rows)s rows of %(dataset)s taken on %(day)s.") % {
            "rows": f"{snapshot.row_count:,}", "dataset": DATASETS[code].label, "day": snapshot.taken_on.isoformat()})
    else:
        messages.info(request, _("This file was already stored on %(day)s (snapshot #%(id)s): nothing new was kept.") % {
            "day": snapshot.uploaded_at.date().isoformat(), "id": snapshot.pk})
    return redirect("verification:data")


@download_view
@require_GET
@verification_view("verification.import")
def error_sheet(request, actor, report_id: str):
    """Every bad row of a rejected file, as the .xlsx the officer hands back to the department."""
    return importreports.answer_error_sheet(REPORT_KIND, report_id, actor=actor, stem="snapshot")
