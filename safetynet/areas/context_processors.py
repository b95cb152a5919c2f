from safetynet.core.menu import menu_bar, menu_for

from .actors import active_posts


def actor(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    actor = getattr(request, "actor", None)
    return {
        "actor": actor if actor else None,
        "user_posts": lambda: list(active_posts(user)),
        "menu": lambda: menu_bar(menu_for(actor)),
    }
