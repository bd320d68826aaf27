"""The routes of the API as the URL configuration holds them: path, view class, write methods."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    pattern: str
    view: type
    write_methods: tuple[str, ...]


def api_routes(prefix: str = "api/v1/") -> list[Route]:
    """Every DRF route under ``prefix``, with the write methods its view really answers."""
    routes = []

    def walk(resolver: URLResolver, above: str):
        for entry in resolver.url_patterns:
            pattern = above + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry, pattern)
            elif isinstance(entry, URLPattern) and pattern.lstrip("^").startswith(prefix):
                view = getattr(entry.callback, "cls", None)
                if view is not None:  # DRF views only: every API route is one
                    routes.append(Route(pattern, view, _write_methods(entry.callback, view)))

    walk(get_resolver(), "")
    return routes


def _write_methods(callback, view: type) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)  # a viewset's method -> action map
    if actions is not None:
        return tuple(method for method in WRITE_METHODS if method in actions)
    allowed = getattr(callback, "initkwargs", {}).get("http_method_names", view.http_method_names)
    return tuple(method for method in WRITE_METHODS if method in allowed and hasattr(view, method))
