"""The /_sim control endpoints, for the demo and the benchmark."""

from __future__ import annotations

import httpx
import pytest

from gateway.simulator import SimulatorState
from gateway.simulator.control import parse_config
from gateway.simulator.errors import ApiError

pytestmark = pytest.mark.anyio

CHAT = {"model": "m", "messages": [{"role": "user", "content": "Ann"}]}


async def test_config_roundtrip(client: httpx.AsyncClient, state: SimulatorState) -> None:
    response = await client.post(
        "/_sim/config", json={"stream_piece_chars": 2, "byte_chunk_size": None}
    )
    assert response.json()["stream_piece_chars"] == 2
    assert state.stream_piece_chars == 2
    assert (await client.get("/_sim/config")).json() == state.config()


@pytest.mark.parametrize(
    "body",
    [[], {"nope": 1}, {"stream_piece_chars": 0}, {"byte_chunk_size": "3"}, {"delay_seconds": -1}],
)
def test_bad_config_is_refused(body: object) -> None:
    with pytest.raises(ApiError):
        parse_config(body)


async def test_bad_config_over_http_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/_sim/config", json={"delay_seconds": True})
    assert response.status_code == 400
    assert (await client.post("/_sim/config", content=b"{x")).status_code == 400


async def test_fail_hang_requests_objects_reset(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    assert (await client.post("/_sim/fail", json={"status": 500, "times": 1})).status_code == 200
    assert (await client.post("/v1/chat/completions", json=CHAT)).status_code == 500
    assert (await client.post("/_sim/hang", json={"seconds": 0})).status_code == 200
    await client.post("/v1/chat/completions", json={**CHAT, "store": True})
    recorded = (await client.get("/_sim/requests")).json()["data"]
    assert [r["path"] for r in recorded] == ["/v1/chat/completions"] * 2
    assert recorded[0]["json"] == CHAT
    assert recorded[0]["headers"]["authorization"] == "Bearer sk-test"
    assert len((await client.get("/_sim/objects")).json()["ids"]) == 1
    assert (await client.post("/_sim/reset")).json() == {"ok": True}
    assert state.requests == []
    assert state.live_ids() == set()


@pytest.mark.parametrize(
    "body", [{}, {"status": 200}, {"status": 500, "body": []}, {"status": 500, "times": 0}]
)
async def test_bad_fail_is_400(client: httpx.AsyncClient, body: object) -> None:
    assert (await client.post("/_sim/fail", json=body)).status_code == 400


async def test_bad_hang_is_400(client: httpx.AsyncClient) -> None:
    assert (await client.post("/_sim/hang", json={"seconds": "x"})).status_code == 400
