"""A content security policy: every script, style and font comes from the app itself (UI.md);
DEBUG's technical error pages for this machine only; a body too large answers 413."""
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.template import loader
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.views.debug import ExceptionReporter
from django.views.defaults import page_not_found

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", getattr(settings, "CONTENT_SECURITY_POLICY", POLICY))
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


LOOPBACK = frozenset({"127.0.0.1", "::1"})
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def is_local_request(request) -> bool:
    """From this machine itself: the loopback address, and not relayed by a proxy on it (which
    would connect from 127.0.0.1 on behalf of anyone)."""
    meta = request.META
    return meta.get("REMOTE_ADDR") in LOOPBACK and not any(meta.get(h) for h in FORWARDING_HEADERS)


class PublicErrorReporter(ExceptionReporter):
    """What DEBUG's error page shows a client that is not on this machine: the site's friendly
    500 page (or one line of text), no traceback, settings or paths. The server log still gets
    the whole traceback (django.request)."""

    def get_traceback_html(self):
        return loader.get_template("500.html").render()   # no context, as Django's own handler500

    def get_traceback_text(self):
        return gettext("Server error: the office's system could not answer this request. It has been logged; "
                       "try again or tell the county office.")


def _resolves(request) -> bool:
    try:
        resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return True


class LocalDebugMiddleware:
    """With DEBUG on, keep Django's technical error pages (traceback, settings, URL list) for
    requests from the loopback address only; anyone else gets the friendly 404 and 500 pages
    (issue 14). First in MIDDLEWARE, so an error in any later middleware is covered too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.DEBUG or is_local_request(request):
            return self.get_response(request)
        request.exception_reporter_class = PublicErrorReporter
        response = self.get_response(request)
        if response.status_code == 404 and not _resolves(request):
            return page_not_found(request, Http404())   # not DEBUG's list of every URL pattern
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404) and not is_local_request(request):
            return page_not_found(request, exception)
        return None


class RequestTooLargeMiddleware:
    """A body larger than DATA_UPLOAD_MAX_MEMORY_SIZE answers 413: JSON in the API's error shape
    under /api/, a plain page elsewhere. Django would raise `RequestDataTooBig` at the first read
    (a 500 with the debug page on, a bare 400 off). A plain body is judged by its length before
    anything reads it; a multipart form is read here (as the CSRF check would read it next), since
    its files do not count (Django streams them to disk), only its other fields."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None:
            if request.content_type.startswith("multipart/"):
                if request.method == "POST":
                    try:
                        request.POST
                    except RequestDataTooBig:
                        return too_large_response(request)
            elif _content_length(request) > limit:
                return too_large_response(request)
        return self.get_response(request)


class RefuseNulMiddleware:
    """A NUL character in the path answers 404, and in a page's query or form 400, before any view
    reads it: PostgreSQL can neither store nor compare it, so it reached the database as a 500
    (the API's parser refuses one in a parameter or body with 422 naming the field)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path:
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse({"code": "not_found", "message": gettext("Not found.")}, status=404)
            return page_not_found(request, Http404())
        if not request.path.startswith("/api/") and (_holds_nul(request.GET)
                                                     or (request.method == "POST" and _holds_nul(request.POST))):
            from django.http import HttpResponseBadRequest

            return HttpResponseBadRequest(gettext("A NUL character is not allowed here."), content_type="text/plain; charset=utf-8")
        return self.get_response(request)


NUL = "\x00"


def _holds_nul(data) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def too_large_response(request):
    """The 413 answer: the API's JSON error under /api/, a plain page for the pages."""
    from django.http import HttpResponse, JsonResponse
    from django.utils.html import escape
    from django.utils.translation import gettext as _

    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    message = _("The request is too large: at most %(mb).1f MB besides uploaded files.") % {"mb": limit_mb}
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "too_large", "message": message}, status=413)
    title = _("Request too large")
    return HttpResponse(f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{escape(title)}</title></head>"
                        f"<body><h1>{escape(title)}</h1><p>{escape(message)}</p></body></html>", status=413)
