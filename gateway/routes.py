"""Which codec serves which API path. A path with no route is decided by policy."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .codecs.base import Codec
from .codecs.chat import ChatCodec

_ID = r"(?P<object>[A-Za-z0-9_\-.:]+)"


@dataclass(frozen=True, slots=True)
class Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    codec: Codec
    # The path names an upstream object: the caller's tenant must own it (ledger),
    # and values in the answer are restored in its owner's scope.
    owned: bool = False


@dataclass(frozen=True, slots=True)
class RouteMatch:
    route: Route
    object_id: str | None


def _route(methods: str, path: str, codec: Codec) -> Route:
    regex = re.compile("^" + path.replace("{id}", _ID) + "$")
    return Route(frozenset(methods.split()), regex, codec, owned="{id}" in path)


def build_routes() -> list[Route]:
    chat = ChatCodec()
    return [
        _route("POST", "chat/completions", chat),
        _route("GET", "chat/completions", chat),
        _route("GET POST DELETE", "chat/completions/{id}", chat),
        _route("GET", "chat/completions/{id}/messages", chat),
    ]


def match_route(routes: list[Route], method: str, path: str) -> RouteMatch | None:
    for route in routes:
        if method in route.methods:
            found = route.pattern.match(path)
            if found is not None:
                return RouteMatch(route, found.groupdict().get("object"))
    return None
