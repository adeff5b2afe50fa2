"""Legacy completions, embeddings, moderations, models."""

from __future__ import annotations

import base64
import struct
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.simulator.misc import vector
from tests.unit.simulator.sim_helpers import datas

pytestmark = pytest.mark.anyio


async def post(client: httpx.AsyncClient, url: str, status: int = 200, **body: Any) -> Any:
    response = await client.post(url, json=body)
    assert response.status_code == status, response.text
    return response.json() if not body.get("stream") else datas(response.text)


async def test_completions_echo_each_prompt(client: httpx.AsyncClient) -> None:
    result = await post(client, "/v1/completions", model="gpt-3.5-turbo-instruct", prompt="Ann")
    assert result["id"].startswith("cmpl-")
    assert (result["object"], result["choices"][0]["text"]) == ("text_completion", "You said: Ann")
    several = await post(client, "/v1/completions", model="m", prompt=["a", "b"])
    assert [c["text"] for c in several["choices"]] == ["You said: a", "You said: b"]
    await post(client, "/v1/completions", 400, model="m")
    await post(client, "/v1/completions", 400, model="m", prompt=[])


async def test_completions_stream(client: httpx.AsyncClient) -> None:
    chunks = await post(
        client,
        "/v1/completions",
        model="m",
        prompt="Zoë",
        stream=True,
        stream_options={"include_usage": True},
    )
    assert chunks[-1] == "[DONE]"
    assert chunks[-2]["usage"]["total_tokens"] > 0
    text = "".join(c["choices"][0]["text"] for c in chunks[:-2])
    assert text == "You said: Zoë"
    assert chunks[-3]["choices"][0]["finish_reason"] == "stop"


async def test_embeddings_are_deterministic(client: httpx.AsyncClient) -> None:
    result = await post(
        client, "/v1/embeddings", model="text-embedding-3-small", input=["a", "b", "a"]
    )
    vectors = [d["embedding"] for d in result["data"]]
    assert len(vectors[0]) == 8
    assert vectors[0] == vectors[2] != vectors[1]
    assert result["usage"]["prompt_tokens"] == result["usage"]["total_tokens"]
    sized = await post(client, "/v1/embeddings", model="m", input="a", dimensions=3)
    assert sized["data"][0]["embedding"] == vectors[0][:3]
    encoded = await post(client, "/v1/embeddings", model="m", input="a", encoding_format="base64")
    raw = base64.b64decode(encoded["data"][0]["embedding"])
    assert list(struct.unpack("<8f", raw)) == pytest.approx(vectors[0], abs=1e-6)
    await post(client, "/v1/embeddings", 400, model="m", input="a", encoding_format="x")
    await post(client, "/v1/embeddings", 400, model="m", input=[])


@given(st.text(), st.integers(1, 100))
def test_vector_shape(text: str, dimensions: int) -> None:
    values = vector(text, dimensions)
    assert len(values) == dimensions
    assert all(-1.0 <= v < 1.0 for v in values)
    assert values == vector(text, dimensions)


async def test_moderations(client: httpx.AsyncClient) -> None:
    result = await post(client, "/v1/moderations", input=["fine", "[[flag]] bad"])
    assert result["id"].startswith("modr-")
    assert [r["flagged"] for r in result["results"]] == [False, True]
    assert result["results"][1]["categories"]["harassment"] is True
    parts = [{"type": "text", "text": "fine"}]
    assert len((await post(client, "/v1/moderations", input=parts))["results"]) == 1


async def test_models(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/v1/models")).json()
    assert "gpt-4o-mini" in [m["id"] for m in listed["data"]]
    assert (await client.get("/v1/models/gpt-4o-mini")).json()["object"] == "model"
    missing = await client.get("/v1/models/nope")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "model_not_found")
