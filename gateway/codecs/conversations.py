"""The Conversations API (``/v1/conversations``): durable lists of response items.

A conversation and its items are scanned and restored exactly like Responses
items (same structural keys; ``output_text`` annotations follow restored
values). Every path below ``conversations/{id}`` is owned: the ledger says
whose it is, and values come back in the owner's scope. Its items are
recorded as its children, so that only its tenant may reference them.
"""

from __future__ import annotations

from ..restore import Restorer
from ..routing import Route, route
from ..slots import Json, Slot
from .base import JsonCodec, ObjectRef, RawBody
from .items import (
    ITEM_FIELDS,
    JSON_TEXT_KEYS,
    item_ids,
    item_request_slots,
    referenced_ids,
    restore_answer,
)


class ConversationsCodec(JsonCodec):
    family = "conversations"
    fields = ITEM_FIELDS
    json_text_keys = JSON_TEXT_KEYS

    def request_slots(self, body: Json) -> list[Slot]:
        return item_request_slots(body)

    def restore_body(self, request: Json, body: RawBody, restorer: Restorer
                           ) -> RawBody:
        return restore_answer(request, body, restorer)

    def referenced_objects(self, body: Json) -> list[str]:
        """Stored objects the new items name, and every id the app gave an item.

        The provider keeps a given id, and listing a conversation records its
        items for the owner (below): an id the app chose must already be the
        tenant's, or the listing would hand it another tenant's item to reference.
        """
        if not isinstance(body, dict):
            return []
        named = [*referenced_ids(body), *item_ids(body.get("items"))]
        return list(dict.fromkeys(named))

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]:
        """A new conversation, and the items an answer shows (added, listed or read).

        A conversation's items may be named by ``item_reference`` later, so
        their ids must be in the ledger; but the provider does not name the
        items a conversation was created with, nor those a response added
        from its input, until they are listed. Listing is a read of an owned
        path (the pipeline checked the owner), so its items are recorded then,
        once each (recording again changes nothing). An answer names only the
        items, not their conversation (the path does), so their parent is left
        for the pipeline to fill from the owned path. Ids the request gave are
        the tenant's already and are not recorded again.
        """
        if not isinstance(response, dict):
            return []
        if response.get("object") == "conversation" and isinstance(response.get("id"), str):
            # A deleted item's answer is its conversation too: nothing new there.
            return [ObjectRef("conversation", response["id"])] if isinstance(
                request, dict) else []
        given = set(item_ids(request.get("items"))) if isinstance(request, dict) else set()
        if response.get("object") == "list":
            found = item_ids(response.get("data"))
        elif "object" not in response:  # one item, retrieved: items carry no "object"
            found = item_ids([response])
        else:
            found = []
        return [ObjectRef("conversation_item", item_id) for item_id in found
                if item_id not in given]


def routes() -> list[Route]:
    # Imported here: gateway.routes imports every family's routes() at its top.

    codec = ConversationsCodec()
    return [
        route("POST", "conversations", codec),
        route("GET POST DELETE", "conversations/{id}", codec),
        route("GET POST", "conversations/{id}/items", codec),
        route("GET DELETE", "conversations/{id}/items/{child}", codec),
    ]
