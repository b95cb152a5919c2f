"""A content security policy: every script, style and font comes from the app itself (UI.md); a body
too large answers 413."""
from django.conf import settings
from django.core.exceptions import RequestDataTooBig

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
