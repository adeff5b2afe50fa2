"""The simulator behind a real socket, served by uvicorn in a thread.

This is how the end-to-end tests and ``piigate demo`` run it: the test
thread reads the state while the server thread writes it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn

from gateway.simulator import SimulatorState, create_simulator_app
from tests.unit.simulator.sim_helpers import AUTH, datas

CHAT = {"model": "m", "messages": [{"role": "user", "content": "Zoë " * 20}], "stream": True}


@pytest.fixture
def served(state: SimulatorState) -> Iterator[str]:
    config = uvicorn.Config(
        create_simulator_app(state), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_byte_chunked_stream_over_a_socket(served: str, state: SimulatorState) -> None:
    state.byte_chunk_size = 3
    with httpx.Client(base_url=served, headers=AUTH) as client:
        response = client.post("/v1/chat/completions", json=CHAT)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in datas(response.text)[:-1])
    assert text == "You said: " + "Zoë " * 20
    wait_for(lambda: state.streams_completed == 1)
    assert state.requests[0].json == CHAT


def test_client_leaving_mid_stream_is_noticed(served: str, state: SimulatorState) -> None:
    state.stream_piece_chars = 1
    state.stream_delay_seconds = 0.02
    with (
        httpx.Client(base_url=served, headers=AUTH) as client,
        client.stream("POST", "/v1/chat/completions", json=CHAT) as response,
    ):
        next(response.iter_raw())
    wait_for(lambda: state.streams_aborted == 1)
    assert state.streams_completed == 0
