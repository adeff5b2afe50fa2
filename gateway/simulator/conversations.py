"""Conversations: durable item lists that Responses can read and append to."""

from __future__ import annotations

from gateway.simulator.common import (
    Call,
    Endpoint,
    Reply,
    deleted,
    metadata_of,
    new_id,
    now,
    page,
    required,
)
from gateway.simulator.errors import ApiError, invalid
from gateway.simulator.items import normalise_input
from gateway.simulator.state import JsonObject, SimulatorState

MAX_ITEMS_PER_CALL = 20


def endpoints() -> list[Endpoint]:
    return [
        Endpoint("POST", "/conversations", create),
        Endpoint("GET", "/conversations/{conversation_id}", retrieve),
        Endpoint("POST", "/conversations/{conversation_id}", update),
        Endpoint("DELETE", "/conversations/{conversation_id}", delete),
        Endpoint("POST", "/conversations/{conversation_id}/items", create_items),
        Endpoint("GET", "/conversations/{conversation_id}/items", list_items),
        Endpoint("GET", "/conversations/{conversation_id}/items/{item_id}", retrieve_item),
        Endpoint("DELETE", "/conversations/{conversation_id}/items/{item_id}", delete_item),
    ]


def conversation(state: SimulatorState, conversation_id: str) -> JsonObject:
    found = state.store.conversations.get(conversation_id)
    if found is None:
        raise ApiError(404, f"Conversation with id '{conversation_id}' not found.")
    return found


def append_items(state: SimulatorState, conversation_id: str, items: list[JsonObject]) -> None:
    """Add items at the end of a conversation (Responses uses this too)."""
    conversation(state, conversation_id)
    state.store.conversation_items[conversation_id].extend(items)


def _items(call: Call) -> list[JsonObject]:
    value = call.json().get("items") or []
    if not isinstance(value, list):
        raise invalid("items", "Invalid 'items': expected an array of items.")
    items = normalise_input(value, "items")
    if len(items) > MAX_ITEMS_PER_CALL:
        raise invalid("items", f"Invalid 'items': at most {MAX_ITEMS_PER_CALL} items at a time.")
    return items


def create(state: SimulatorState, call: Call) -> Reply:
    items = _items(call)
    created: JsonObject = {
        "id": new_id("conv_", 48),
        "object": "conversation",
        "created_at": now(),
        "metadata": metadata_of(call.json()),
    }
    state.store.conversations[created["id"]] = created
    state.store.conversation_items[created["id"]] = items
    return created


def retrieve(state: SimulatorState, call: Call) -> Reply:
    return conversation(state, call.params["conversation_id"])


def update(state: SimulatorState, call: Call) -> Reply:
    found = conversation(state, call.params["conversation_id"])
    required(call.json(), "metadata")
    found["metadata"] = metadata_of(call.json())
    return found


def delete(state: SimulatorState, call: Call) -> Reply:
    found = conversation(state, call.params["conversation_id"])
    del state.store.conversations[found["id"]]
    del state.store.conversation_items[found["id"]]
    return deleted(found["id"], "conversation.deleted")


def create_items(state: SimulatorState, call: Call) -> Reply:
    conversation_id = call.params["conversation_id"]
    required(call.json(), "items")
    items = _items(call)
    append_items(state, conversation_id, items)
    return {
        "object": "list",
        "data": items,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
        "has_more": False,
    }


def list_items(state: SimulatorState, call: Call) -> Reply:
    conversation_id = conversation(state, call.params["conversation_id"])["id"]
    return page(call, state.store.conversation_items[conversation_id])


def _item(state: SimulatorState, call: Call) -> JsonObject:
    conversation_id = conversation(state, call.params["conversation_id"])["id"]
    item_id = call.params["item_id"]
    for item in state.store.conversation_items[conversation_id]:
        if item.get("id") == item_id:
            return item
    raise ApiError(404, f"Item with id '{item_id}' not found.")


def retrieve_item(state: SimulatorState, call: Call) -> Reply:
    return _item(state, call)


def delete_item(state: SimulatorState, call: Call) -> Reply:
    item = _item(state, call)
    conversation_id = call.params["conversation_id"]
    state.store.conversation_items[conversation_id].remove(item)
    return conversation(state, conversation_id)
