"""Background jobs of areas (DESIGN.md §4: django-tasks, database backend): thin calls into the
service, acting as the post that started them.

Idempotent, so run again after a worker died (core/workers.py): the division import is one
transaction that adds and renames, never deletes, and importing the same list again changes
nothing.
"""
from __future__ import annotations

import os

from safetynet.core.jobs import Job
from safetynet.core.scoping import Actor

from .jobs import BOOK, IMPORT_DIVISIONS


@BOOK.task(retry=True)
def import_divisions_job(job_id: str) -> dict:
    """Import the uploaded list and keep its report (core/importreports.py) for the page."""
    from safetynet.core import importreports

    from . import services

    with BOOK.running(job_id) as job:
        actor, filename = job.actor(), job.params["filename"]
        actor.require("areas.import")
        names = job.params.get("filenames") or [filename]
        result = services.import_divisions(actor=actor, sources=list(zip(names, job.job.upload_paths)), progress=job.count)
        job.result = {"report_id": importreports.keep_report("areas", actor=actor, filename=filename, result=result),
                      "counts": result.counts()}
    return job.result


def start_division_import(*, actor: Actor, uploads) -> Job:
    """Queue the import of uploaded division lists (one file, or the package's five at once),
    once the post may import."""
    actor.require("areas.import")
    names = [os.path.basename(getattr(upload, "name", "") or "divisions.csv")[:200] for upload in uploads]
    return BOOK.start(actor=actor, kind=IMPORT_DIVISIONS, area=actor.area_code,
                      params={"filename": ", ".join(names)[:500], "filenames": names},
                      task=import_divisions_job, uploads=uploads)
