"""SimulatorState: snapshots, reset, thread safety, live object ids."""

from __future__ import annotations

import threading

from gateway.simulator import RecordedRequest, SimulatorState


def recorded(body: bytes, parsed: object = None) -> RecordedRequest:
    return RecordedRequest("POST", "/v1/x", {}, {}, body, parsed)


def test_requests_is_a_snapshot() -> None:
    state = SimulatorState()
    state.record(recorded(b"{}"))
    snapshot = state.requests
    state.record(recorded(b"{}"))
    assert len(snapshot) == 1
    assert len(state.requests) == 2


def test_bodies_text_decodes_with_replacement() -> None:
    state = SimulatorState()
    state.record(recorded(b"file \xff bytes Ann"))
    state.record(recorded(b'{"a":"\\u00e9"}', {"a": "é"}))
    text = state.bodies_text()
    assert "file \ufffd bytes Ann" in text
    assert "é" in text


def test_reset_restores_initial_knobs_and_forgets_everything() -> None:
    state = SimulatorState(stream_piece_chars=2, byte_chunk_size=5)
    state.stream_piece_chars = 9
    state.delay_seconds = 1.0
    state.record(recorded(b"x"))
    state.fail_next(500)
    state.hang_next(1.0)
    state.store.files["file-1"] = {"id": "file-1"}
    state.reset()
    assert state.config() == {
        "stream_piece_chars": 2,
        "byte_chunk_size": 5,
        "delay_seconds": 0.0,
        "stream_delay_seconds": 0.0,
    }
    assert state.requests == []
    assert state.take_fault() is None
    assert state.take_hang() == 0.0
    assert state.live_ids() == set()


def test_faults_are_used_once_each_in_order() -> None:
    state = SimulatorState()
    state.fail_next(429, times=2)
    state.fail_next(500, {"error": {}})
    taken = [state.take_fault() for _ in range(4)]
    assert [f.status if f else None for f in taken] == [429, 429, 500, None]


def test_recording_from_many_threads_loses_nothing() -> None:
    state = SimulatorState()

    def work() -> None:
        for index in range(200):
            state.record(recorded(b"x"))
            if index % 50 == 0:
                state.bodies_text()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(state.requests) == 800


def test_live_ids_include_nested_objects() -> None:
    state = SimulatorState()
    state.store.threads["thread_1"] = {"id": "thread_1"}
    state.store.messages["thread_1"] = [{"id": "msg_1"}]
    state.store.vector_store_files["vs_1"] = {"file-1": {"vector_store_id": "vs_1"}}
    assert state.live_ids() == {"thread_1", "msg_1", "vs_1/file-1"}


def test_text_includes_the_query() -> None:
    request = RecordedRequest("GET", "/v1/chat/completions", {"metadata[name]": "Ann"}, {}, b"")
    assert "metadata[name]=Ann" in request.text()
