"""Files the system writes or receives are private (DESIGN.md §8, rule 5a).

Bank files, import reports and their error sheets, case attachments: all live under one private
root (`settings.MEDIA_ROOT`, `SAFETYNET_DATA_DIR/private/` by default), which no URL route serves
(`core/checks.py` refuses one), under a name with a random part nobody can guess from a run code
or an id. A user gets a file only through the view that checks the post's permission and area,
and that view answers it with `answer_file`, the one way every download leaves the server.
"""
from __future__ import annotations

import secrets
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header


def private_root() -> Path:
    """The private root: everything generated or uploaded lives under it."""
    return Path(settings.MEDIA_ROOT)


def private_folders() -> list[Path]:
    """Every folder holding private data: the private root, the verification snapshots and the
    background jobs' progress files (both under SAFETYNET_DATA_DIR)."""
    data = Path(settings.DATA_DIR)
    return [private_root(), data / "verification", data / "jobs"]


def unguessable(prefix: str = "") -> str:
    """`prefix` with a random part (96 bits, URL- and file-name-safe), so a stored name cannot be
    derived from the run code, the case id or the time."""
    token = secrets.token_urlsafe(12)
    return f"{prefix}-{token}" if prefix else token


class PrivateStorage(FileSystemStorage):
    """Django's file storage for uploads (case attachments), on the private root. It has no URL:
    a template asking for `file.url` fails loudly instead of printing a public link."""

    def url(self, name):
        raise ValueError("Private files have no public URL: link to the view that checks the post.")


def answer_file(source, *, filename: str, content_type: str, inline: bool = False) -> HttpResponse:
    """The response for a private file (a path, an open file, or bytes made for this request such
    as a letter's PDF): a download under its display name unless `inline`, never sniffed into
    another type, never kept by a shared cache."""
    if isinstance(source, bytes):
        response = HttpResponse(source, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(not inline, filename)
    else:
        if isinstance(source, (str, Path)):
            path = Path(source)
            if not path.is_file():
                raise Http404()
            source = path.open("rb")
        response = FileResponse(source, as_attachment=not inline, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def download_view(view):
    """A file URL answers an anonymous request 404, as it answers a post outside the file's area:
    it does not say that the file exists, nor send the client to the login page for it."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            raise Http404()
        return view(request, *args, **kwargs)
    return wrapper
