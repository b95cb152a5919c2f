"""Background jobs of areas (DESIGN.md §4: django-tasks, database backend): thin calls into the
service, acting as the post that started them.

Idempotent, so run again after a worker died (core/workers.py): the division import is one
transaction that adds and renames, never deletes, and importing the same list again changes
nothing.
"""
from __future__ import annotations

from .jobs import BOOK


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
