"""Take the README's screenshots from a running demo (`make run`), with Debian's Chromium.

    .venv/bin/python docs/make_screenshots.py [http://127.0.0.1:8000]
"""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent / "images"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"]
SHOTS = [  # (file, user, path, viewport)
    ("home-town-worker.png", "town_worker", "/", (1366, 768)),
    ("households-town-worker.png", "town_worker", "/registry/?q=王", (1366, 768)),
    ("network-county-officer.png", "county_officer", "/areas/", (1366, 768)),
    ("home-grid-worker-phone.png", "grid_worker", "/", (390, 844)),
]


def main():
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, user, path, (w, h) in SHOTS:
            page = browser.new_page(viewport={"width": w, "height": h}, locale="zh-CN")
            page.goto(f"{BASE}/login/")
            page.fill("#id_username", user)
            page.fill("#id_password", "demo-pass-2026")
            page.click("button[type=submit]")
            page.wait_for_url(f"{BASE}/")
            page.goto(f"{BASE}{path}")
            page.screenshot(path=str(OUT / name))
            page.close()
            print(OUT / name)
        browser.close()


if __name__ == "__main__":
    main()
