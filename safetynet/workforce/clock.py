"""Today, for the register's own dates (a day joined, a certificate obtained, a session held).

Workforce sits below cases, whose business clock (`cases.clocks.today`) tests and the demo move;
the register's dates are plain calendar dates, so "not in the future" and "this year" read the
calendar in the site's time zone (Asia/Shanghai). A caller that means another day passes it
(`on=`, `year=`)."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone


def today() -> dt.date:
    return timezone.localdate()
