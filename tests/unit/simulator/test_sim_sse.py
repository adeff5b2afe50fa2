"""The SSE writer: exact wire text and byte chunking that loses nothing."""

from __future__ import annotations

import anyio
from hypothesis import given
from hypothesis import strategies as st

from gateway.simulator.sse import DONE, EventStream, SseEvent, chunks, write


def test_unnamed_and_named_events_match_openai() -> None:
    assert SseEvent({"a": "é"}).encode() == 'data: {"a":"é"}\n\n'.encode()
    assert SseEvent(DONE).encode() == b"data: [DONE]\n\n"
    named = SseEvent({"x": 1}, event="thread.run.created").encode()
    assert named == b'event: thread.run.created\ndata: {"x":1}\n\n'


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=20)


@given(st.lists(texts, max_size=6), st.one_of(st.none(), st.integers(1, 50)))
def test_chunks_join_to_the_whole_stream(values: list[str], size: int | None) -> None:
    stream = EventStream([SseEvent({"t": value}) for value in values] + [SseEvent(DONE)])
    whole = b"".join(event.encode() for event in stream.events)
    written = chunks(stream, size)
    assert b"".join(written) == whole
    if size:
        assert all(len(chunk) <= size for chunk in written)
    else:
        assert len(written) == len(stream.events)


def test_write_pauses_between_writes_only() -> None:
    pauses: list[int] = []

    async def pause() -> None:
        pauses.append(1)

    async def collect() -> list[bytes]:
        stream = EventStream([SseEvent({"n": 1}), SseEvent(DONE)])
        return [chunk async for chunk in write(stream, None, pause)]

    assert len(anyio.run(collect)) == 2
    assert len(pauses) == 1
