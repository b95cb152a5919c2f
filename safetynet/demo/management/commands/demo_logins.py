"""`safetynet demo_logins`: the table of demo logins that `make run` prints."""
from __future__ import annotations

import unicodedata

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from safetynet.areas.models import Post
from safetynet.demo.generator import DEFAULT_PASSWORD, DEMO_STAFF


def display_width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


class Command(BaseCommand):
    help = "Print the demo logins (username, role, area, password)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="the password given to `safetynet demo`")

    def handle(self, *args, password, **options):
        usernames = list(dict.fromkeys(username for username, _role, _where in DEMO_STAFF))
        users = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
        if not users:
            self.stdout.write("No demo logins yet: run `safetynet demo` first.")
            return
        posts = Post.objects.filter(user__username__in=usernames, is_active=True).select_related("area", "user").order_by("user_id", "id")
        by_user: dict[str, list] = {}
        for post in posts:
            by_user.setdefault(post.user.username, []).append(post)
        rows = [("username", "name", "role", "area", "code", "password")]
        for username in usernames:
            user = users.get(username)
            if user is None:
                continue
            # Argon2 checks are slow on purpose; a dozen of them is still well under a second.
            shown = password if user.check_password(password) else "(changed)"
            for post in by_user.get(username, []):
                rows.append((username, f"{user.last_name}{user.first_name}", post.get_role_display(), post.area.name,
                             post.area_id, shown))
        widths = [max(display_width(str(row[i])) for row in rows) for i in range(len(rows[0]))]
        for n, row in enumerate(rows):
            self.stdout.write("  ".join(pad(str(value), widths[i]) for i, value in enumerate(row)).rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
