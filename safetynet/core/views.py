import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import services
from .dates import parse_date
from .errors import NotFound, PermissionDenied, SafetyNetError
from .forms import CalendarDayForm
from .models import CalendarDay
from .workdays import package_years


@require_GET
def healthz(request):
    """200 when the database answers; 503 otherwise (load balancers and `make run` poll this)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means unhealthy
        return JsonResponse({"status": "error", "database": str(exc.__class__.__name__)}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def calendar(request):
    """The working-day calendar's exceptions for one year; county officers edit them."""
    actor = request.actor
    if actor is None:
        raise Http404
    try:
        year = int(request.GET.get("year") or dt.date.today().year)
    except ValueError:
        year = dt.date.today().year
    form = CalendarDayForm(request.POST or None)
    if request.method == "POST":
        try:
            if "remove" in request.POST:
                services.remove_calendar_day(actor=actor, date=parse_date(request.POST["remove"], field="date", required=True))
                messages.success(request, _("The day follows the ordinary week again."))
                return redirect(f"{request.path}?year={year}")
            if form.is_valid():
                day = services.set_calendar_day(actor=actor, **form.cleaned_data)
                messages.success(request, _("%(date)s saved.") % {"date": day.date.isoformat()})
                return redirect(f"{request.path}?year={day.date.year}")
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message)
        except NotFound as exc:
            messages.error(request, exc.message)
        except (SafetyNetError, ValueError) as exc:
            form.add_error(getattr(exc, "field", None) if getattr(exc, "field", None) in form.fields else None, getattr(exc, "message", str(exc)))
    days = CalendarDay.objects.filter(date__year=year).order_by("date")
    years = package_years()
    return render(request, "core/calendar.html", {
        "form": form, "days": days, "year": year, "can_edit": actor.can("calendar.edit"),
        "known_by_package": year in years, "package_last_year": years.stop - 1,
        "years": range(min(years.start, year), max(years.stop, year + 2)),
    })


def csrf_failure(request, reason: str = ""):
    """A form sent from a page that has expired (or from another site): the 403 page saying so in
    the user's language, instead of Django's English "CSRF verification failed"."""
    return render(request, "403.html", {
        "exception": _("This page has expired or the form came from somewhere else: go back, reload the page "
                       "and send it again.")}, status=403)
