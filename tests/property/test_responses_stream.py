"""The restored Responses stream equals the restored whole answer, however it is cut.

The recorded stream is the simulated provider's exact event sequence for an
answer with a reasoning summary, a message (with an annotation) and a
function call. It is re-chunked two ways: the text of every delta run is cut
again at every position (or at random positions), and the SSE bytes are cut
at random positions. Each time, the concatenated restored deltas, every
``*.done`` event and the final response must equal the restored whole texts,
and sequence numbers must stay strictly increasing.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.simulator.responses_stream import response_events
from gateway.sse import SSEEvent
from tests.unit.gateway.fakes import restorer_of
from tests.unit.gateway.responses_streams import (
    VALUES,
    Restored,
    function_call,
    message,
    reasoning,
    response,
    restore_events,
    restore_stream,
)

WORDS = st.sampled_from(["<PERSON_1>", "<EMAIL_ADDRESS_1>", "<PHONE_NUMBER_2>", "<PERSON_3>",
                         "<PERSON_7>", " said ", "<", ">", "é", "😀", "\n", "ok", "_1>", '"'])
TEXTS = st.lists(WORDS, max_size=10).map("".join)


def whole(text: str, escaped: bool = False) -> str:
    restorer = restorer_of(VALUES)
    return restorer.text(text, json_escaped=escaped)


def recorded(text: str) -> list[dict[str, Any]]:
    answer = response(reasoning("About " + text), message("You said: " + text, start=10),
                      function_call(json.dumps({"query": text})))
    return [event.data for event in response_events(answer, 1)]


def _run_key(payload: dict[str, Any]) -> tuple[Any, ...] | None:
    if not payload["type"].endswith(".delta"):
        return None
    return payload["type"], payload.get("output_index"), payload.get("content_index"), \
        payload.get("summary_index")


def rechunk(events: list[dict[str, Any]], cuts: list[int]) -> bytes:
    """Join each run of deltas and cut its text again at ``cuts`` (positions in the run)."""
    out: list[dict[str, Any]] = []
    index = 0
    while index < len(events):
        key = _run_key(events[index])
        if key is None:
            out.append(events[index])
            index += 1
            continue
        end = index
        while end < len(events) and _run_key(events[end]) == key:
            end += 1
        text = "".join(event["delta"] for event in events[index:end])
        bounds = sorted({0, len(text), *(cut % (len(text) + 1) for cut in cuts)})
        out += [{**events[index], "delta": text[start:stop]}
                for start, stop in itertools.pairwise(bounds)]
        index = end
    return b"".join(SSEEvent(data=json.dumps({**event, "sequence_number": number}),
                             event=event["type"]).encode()
                    for number, event in enumerate(out))


def expected(text: str) -> tuple[str, str, str, str]:
    """The restored whole texts: the message, the summary, the arguments, the value."""
    return (whole("You said: " + text), whole("About " + text),
            whole(json.dumps({"query": text}), escaped=True), whole(text))


def check(restored: Restored, texts: tuple[str, str, str, str]) -> None:
    said, about, arguments, value = texts
    assert restored.deltas("response.output_text.delta") == said
    assert restored.first("response.output_text.done")["text"] == said
    assert restored.deltas("response.reasoning_summary_text.delta") == about
    assert restored.first("response.reasoning_summary_text.done")["text"] == about
    assert restored.deltas("response.function_call_arguments.delta") == arguments
    assert restored.first("response.function_call_arguments.done")["arguments"] == arguments
    assert json.loads(arguments) == {"query": value}
    output = restored.first("response.completed")["response"]["output"]
    part = output[1]["content"][0]
    assert (output[0]["summary"][0]["text"], part["text"], output[2]["arguments"]) == (
        about, said, arguments)
    annotation = part["annotations"][0]
    assert said[annotation["start_index"]:annotation["end_index"]] == value
    numbers = restored.sequence()
    assert numbers == sorted(set(numbers))
    types = restored.types
    for kind in ("output_text", "reasoning_summary_text", "function_call_arguments"):
        last_delta = len(types) - types[::-1].index(f"response.{kind}.delta")
        assert last_delta <= types.index(f"response.{kind}.done")


@settings(max_examples=15, deadline=None)
@given(TEXTS)
def test_every_single_cut_of_the_text_gives_the_whole_answer(text: str) -> None:
    events, texts = recorded(text), expected(text)
    longest = len("You said: " + json.dumps({"query": text}))

    def every_cut() -> None:
        for cut in range(longest + 1):
            check(restore_events(rechunk(events, [cut])), texts)

    every_cut()


@settings(max_examples=40, deadline=None)
@given(TEXTS, st.lists(st.integers(0, 200), max_size=12),
       st.lists(st.integers(0, 100_000), max_size=8))
def test_random_delta_and_byte_cuts_give_the_whole_answer(text: str, cuts: list[int],
                                                           byte_cuts: list[int]) -> None:
    raw = rechunk(recorded(text), cuts)
    check(restore_stream(raw, [cut % (len(raw) + 1) for cut in byte_cuts]), expected(text))
