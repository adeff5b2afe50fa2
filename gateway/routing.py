"""Routes: which codec serves which API path, and what the path names (a leaf module).

Codecs declare their routes with :func:`route`; :mod:`gateway.routes` puts
every family's routes in one table. Nothing here imports a codec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .codecs.base import Codec

_ID_CHARS = r"[A-Za-z0-9_\-.:]+"


@dataclass(frozen=True, slots=True)
class Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    codec: Codec
    template: str = ""  # the path as declared ("responses/{id}"), for logs and metrics
    # The path names an upstream object: the caller's tenant must own it (ledger),
    # and values in the answer are restored in its owner's scope.
    owned: bool = False
    # The path ends with the object it names, so a DELETE on it removes that object.
    names_object: bool = False
    # The ledger id a DELETE on this path removes, when it is not the path's last
    # id: "{id}/{child}" for a file attached to a vector store.
    forgets: str | None = None
    # A create the provider may store (Responses, Chat Completions): ``routes.store``.
    stores: bool = False
    # Objects every subject of the tenant may read (an app's assistants), whatever
    # the policy for reading another subject's objects says.
    shared: bool = False
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
          forgets: str | None = None, shared: bool = False, stores: bool = False) -> Route:
    """``path`` is relative to ``/v1/``; ``{id}`` names an owned object, ``{child}`` a part."""
    regex = re.compile("^" + path.replace("{id}", f"(?P<object>{_ID_CHARS})").replace(
        "{child}", f"(?P<child>{_ID_CHARS})") + "$")
    return Route(frozenset(methods.split()), regex, codec, path, owned="{id}" in path,
                 names_object=path.endswith(("{id}", "{child}")),
                 public_listing=public_listing, forgets=forgets, shared=shared, stores=stores)


def match_route(routes: list[Route], method: str, path: str) -> RouteMatch | None:
    for candidate in routes:
        if method in candidate.methods:
            found = candidate.pattern.match(path)
            if found is not None:
                groups = found.groupdict()
                return RouteMatch(candidate, groups.get("object"), groups.get("child"))
    return None
