"""Jobs of the registry: the web upload of a roster (up to tens of thousands of rows) runs as a
background job (tasks.import_roster_job) with a progress bar, instead of one long request. The
file is kept beside the job under SAFETYNET_DATA_DIR/jobs/registry/ (never under MEDIA_ROOT); the
permission and the area are checked here when the job is started and again by the service when
it runs, as the starting post."""
from __future__ import annotations

import os

from django.utils.translation import gettext_lazy

from safetynet.areas.jobs import actor_of
from safetynet.core import jobs as core_jobs
from safetynet.core.jobs import Job
from safetynet.core.scoping import Actor

IMPORT_ROSTER = "import_roster"
core_jobs.describe_kinds(labels={IMPORT_ROSTER: gettext_lazy("Import of a roster")},
                         permissions={IMPORT_ROSTER: "registry.import"})

BOOK = core_jobs.JobBook("registry", actor_of=actor_of)


def start_roster_import(*, actor: Actor, upload, filename: str, area_code: str = "") -> Job:
    """Queue the import of an uploaded roster into `area_code` (default: the post's area), once
    the post may import there (roster.import_area: 404 outside its area)."""
    from . import roster, tasks

    actor.require("registry.import")
    actor.require("registry.edit")
    area = roster.import_area(actor, area_code)
    return BOOK.start(actor=actor, kind=IMPORT_ROSTER, area=area.code,
                      params={"filename": os.path.basename(filename or "roster.csv")[:200], "area": area.code},
                      task=tasks.import_roster_job, upload=upload)
