"""Jobs of the registry: the web upload of a roster (up to tens of thousands of rows) runs as a
background job (tasks.import_roster_job, started by tasks.start_roster_import) with a progress bar, instead of one long request. The
file is kept beside the job under SAFETYNET_DATA_DIR/jobs/registry/ (never under MEDIA_ROOT); the
permission and the area are checked when the job is started (tasks.py) and again by the service when
it runs, as the starting post."""
from __future__ import annotations

from django.utils.translation import gettext_lazy

from safetynet.areas.jobs import actor_of
from safetynet.core import jobs as core_jobs

IMPORT_ROSTER = "import_roster"
core_jobs.describe_kinds(labels={IMPORT_ROSTER: gettext_lazy("Import of a roster")},
                         permissions={IMPORT_ROSTER: "registry.import"})

BOOK = core_jobs.JobBook("registry", actor_of=actor_of)

