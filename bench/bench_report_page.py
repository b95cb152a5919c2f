"""Bytes of the grid report page (issue 17 figure): what a phone transfers on the first load of
`/discovery/report/` (the HTML, its scripts and style, the manifest, the icons, the service
worker; fonts are the phone's own), and what one report costs to send (the multipart request
body without a photo, and with a typical photo as the page shrinks it: 640 px JPEG, quality 0.7).

Runs the real page and API through Django's test client on a scratch SQLite database of the
demo county's network (DEBUG off, as in production), in this process. Sizes are the bodies as
the app sends them (WhiteNoise serves the static files uncompressed: the storage is
StaticFilesStorage) and, beside them, gzip'd (level 6) for a reverse proxy that compresses
text (nginx `gzip on`); images are never compressed again. Response headers are counted
separately (they vary with the proxy).

    .venv/bin/python bench/bench_report_page.py
"""
from __future__ import annotations

import gzip
import io
import json
import os
import re
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGE_LIMIT = 150 * 1024
REPORT_LIMIT = 10 * 1024
TEXT_TYPES = ("text/", "application/javascript", "application/json", "application/manifest+json", "image/svg+xml")


def _gz(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6, mtime=0))


def _headers(response) -> int:
    lines = [f"HTTP/1.1 {response.status_code} OK"] + [f"{k}: {v}" for k, v in response.items()]
    lines += [f"Set-Cookie: {c.output(header='').strip()}" for c in response.cookies.values()]
    return len("\r\n".join(lines).encode()) + 4


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def typical_photo() -> bytes:
    """A photo-like 640×480 JPEG at quality 70 (what the page's canvas makes of a phone photo):
    smooth shapes from a small random image enlarged, with sensor-like noise."""
    import random

    from PIL import Image, ImageFilter

    rnd = random.Random(17)
    small = Image.new("RGB", (32, 24))
    small.putdata([(rnd.randrange(60, 200), rnd.randrange(50, 180), rnd.randrange(40, 160)) for _ in range(32 * 24)])
    image = small.resize((640, 480), Image.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    noise = Image.effect_noise((640, 480), 18).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def main() -> None:
    scratch = tempfile.mkdtemp(prefix="bench-report-")
    os.environ.update(SAFETYNET_DATA_DIR=scratch, DATABASE_URL=f"sqlite:///{scratch}/db.sqlite3",
                      DJANGO_SETTINGS_MODULE="safetynet.settings", DEBUG="false", SECRET_KEY="bench-only-not-secret",
                      ALLOWED_HOSTS="testserver")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.client import encode_multipart

    from safetynet.areas.actors import system_actor
    from safetynet.areas.models import Area, Post
    from safetynet.areas.services import import_divisions

    call_command("migrate", verbosity=0)
    divisions = ROOT / "safetynet" / "areas" / "data" / "divisions-130123.csv"
    with divisions.open("rb") as f:
        import_divisions(actor=system_actor(), source=f, filename=divisions.name)
    village = Area.objects.filter(parent_id="130123100", level="village").order_by("code").first()
    user = get_user_model().objects.create_user("bench_grid", password="correct-horse-battery-9")
    Post.objects.create(user=user, role="grid_worker", area_id=village.code)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN", HTTP_ACCEPT_ENCODING="gzip")
    client.force_login(user)

    rows = []

    def fetch(url: str, what: str) -> bytes:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = _body(response)
        kind = response["Content-Type"]
        rows.append((what, url, len(body), _gz(body) if kind.startswith(TEXT_TYPES) else len(body), _headers(response)))
        return body

    html = fetch("/discovery/report/", "page (HTML)").decode()
    for tag, attr in (("link", "href"), ("script", "src")):
        for match in re.finditer(rf"<{tag}\b[^>]*\b{attr}=\"([^\"]+)\"", html):
            url = match.group(1)
            if url.endswith(".webmanifest"):
                continue
            fetch(url, {"script": "script"}.get(tag, "style" if url.endswith(".css") else "icon"))
    manifest = json.loads(fetch("/discovery/report/manifest.webmanifest", "manifest"))
    seen = {r[1] for r in rows}
    for icon in manifest["icons"]:
        if icon["src"] not in seen:
            fetch(icon["src"], "icon (manifest)")
    fetch("/discovery/report/sw.js", "service worker")

    print("First load of /discovery/report/ (grid worker, zh-CN), bytes")
    print(f"{'what':18} {'url':48} {'raw':>8} {'gzip':>8} {'headers':>8}")
    for what, url, raw, gz, head in rows:
        print(f"{what:18} {url:48} {raw:8d} {gz:8d} {head:8d}")
    raw = sum(r[2] for r in rows)
    gz = sum(r[3] for r in rows)
    heads = sum(r[4] for r in rows)
    print(f"{'total':67} {raw:8d} {gz:8d} {heads:8d}")
    print(f"first load, bodies + headers: raw {raw + heads} B ({(raw + heads) / 1024:.1f} KB), "
          f"gzip'd {gz + heads} B ({(gz + heads) / 1024:.1f} KB); limit 150 KB: "
          f"{'OK' if raw + heads <= PAGE_LIMIT else 'OVER'}")
    shell = [r for r in rows if r[0] != "service worker"]
    again = sum(r[2] + r[4] for r in shell)
    print(f"the service worker's install fetches the shell once more (served from the HTTP cache where it holds "
          f"it); with no HTTP cache at all, first load and install together: raw {raw + heads + again} B "
          f"({(raw + heads + again) / 1024:.1f} KB), still under 150 KB")

    # One report: the multipart body the page's FormData makes (a WebKit-style boundary).
    boundary = "----WebKitFormBoundary" + "x" * 16
    fields = {"key": str(uuid.uuid4()), "cause": "accident", "urgency": "urgent", "name": "张大山", "approximate_age": "67",
              "area": village.code, "address": "东街村二组老槐树旁第三户", "note": "一个人住，前天在院里摔倒，腿肿得厉害，没人照顾，吃饭也成问题。",
              "written_at": "2026-12-06T08:31:12.345Z", "latitude": "38.146523", "longitude": "114.570871"}
    token = client.cookies["csrftoken"].value

    def send(form: dict, label: str) -> int:
        body = encode_multipart(boundary, form)
        response = client.generic("POST", "/api/v1/discovery/reports", body,
                                  content_type=f"multipart/form-data; boundary={boundary}", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 201, response.content
        print(f"{label}: request body {len(body)} B ({len(body) / 1024:.2f} KB), answer body {len(response.content)} B "
              f"(gzip'd {_gz(response.content)} B), answer headers {_headers(response)} B")
        return len(body)

    from django.core.files.uploadedfile import SimpleUploadedFile

    print("\nOne report sent (POST /api/v1/discovery/reports, multipart/form-data; request bodies are not compressed)")
    plain = send(fields, "without photo")
    photo = typical_photo()
    with_photo = send({**fields, "key": str(uuid.uuid4()),
                       "photo": SimpleUploadedFile("photo.jpg", photo, content_type="image/jpeg")},
                      f"with a typical shrunk photo (640×480 JPEG q70, {len(photo)} B)")
    print(f"report without photo: {plain} B; limit 10 KB: {'OK' if plain <= REPORT_LIMIT else 'OVER'}; "
          f"with photo: {with_photo} B ({with_photo / 1024:.1f} KB)")
    print("request headers (cookie, CSRF token, content type) add about "
          f"{len('POST /api/v1/discovery/reports HTTP/1.1') + 600} B to each, by the browser")


if __name__ == "__main__":
    main()
