"""Which codec serves which API path. A path with no route is decided by policy."""

from __future__ import annotations

import re
from dataclasses import dataclass

from policies import Policy

from .codecs.assistants import routes as assistants_routes
from .codecs.base import Codec
from .codecs.batches import routes as batches_routes
from .codecs.chat import ChatCodec
from .codecs.completions import routes as completions_routes
from .codecs.conversations import routes as conversations_routes
from .codecs.embeddings import routes as embeddings_routes
from .codecs.files import routes as files_routes
from .codecs.misc import routes as misc_routes
from .codecs.responses import routes as responses_routes
from .codecs.vector_stores import routes as vector_stores_routes

_ID_CHARS = r"[A-Za-z0-9_\-.:]+"


@dataclass(frozen=True, slots=True)
class Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    codec: Codec
    # The path names an upstream object: the caller's tenant must own it (ledger),
    # and values in the answer are restored in its owner's scope.
    owned: bool = False
    # The path ends with the object it names, so a DELETE on it removes that object.
    names_object: bool = False
    # The ledger id a DELETE on this path removes, when it is not the path's last
    # id: "{id}/{child}" for a file attached to a vector store.
    forgets: str | None = None
    # A top-level listing of the provider's own catalogue (models), not of objects
    # tenants created: shown whole. Every other top-level listing is cut down to
    # the caller's tenant's objects, because all tenants share one provider account.
    public_listing: bool = False


@dataclass(frozen=True, slots=True)
class RouteMatch:
    route: Route
    object_id: str | None  # the owned object named by {id}
    child_id: str | None   # a sub-object named by {child} (an item, a file in a store...)

    @property
    def deleted_id(self) -> str | None:
        """What a successful DELETE on this path removed upstream."""
        if self.route.forgets is not None:
            return self.route.forgets.format(id=self.object_id, child=self.child_id)
        return (self.child_id or self.object_id) if self.route.names_object else None


def route(methods: str, path: str, codec: Codec, *, public_listing: bool = False,
          forgets: str | None = None) -> Route:
    """``path`` is relative to ``/v1/``; ``{id}`` names an owned object, ``{child}`` a part."""
    regex = re.compile("^" + path.replace("{id}", f"(?P<object>{_ID_CHARS})").replace(
        "{child}", f"(?P<child>{_ID_CHARS})") + "$")
    return Route(frozenset(methods.split()), regex, codec, owned="{id}" in path,
                 names_object=path.endswith(("{id}", "{child}")),
                 public_listing=public_listing, forgets=forgets)


def build_routes(policy: Policy) -> list[Route]:
    """Every family's routes; codecs that follow a policy setting get the policy here."""
    chat = ChatCodec()
    return [
        route("POST", "chat/completions", chat),
        route("GET", "chat/completions", chat),
        route("GET POST DELETE", "chat/completions/{id}", chat),
        route("GET", "chat/completions/{id}/messages", chat),
        *assistants_routes(),
        *responses_routes(),
        *conversations_routes(),
        *files_routes(policy),
        *batches_routes(),
        *vector_stores_routes(),
        *embeddings_routes(policy),
        *completions_routes(),
        *misc_routes(),
    ]


def match_route(routes: list[Route], method: str, path: str) -> RouteMatch | None:
    for candidate in routes:
        if method in candidate.methods:
            found = candidate.pattern.match(path)
            if found is not None:
                groups = found.groupdict()
                return RouteMatch(candidate, groups.get("object"), groups.get("child"))
    return None
