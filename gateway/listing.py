"""Listings on the shared provider account, cut down to the caller's tenant."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .codecs.base import dump_json
from .failclosed import guard
from .routes import RouteMatch

if TYPE_CHECKING:
    from .services import Services


def maybe_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def is_tenant_listing(matched: RouteMatch | None, method: str) -> bool:
    return (method == "GET" and matched is not None and not matched.route.owned
            and not matched.route.public_listing)


async def own_objects_only(services: Services, tenant: str, raw: bytes) -> bytes:
    """Cut a provider listing down to the objects this tenant created through the gateway.

    The provider account is shared by every tenant; without this a tenant could
    list (and learn the ids and metadata of) everyone's files, stores, batches.
    """
    listing = maybe_json(raw)
    if not (isinstance(listing, dict) and listing.get("object") == "list"
            and isinstance(listing.get("data"), list)):
        return raw
    kept = []
    for item in listing["data"]:
        object_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(object_id, str) and await guard(
                services.ledger.owner(tenant, object_id)) is not None:
            kept.append(item)
    if len(kept) == len(listing["data"]):
        return raw
    listing["data"] = kept
    if kept:
        listing["first_id"], listing["last_id"] = kept[0]["id"], kept[-1]["id"]
    else:
        listing["first_id"] = listing["last_id"] = None
    return dump_json(listing)
