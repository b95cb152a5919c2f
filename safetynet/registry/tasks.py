"""Background jobs of the registry (DESIGN.md §4: django-tasks, database backend): thin calls
into the service, acting as the post that started them.

Idempotent, so run again after a worker died (core/workers.py): a roster import is one
transaction, and importing the same file again adds nothing (the households are matched by their
reference and area, the people by their ID number).
"""
from __future__ import annotations

import os

from safetynet.core.jobs import Job
from safetynet.core.scoping import Actor

from .jobs import BOOK, IMPORT_ROSTER


@BOOK.task(retry=True)
def import_roster_job(job_id: str) -> dict:
    """Import the uploaded roster and keep its report (core/importreports.py) for the page."""
    from safetynet.core import importreports

    from . import roster

    with BOOK.running(job_id) as job:
        actor, filename = job.actor(), job.params["filename"]
        with job.job.upload_path.open("rb") as source:
            result = roster.import_roster(actor=actor, source=source, filename=filename,
                                          area_code=job.params["area"], progress=job.count)
        job.result = {"report_id": importreports.keep_report("registry", actor=actor, filename=filename, result=result),
                      "counts": result.counts()}
    return job.result


def start_roster_import(*, actor: Actor, upload, filename: str, area_code: str = "") -> Job:
    """Queue the import of an uploaded roster into `area_code` (default: the post's area), once
    the post may import there (roster.import_area: 404 outside its area)."""
    from . import roster

    actor.require("registry.import")
    actor.require("registry.edit")
    area = roster.import_area(actor, area_code)
    return BOOK.start(actor=actor, kind=IMPORT_ROSTER, area=area.code,
                      params={"filename": os.path.basename(filename or "roster.csv")[:200], "area": area.code},
                      task=import_roster_job, upload=upload)
