"""`{% area_search name value levels %}`: the area search box (areas/forms.AreaSearchInput) for a
page whose form is written by hand; what is submitted is the code picked or typed."""
from django import template

from safetynet.areas.forms import AreaSearchInput

register = template.Library()


@register.simple_tag
def area_search(name: str, value="", levels: str = "village", css: str = "", required: bool = False):
    attrs = {"id": f"id_{name}", "class": f"form-control {css}".strip(), "autocomplete": "off"}
    if required:
        attrs["required"] = True
    return AreaSearchInput(levels=levels.split(",")).render(name, value or "", attrs=attrs)
