"""Purchased services (issue 19). Each part keeps its models in its own module, imported here."""
from .project_models import *  # noqa: F403
