"""URL converters: an <int:...> part beyond what the databases store (64-bit) is no match, so 404, not an overflow."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from console.common.paging import MAX_ID


class BoundedInt(IntegerConverter):
    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered."""
    app.url_map.converters["int"] = BoundedInt
