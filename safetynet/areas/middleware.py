from .actors import SESSION_KEY, actor_for_user


class ActorMiddleware:
    """Sets `request.actor` (None for anonymous users or users without a post)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not hasattr(request, "actor"):
            request.actor = _actor(request)
        return self.get_response(request)


def _actor(request):
    return actor_for_user(getattr(request, "user", None), request.session.get(SESSION_KEY) if hasattr(request, "session") else None)
