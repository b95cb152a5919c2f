"""System checks that keep private files private (issue 14): `safetynet check`, `migrate` and
`runserver` refuse a set-up where a private folder lies inside the static files (WhiteNoise
serves those to anyone) or a URL route is Django's file server (the old `static(MEDIA_URL, ...)`
of DEBUG, which served the bank files at `/`)."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import checks


def _overlap(a: Path, b: Path) -> bool:
    a, b = Path(a).resolve(), Path(b).resolve()
    return a == b or a in b.parents or b in a.parents


def _patterns(patterns):
    from django.urls import URLPattern, URLResolver

    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern


@checks.register(checks.Tags.security)
def check_private_files(app_configs, **kwargs):
    from django.urls import get_resolver
    from django.views.static import serve

    from .privatefiles import private_folders

    errors = []
    public = [Path(p) for p in (settings.STATIC_ROOT, *settings.STATICFILES_DIRS) if p]
    for folder in private_folders():
        for static in public:
            if _overlap(folder, static):
                errors.append(checks.Error(
                    f"The private folder {folder} and the static files folder {static} overlap: static files are "
                    "served to anyone.", hint="Keep SAFETYNET_DATA_DIR/private apart from STATIC_ROOT.",
                    id="safetynet.E001"))
    for pattern in _patterns(get_resolver().url_patterns):
        if pattern.callback is serve:
            errors.append(checks.Error(
                f"The URL route {pattern.pattern} serves files without a login: private files are served only by "
                "the views that check the post.", hint="Remove the route (e.g. static(settings.MEDIA_URL, ...)).",
                id="safetynet.E002"))
    return errors
