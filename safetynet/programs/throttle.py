"""Rate limit for the public self-check: 30 requests a minute per client address by default
(setting SAFETYNET_PUBLIC_CHECK_RATE, in ninja's "N/period" form).

The client address is REMOTE_ADDR unless NINJA_NUM_PROXIES says how many trusted reverse
proxies stand in front (then the matching X-Forwarded-For entry). A bare X-Forwarded-For is not
trusted: anyone can send one, and it would let a client pick a fresh identity per request.
Counts live in Django's cache: per process with the default local-memory cache; configure a
shared cache (database or Redis) when several app workers serve the public page.
"""
from __future__ import annotations

from django.conf import settings
from ninja.throttling import SimpleRateThrottle

DEFAULT_RATE = "30/m"


class PublicCheckThrottle(SimpleRateThrottle):
    scope = "public_check"

    def __init__(self, rate: str | None = None):
        super().__init__(rate or getattr(settings, "SAFETYNET_PUBLIC_CHECK_RATE", DEFAULT_RATE))

    def get_cache_key(self, request) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def get_ident(self, request) -> str | None:
        if getattr(settings, "NINJA_NUM_PROXIES", None) is None:
            return request.META.get("REMOTE_ADDR")
        return super().get_ident(request)


public_check_throttle = PublicCheckThrottle()
