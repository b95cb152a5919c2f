"""Pages of training and mentoring (issue 19 part 1): courses, a course's sessions, a session's
attendance (recorded for the ticked staff at once), mentoring pairs, and who is behind on
training per town. Thin adapters over `training`, `mentoring`, `training_selectors` and
`standing`, which the API calls too. Reading needs `workforce.view`; writing
`workforce.training`."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from safetynet.core.decorators import post_view
from safetynet.core.errors import SafetyNetError, ValidationError
from safetynet.core.pagewrites import attempt
from safetynet.core.pagination import numbered_page

from . import mentoring, selectors, training, training_selectors
from .clock import today
from .models import Employment
from .standing import training_standing

VIEW, TRAINING = training_selectors.VIEW, training_selectors.TRAINING
PAGE_SIZE = 25
PICK_LIMIT = 300


def _employment(value: str) -> str:
    return value if value in Employment.values else ""


@require_safe
@post_view(VIEW)
def course_list(request, actor):
    q, employment = (request.GET.get("q") or "")[:50], _employment(request.GET.get("employment", ""))
    page = numbered_page(training_selectors.courses_visible(actor, q=q, employment=employment), request.GET.get("page"),
                         PAGE_SIZE)
    return render(request, "workforce/courses.html", {
        "page": page, "q": q, "employment": employment, "employments": Employment.choices,
        "query_string": urlencode({k: v for k, v in (("q", q), ("employment", employment)) if v}),
        "may_train": actor.can(TRAINING)})


COURSE_FIELDS = ("area", "title", "topic", "hours")


@post_view(TRAINING)
def course_new(request, actor):
    form = {k: request.POST.get(k, "") for k in COURSE_FIELDS} if request.method == "POST" else {"area": actor.area_code}
    chosen = request.POST.getlist("employments") if request.method == "POST" else []
    error = None
    if request.method == "POST":
        done, error = attempt(lambda: training.create_course(
            actor=actor, area_code=form["area"], title=form["title"], topic=form["topic"], hours=form["hours"],
            employments=chosen))
        if done is not None:
            messages.success(request, _("Course %(title)s created.") % {"title": done.title})
            return redirect("workforce:course", course_id=done.pk)
    return render(request, "workforce/course_form.html", {
        "form": form, "chosen": chosen, "error": error, "employments": Employment.choices,
        "offices": _offices(actor)}, status=422 if error else 200)


def _offices(actor) -> list[tuple[str, str]]:
    """Where the post may hold training: its county (a county post) and its towns."""
    towns = selectors.towns_for(actor)
    return ([(actor.area_code, actor.area_name)] if len(actor.area_code) == 6 else []) + \
        [t for t in towns if t[0].startswith(actor.area_code)]


def _course_page(request, actor, course, *, form=None, error=None, status=200):
    page = numbered_page(training_selectors.sessions_visible(actor, course_id=course.pk), request.GET.get("page"), PAGE_SIZE)
    return render(request, "workforce/course_detail.html", {
        "course": course, "page": page, "form": form or {"area": actor.area_code}, "error": error,
        "employments": [Employment(e).label for e in course.employment_list],
        "offices": [o for o in _offices(actor) if o[0].startswith(course.area_id)],
        "may_train": actor.can(TRAINING)}, status=status)


@require_safe
@post_view(VIEW)
def course_detail(request, actor, course_id: int):
    return _course_page(request, actor, training_selectors.get_course(actor, course_id))


SESSION_FIELDS = ("area", "held_on", "place", "trainer")


@require_POST
@post_view(TRAINING)
def session_new(request, actor, course_id: int):
    course = training_selectors.get_course(actor, course_id)
    form = {k: request.POST.get(k, "") for k in SESSION_FIELDS}
    done, error = attempt(lambda: training.schedule_session(
        actor=actor, course_id=course.pk, area_code=form["area"], held_on=form["held_on"], place=form["place"],
        trainer=form["trainer"]))
    if done is not None:
        messages.success(request, _("Session of %(d)s scheduled.") % {"d": done.held_on.isoformat()})
        return redirect("workforce:session", session_id=done.pk)
    return _course_page(request, actor, course, form=form, error=error, status=422)


def _session_page(request, actor, session, *, results=None, hours="", error=None, status=200):
    q = (request.GET.get("q") or "")[:50]
    may_record = actor.can(TRAINING) and actor.covers(session.area_id) and session.held_on <= today()
    pick = list(training_selectors.staff_to_pick(actor, session, q=q)[:PICK_LIMIT]) if may_record else []
    attendance = numbered_page(training_selectors.attendance_in_scope(actor, session_id=session.pk)
                               .order_by("staff_identity__area_id", "staff_identity__name"),
                               request.GET.get("page"), PAGE_SIZE)
    return render(request, "workforce/session_detail.html", {
        "session": session, "attendance": attendance, "page": attendance, "pick": pick, "pick_limit": PICK_LIMIT,
        "q": q, "query_string": urlencode({"q": q}) if q else "", "may_record": may_record,
        "planned": session.held_on > today(), "results": results, "refused": [r for r in results or () if not r.ok],
        "credited": sum(1 for r in results or () if r.ok), "hours": hours, "error": error}, status=status)


@require_safe
@post_view(VIEW)
def session_detail(request, actor, session_id: int):
    return _session_page(request, actor, training_selectors.get_session(actor, session_id))


@require_POST
@post_view(TRAINING)
def session_attend(request, actor, session_id: int):
    session = training_selectors.get_session(actor, session_id)
    hours = request.POST.get("hours", "")
    try:
        staff_ids = [int(v) for v in request.POST.getlist("staff")]
    except ValueError:
        staff_ids = []
    results, error = attempt(lambda: training.record_session_attendance(
        actor=actor, session_id=session.pk, staff_ids=staff_ids, hours=hours or None))
    if error is None and all(r.ok for r in results):
        messages.success(request, _("%(n)d attendees recorded.") % {"n": len(results)})
        return redirect("workforce:session", session_id=session.pk)
    return _session_page(request, actor, session, results=results, hours=hours, error=error,
                         status=422 if error or not any(r.ok for r in results) else 200)


PAIR_FIELDS = ("mentor", "mentee", "area", "started_on", "goal")


def _mentoring_page(request, actor, *, form=None, error=None, status=200):
    show = request.GET.get("show", "")
    qs = training_selectors.mentoring_in_scope(actor, active_only=show != "all")
    page = numbered_page(qs, request.GET.get("page"), PAGE_SIZE)
    may_train = actor.can(TRAINING)
    staff = list(selectors.staff_register(actor).values_list("id", "name", "area__name")[:PICK_LIMIT]) if may_train else []
    return render(request, "workforce/mentoring.html", {
        "page": page, "show": show, "query_string": "show=all" if show == "all" else "", "may_train": may_train,
        "staff": staff, "form": form or {"started_on": today().isoformat()}, "error": error, "today": today()},
        status=status)


@require_safe
@post_view(VIEW)
def mentoring_list(request, actor):
    return _mentoring_page(request, actor)


@require_POST
@post_view(TRAINING)
def mentoring_new(request, actor):
    form = {k: request.POST.get(k, "") for k in PAIR_FIELDS}

    def start():
        try:
            mentor_id, mentee_id = int(form["mentor"]), int(form["mentee"])
        except ValueError:
            raise ValidationError(_("Choose the mentor and the mentee."), field="mentor")
        return mentoring.start_mentoring(actor=actor, mentor_id=mentor_id, mentee_id=mentee_id, area_code=form["area"],
                                         started_on=form["started_on"], goal=form["goal"])
    done, error = attempt(start)
    if done is not None:
        messages.success(request, _("%(mentor)s mentors %(mentee)s from %(d)s.") % {
            "mentor": done.mentor.name, "mentee": done.mentee.name, "d": done.started_on.isoformat()})
        return redirect("workforce:mentoring")
    return _mentoring_page(request, actor, form=form, error=error, status=422)


@require_POST
@post_view(TRAINING)
def mentoring_end(request, actor, pair_id: int):
    done, error = attempt(lambda: mentoring.end_mentoring(actor=actor, pair_id=pair_id,
                                                          ended_on=request.POST.get("ended_on") or today(),
                                                          note=request.POST.get("note", "")))
    if error is not None:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The mentoring of %(mentee)s ended.") % {"mentee": done.mentee.name})
    return redirect("workforce:mentoring")


@require_safe
@post_view(VIEW)
def training_behind(request, actor):
    """Who is behind on training, per town: a bar chart of each town's share behind, and the
    people (behind only, or everyone) filtered by town and employment."""
    on = today()
    town, employment = selectors.checked_filters(actor, town=request.GET.get("town", ""),
                                                 employment=request.GET.get("employment", ""))
    try:
        year = int(request.GET.get("year") or on.year)
        standing = training_standing(actor, year, on=on, town=town, employment=employment)
    except (ValueError, SafetyNetError):
        year = on.year
        messages.error(request, _("Choose a year from %(first)d to %(last)d.") % {"first": 2000, "last": 2100})
        standing = training_standing(actor, year, on=on, town=town, employment=employment)
    show = request.GET.get("show", "")
    people = standing.people if show == "all" else standing.behind
    page = numbered_page(people, request.GET.get("page"), PAGE_SIZE)
    chart = {"towns": [t.name for t in standing.towns],
             "behind": [t.behind for t in standing.towns],
             "on_track": [t.staff - t.behind - t.unstated for t in standing.towns],
             "percent": [float(t.percent_behind) if t.percent_behind is not None else None for t in standing.towns],
             "labels": {"behind": _("behind"), "on_track": _("on track"), "percent": _("% behind")}}
    filters = {"year": str(year), "town": town, "employment": employment, "show": show}
    return render(request, "workforce/behind.html", {
        "standing": standing, "page": page, "chart": chart, "filters": filters, "towns": selectors.towns_for(actor),
        "employments": Employment.choices, "years": list(range(on.year, max(2000, on.year - 5) - 1, -1)),
        "query_string": urlencode({k: v for k, v in filters.items() if v})})
