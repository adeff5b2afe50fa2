"""Batch input files: each line protected through the codec of its url; batch objects."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.codecs.base import Codec, JsonCodec, ObjectRef
from gateway.codecs.batches import BatchesCodec, RouteCodecs, protect_batch_jsonl
from gateway.codecs.chat import ChatCodec
from gateway.codecs.embeddings import EmbeddingsCodec
from gateway.codecs.files import FilesCodec
from gateway.errors import BadRequest, Forbidden, NotFound
from gateway.routes import build_routes
from policies import load_policy

from .files_fakes import FakeProtector, Owned, file_part, upload

pytestmark = pytest.mark.anyio


def codecs(url: str) -> Codec | None:
    return {"/v1/chat/completions": ChatCodec(),
            "/v1/embeddings": EmbeddingsCodec(),
            "/v1/responses": _Referencing()}.get(url)


class _Referencing(JsonCodec):
    def referenced_objects(self, body: Any) -> list[str]:
        return [body["previous_response_id"]] if "previous_response_id" in body else []


def line(url: str, body: dict[str, Any], custom_id: str = "r1") -> str:
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": url, "body": body})


async def test_chat_lines_are_protected_like_direct_calls() -> None:
    chat = {"model": "gpt-4o-mini", "user": "john.smith@example.com", "messages": [
        {"role": "user", "content": "I am John Smith"},
        {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {
            "name": "lookup", "arguments": json.dumps({"who": "John Smith", "n": 1})}}]}]}
    untouched = line("/v1/embeddings", {"model": "e", "input": "nothing"}, "r2")
    text = line("/v1/chat/completions", chat, "John Smith") + "\n" + untouched + "\r\n\n"
    protector = FakeProtector()
    out = await protect_batch_jsonl(text, codecs, protector)
    first, second, blank = out.splitlines(keepends=True)
    document = json.loads(first)
    body = document["body"]
    assert (document["custom_id"], document["url"]) == ("<PERSON_1>", "/v1/chat/completions")
    assert body["messages"][0]["content"] == "I am <PERSON_1>"
    call = body["messages"][1]["tool_calls"][0]["function"]
    assert json.loads(call["arguments"]) == {"who": "<PERSON_1>", "n": 1}
    assert (call["name"], body["model"]) == ("lookup", "gpt-4o-mini")
    assert body["user"] == "<EMAIL_ADDRESS_1>"
    assert (second, blank) == (untouched + "\r\n", "\n")
    assert len(protector.calls) == 1  # the whole file in one detection batch
    assert "lookup" not in protector.seen and "gpt-4o-mini" not in protector.seen


@pytest.mark.parametrize(("text", "match"), [
    ("not json\n", "line 1 .* not JSON"),
    ('{"url": "/v1/chat/completions"}\n', "url and a body"),
    (line("/v1/images/generations", {"prompt": "x"}) + "\n", "does not serve"),
])
async def test_lines_that_cannot_be_protected_are_refused(text: str, match: str) -> None:
    with pytest.raises(BadRequest, match=match):
        await protect_batch_jsonl(text, codecs, FakeProtector())


async def test_lines_may_build_on_the_tenants_stored_objects_only() -> None:
    text = "\n".join([
        line("/v1/responses", {"previous_response_id": "resp_mine", "input": "John Smith"}),
        line("/v1/responses", {"previous_response_id": "resp_other", "input": "x"}, "r2"),
        line("/v1/responses", {"previous_response_id": "resp_mine", "input": "y"}, "r3"),
    ])
    owned = Owned("resp_mine")
    with pytest.raises(NotFound, match=r"line 2 .* 'resp_other'") as caught:
        await protect_batch_jsonl(text, codecs, FakeProtector().with_owned(owned))
    assert caught.value.code == "object_not_found"
    assert owned.asked == [["resp_mine", "resp_other"]]  # one ledger question per file
    out = await protect_batch_jsonl(text.replace("resp_other", "resp_mine"), codecs,
                                    FakeProtector().with_owned(owned))
    assert json.loads(out.splitlines()[0])["body"] == {
        "previous_response_id": "resp_mine", "input": "<PERSON_1>"}


async def test_a_line_the_policy_blocks_refuses_the_file() -> None:
    def blocked(url: str) -> Codec | None:
        return EmbeddingsCodec("block")

    with pytest.raises(Forbidden):
        await protect_batch_jsonl(line("/v1/embeddings", {"input": "x"}), blocked,
                                  FakeProtector())


async def test_batch_upload_goes_through_the_line_codecs() -> None:
    text = line("/v1/chat/completions", {"model": "m", "messages": [
        {"role": "user", "content": "John Smith"}]}) + "\n"
    out = file_part(await FilesCodec(batch_codecs=codecs).protect_raw(
        upload(text.encode(), "in.jsonl", "batch", "application/jsonl"), FakeProtector()))
    assert json.loads(out.data)["body"]["messages"][0]["content"] == "<PERSON_1>"


def test_route_codecs_use_the_gateway_route_table() -> None:
    policy = load_policy(None)
    resolve = RouteCodecs(policy)
    resolve.use(build_routes(policy))
    assert isinstance(resolve("/v1/chat/completions"), ChatCodec)
    assert isinstance(resolve("v1/embeddings"), EmbeddingsCodec)
    assert resolve("/v1/images/generations") is None
    assert resolve("/v1/chat/completions/chatcmpl-1") is None  # an owned object is no target
    passthrough = policy.model_copy(update={"routes": policy.routes.model_copy(
        update={"unknown_paths": "passthrough"})})
    resolve = RouteCodecs(passthrough)
    resolve.use(build_routes(passthrough))
    assert type(resolve("/v1/images/generations")) is JsonCodec


def test_batches_codec_references_and_records() -> None:
    codec = BatchesCodec()
    assert codec.referenced_objects({"input_file_id": "file-1", "endpoint": "x"}) == ["file-1"]
    assert codec.referenced_objects({}) == []
    done = {"id": "batch_1", "object": "batch", "output_file_id": "file-out",
            "error_file_id": None}
    assert codec.created_objects({}, done) == [
        ObjectRef("batch", "batch_1"), ObjectRef("file", "file-out", "batch_1")]
    assert codec.created_objects(None, {"object": "list", "data": [done]}) == []


def test_batch_metadata_is_scanned_but_enums_are_not() -> None:
    body = {"input_file_id": "file-1", "endpoint": "/v1/chat/completions",
            "completion_window": "24h", "metadata": {"owner": "John Smith"},
            "output_expires_after": {"anchor": "created_at", "seconds": 3600}}
    assert [slot.text for slot in BatchesCodec().request_slots(body)] == ["owner", "John Smith"]
