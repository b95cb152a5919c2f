"""Placeholder: filled by its part."""
from ninja import Router

router = Router()
