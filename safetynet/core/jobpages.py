"""The page that follows a background job started by an upload (a division list, a roster), and
the bar alone, which the page polls every second with htmx until the job ends (UI.md: long jobs
show a progress bar; the page can be left and come back). A job that ends well sends the browser
to its report; one that fails stays on its page with the reason and a way back to the upload.
The apps' views find the job (their JobBook.get_job: permission and area) and name the URLs."""
from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render

from .jobs import DONE, Job


def job_page(request, job: Job, *, progress_url: str, report_url: str, back_url: str):
    if job.status == DONE:
        return redirect(report_url)
    return render(request, "core/job.html", {"job": job, "poll": not job.finished, "progress_url": progress_url,
                                             "back_url": back_url})


def job_progress(request, job: Job, *, progress_url: str, report_url: str):
    if job.finished and request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        if job.status == DONE:
            response["HX-Redirect"] = report_url
        else:
            response["HX-Refresh"] = "true"
        return response
    return render(request, "core/_job_progress.html", {"job": job, "poll": not job.finished, "progress_url": progress_url})
