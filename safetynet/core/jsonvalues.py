"""Python values as JSON would give them back, built without the JSON text in between.

What a decision, a case's assessment or an audit event stores is "the value after a round trip
through JSON with this encoder": Decimals as text, dates in ISO form, tuples as lists. Every case
step stores one or two such values, and the round trip (dump to text, parse it again) was a tenth
of a step's own work (bench/bench_cases.py). `json_value` builds the same result directly.
"""
from __future__ import annotations

import json
from typing import Any, Callable


class NotPlain(Exception):
    """A value whose JSON text would not read back as `json_value` builds it (a dict with keys
    that are not text): take the round trip."""


def json_value(value: Any, default: Callable[[Any], Any]) -> Any:
    """What `json.loads(json.dumps(value, default=default))` gives, or NotPlain. `default` is an
    encoder's `default`: what it makes of a leaf JSON does not know is converted in turn.
    Subclasses of JSON's types are written as JSON writes them: a text enum (a case's status) as
    its text, an int enum as its number."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is list or kind is tuple:
        return [json_value(item, default) for item in value]
    if isinstance(value, dict):
        plain = {}
        for key, item in value.items():
            if type(key) is not str:              # JSON turns other keys into text its own way
                raise NotPlain
            plain[key] = json_value(item, default)
        return plain
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [json_value(item, default) for item in value]
    return json_value(default(value), default)


def round_trip(value: Any, encoder: type[json.JSONEncoder]) -> Any:
    """`value` as JSON gives it back through `encoder`: built directly where it can be."""
    try:
        return json_value(value, encoder().default)
    except NotPlain:
        return json.loads(json.dumps(value, cls=encoder, ensure_ascii=False))
