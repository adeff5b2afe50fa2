"""The app shell: auth, unknown paths, recording, injected faults and delays, byte chunks."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest

from gateway.simulator import SimulatorState, create_simulator_app
from tests.unit.simulator.sim_helpers import datas

pytestmark = pytest.mark.anyio

CHAT = {"model": "m", "messages": [{"role": "user", "content": "Zoë"}]}


def error_fields(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"message", "type", "code", "param"}
    return error


async def test_missing_or_empty_key_is_401(client: httpx.AsyncClient) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer  "}, {"Authorization": "x"}):
        response = await client.post("/v1/chat/completions", json=CHAT, headers=headers)
        assert response.status_code == 401
        assert error_fields(response)["type"] == "invalid_request_error"


async def test_unknown_path_is_404_in_openai_shape(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/no/such/thing", json={})
    assert response.status_code == 404
    assert error_fields(response)["message"] == "Invalid URL (POST /v1/no/such/thing)"
    wrong_method = await client.put("/v1/chat/completions", json=CHAT)
    assert wrong_method.status_code == 404


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/chat/completions", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "parse the JSON body" in error_fields(response)["message"]


async def test_every_request_is_recorded(client: httpx.AsyncClient, state: SimulatorState) -> None:
    await client.post("/v1/chat/completions?x=1", json=CHAT, headers={"X-Custom": "v"})
    await client.post("/v1/chat/completions", json=CHAT, headers={"Authorization": ""})
    first, second = state.requests
    assert (first.method, first.path, first.query) == ("POST", "/v1/chat/completions", {"x": "1"})
    assert first.headers["authorization"] == "Bearer sk-test"
    assert first.headers["x-custom"] == "v"
    assert first.json == CHAT
    assert json.loads(first.body) == CHAT
    assert second.headers["authorization"] == ""


async def test_bodies_text_finds_escaped_values(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    await client.post(
        "/v1/chat/completions",
        content=json.dumps(CHAT, ensure_ascii=True).encode(),
        headers={"content-type": "application/json"},
    )
    assert "Zoë" in state.bodies_text()
    assert "\\u00eb" in state.bodies_text()


async def test_fail_next_injects_default_errors(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    state.fail_next(429, times=2)
    for _ in range(2):
        response = await client.post("/v1/chat/completions", json=CHAT)
        assert response.status_code == 429
        assert error_fields(response)["code"] == "rate_limit_exceeded"
    assert (await client.post("/v1/chat/completions", json=CHAT)).status_code == 200
    state.fail_next(503)
    response = await client.post("/v1/chat/completions", json=CHAT)
    assert (response.status_code, error_fields(response)["type"]) == (503, "server_error")
    assert len(state.requests) == 4


async def test_fail_next_with_a_body(client: httpx.AsyncClient, state: SimulatorState) -> None:
    body = {"error": {"message": "bad <PERSON_1>", "type": "x", "code": None, "param": None}}
    state.fail_next(400, body)
    response = await client.post("/v1/chat/completions", json=CHAT)
    assert (response.status_code, response.json()) == (400, body)


async def test_hang_next_holds_one_request(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    state.hang_next(30)
    with anyio.move_on_after(0.05) as scope:
        await client.post("/v1/chat/completions", json=CHAT)
    assert scope.cancelled_caught
    assert (await client.post("/v1/chat/completions", json=CHAT)).status_code == 200


async def test_delays_still_answer(client: httpx.AsyncClient, state: SimulatorState) -> None:
    state.delay_seconds = 0.01
    state.stream_delay_seconds = 0.001
    response = await client.post("/v1/chat/completions", json={**CHAT, "stream": True})
    assert datas(response.text)[-1] == "[DONE]"


async def raw_writes(app: Any, body: dict[str, Any]) -> list[bytes]:
    """Call the ASGI app directly to see each body write the server makes."""
    payload = json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"authorization", b"Bearer k"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("sim", 80),
    }
    messages = [{"type": "http.request", "body": payload, "more_body": False}]
    writes: list[bytes] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await anyio.sleep_forever()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            writes.append(message["body"])

    await app(scope, receive, send)
    return writes


async def test_byte_chunk_size_cuts_the_stream_anywhere() -> None:
    state = SimulatorState(byte_chunk_size=3)
    writes = await raw_writes(create_simulator_app(state), {**CHAT, "stream": True})
    assert all(len(write) == 3 for write in writes[:-1])
    whole = b"".join(writes).decode()
    assert datas(whole)[-1] == "[DONE]"
    state.byte_chunk_size = None
    per_event = await raw_writes(create_simulator_app(state), {**CHAT, "stream": True})
    assert all(write.endswith(b"\n\n") for write in per_event)


async def test_a_non_object_body_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/chat/completions", json=[1, 2])
    assert response.status_code == 400
    assert error_fields(response)["message"] == "The request body must be a JSON object."


async def test_responses_carry_a_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/models")
    assert response.headers["x-request-id"].startswith("req_")
