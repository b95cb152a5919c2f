"""Background jobs of the registry (DESIGN.md §4: django-tasks, database backend): thin calls
into the service, acting as the post that started them.

Idempotent, so run again after a worker died (core/workers.py): a roster import is one
transaction, and importing the same file again adds nothing (the households are matched by their
reference and area, the people by their ID number).
"""
from __future__ import annotations

from .jobs import BOOK


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
