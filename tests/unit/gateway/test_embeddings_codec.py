"""Embeddings per policy, moderations scanned, models passed through and never owned."""

from __future__ import annotations

import pytest

from gateway.codecs.embeddings import EmbeddingsCodec, has_token_ids
from gateway.codecs.misc import ModerationsCodec
from gateway.codecs.misc import routes as misc_routes
from gateway.errors import BadRequest, Forbidden
from gateway.routes import match_route

BODY = {"model": "text-embedding-3-small", "input": ["John Smith", "b"],
        "encoding_format": "base64", "dimensions": 8, "user": "u-1"}


def test_tokenize_scans_every_input_text() -> None:
    assert [slot.text for slot in EmbeddingsCodec().request_slots(BODY)] == ["John Smith", "b"]
    single = {"model": "m", "input": "John Smith"}
    assert [slot.path for slot in EmbeddingsCodec().request_slots(single)] == [("input",)]


def test_block_refuses_before_anything_is_sent() -> None:
    with pytest.raises(Forbidden) as caught:
        EmbeddingsCodec("block").request_slots(BODY)
    assert caught.value.code == "embeddings_blocked"


def test_allow_scans_nothing_and_accepts_token_ids() -> None:
    assert EmbeddingsCodec("allow").request_slots(BODY) == []
    assert EmbeddingsCodec("allow").request_slots({"model": "m", "input": [[1, 2]]}) == []


@pytest.mark.parametrize("value", [[1, 2], [[1], [2, 3]], ["a", 3]])
def test_token_ids_are_refused_when_scanning(value: object) -> None:
    assert has_token_ids(value)
    with pytest.raises(BadRequest) as caught:
        EmbeddingsCodec().request_slots({"model": "m", "input": value})
    assert (caught.value.status, caught.value.param) == (400, "input")


def test_text_inputs_are_not_token_ids() -> None:
    assert not has_token_ids("text")
    assert not has_token_ids(["a", "b"])
    assert not has_token_ids([])


def test_moderation_inputs_are_scanned_in_every_shape() -> None:
    body = {"model": "omni-moderation-latest", "input": [
        {"type": "text", "text": "John Smith"}, {"type": "image_url",
                                                 "image_url": {"url": "https://x/y.png"}}]}
    assert [slot.text for slot in ModerationsCodec().request_slots(body)] == [
        "John Smith", "https://x/y.png"]


def test_models_are_not_owned_objects() -> None:
    table = misc_routes()
    one = match_route(table, "GET", "models/ft:gpt-4o-mini:org::abc")
    assert one is not None and not one.route.owned and one.object_id is None
    listing = match_route(table, "GET", "models")
    assert listing is not None and not listing.route.owned
    assert match_route(table, "DELETE", "models/gpt-4o") is None
    assert match_route(table, "GET", "models/a/b") is None
