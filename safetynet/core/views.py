from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from safetynet.areas.actors import SESSION_KEY, active_posts


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
@require_POST
def switch_post(request):
    """Act through another of one's own posts; a post id that is not the user's is ignored."""
    post_id = request.POST.get("post")
    if post_id and post_id.isdigit() and active_posts(request.user).filter(pk=int(post_id)).exists():
        request.session[SESSION_KEY] = int(post_id)
    nxt = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    return HttpResponseRedirect(nxt)
