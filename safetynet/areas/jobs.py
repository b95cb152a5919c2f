"""Jobs of the areas app, and the one way a job finds the post that started it.

The web upload of a division list runs as a background job (tasks.import_divisions_job) with a
progress bar (started by tasks.start_division_import), instead of one long request: the file is kept beside the job under
SAFETYNET_DATA_DIR/jobs/areas/ (never under MEDIA_ROOT), the permission is checked here when the
job is started and by the service again when it runs, as the starting post.
"""
from __future__ import annotations

from django.utils.translation import gettext as _, gettext_lazy

from safetynet.core import jobs as core_jobs
from safetynet.core.errors import NotFound
from safetynet.core.jobs import Job
from safetynet.core.scoping import Actor

IMPORT_DIVISIONS = "import_divisions"
core_jobs.describe_kinds(labels={IMPORT_DIVISIONS: gettext_lazy("Import of the division list")},
                         permissions={IMPORT_DIVISIONS: "areas.import"})


def actor_of(job: Job) -> Actor:
    """The post that started the job, as it is now (a post closed since cannot act); the
    superuser who started it; or the system, for a command run without --as."""
    from django.contrib.auth import get_user_model

    from .actors import actor_for_post, superuser_actor, system_actor
    from .models import Post

    if job.post_id:
        post = Post.objects.filter(pk=job.post_id, is_active=True, user__is_active=True).select_related("area", "user").first()
        if post is None:
            raise NotFound(_("The post that started this job is no longer active."))
        return actor_for_post(post)
    if job.user_id:
        user = get_user_model().objects.filter(pk=job.user_id, is_active=True, is_superuser=True).first()
        if user is None:
            raise NotFound(_("The user who started this job can no longer act."))
        return superuser_actor(user)
    return system_actor()


BOOK = core_jobs.JobBook("areas", actor_of=actor_of)

