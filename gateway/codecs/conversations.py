"""The Conversations API (``/v1/conversations``): durable lists of response items.

A conversation and its items are scanned and restored exactly like Responses
items (same structural keys; ``output_text`` annotations follow restored
values). Every path below ``conversations/{id}`` is owned: the ledger says
whose it is, and values come back in the owner's scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..restore import ScopeRestorer
from ..slots import Json, Slot
from .base import JsonCodec, ObjectRef, RawBody
from .items import ITEM_STRUCTURAL, item_ids, item_request_slots, restore_answer

if TYPE_CHECKING:
    from ..routes import Route


class ConversationsCodec(JsonCodec):
    family = "conversations"
    structural = ITEM_STRUCTURAL

    def request_slots(self, body: Json) -> list[Slot]:
        return item_request_slots(body)

    async def restore_body(self, request: Json, body: RawBody, restorer: ScopeRestorer
                           ) -> RawBody:
        return await restore_answer(request, body, restorer)

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]:
        """A new conversation, or the items a POST added to one.

        The items' answer does not name their conversation (only the path
        does), so their parent is left for the pipeline to fill from the
        owned path. Reads (no request body) record nothing.
        """
        if not isinstance(request, dict) or not isinstance(response, dict):
            return []
        if response.get("object") == "conversation" and isinstance(response.get("id"), str):
            return [ObjectRef("conversation", response["id"])]
        if response.get("object") == "list" and "items" in request:
            return [ObjectRef("conversation_item", item_id)
                    for item_id in item_ids(response.get("data"))]
        return []


def routes() -> list[Route]:
    # Imported here: gateway.routes imports every family's routes() at its top.
    from ..routes import route

    codec = ConversationsCodec()
    return [
        route("POST", "conversations", codec),
        route("GET POST DELETE", "conversations/{id}", codec),
        route("GET POST", "conversations/{id}/items", codec),
        route("GET DELETE", "conversations/{id}/items/{child}", codec),
    ]
