"""Build legacy completions SSE streams and read them back the way the SDK does."""

from __future__ import annotations

import itertools
import json

from gateway.codecs.completions import CompletionsStreamRestorer
from gateway.sse import SSEDecoder

from .fakes import restorer_of


def chunk(text: str, index: int = 0, finish: str | None = None) -> bytes:
    body = {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m",
            "choices": [{"text": text, "index": index, "logprobs": None,
                         "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


def completion_stream(choices: list[list[str]], *, finish: bool = True, usage: bool = False,
                      done: bool = True) -> bytes:
    """Pieces per choice, interleaved the way ``n > 1`` streams arrive."""
    parts: list[bytes] = []
    for step in range(max((len(pieces) for pieces in choices), default=0)):
        parts += [chunk(pieces[step], index) for index, pieces in enumerate(choices)
                  if step < len(pieces)]
    if finish:
        parts += [chunk("", index, "stop") for index in range(len(choices))]
    if usage:
        body = {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m",
                "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4,
                                         "total_tokens": 7}}
        parts.append(f"data: {json.dumps(body)}\n\n".encode())
    if done:
        parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def restore_stream(raw: bytes, cuts: list[int], values: dict[str, str]
                   ) -> tuple[dict[int, str], list[str], CompletionsStreamRestorer]:
    """Feed ``raw`` cut at ``cuts``; return (text per choice, data lines, restorer)."""

    def run() -> tuple[dict[int, str], list[str], CompletionsStreamRestorer]:
        restorer = CompletionsStreamRestorer(restorer_of(values))
        decoder = SSEDecoder()
        out = []
        bounds = [0, *sorted(cuts), len(raw)]
        for start, end in itertools.pairwise(bounds):
            for event in decoder.decode(raw[start:end]):
                out += restorer.on_event(event)
        for event in decoder.flush():
            out += restorer.on_event(event)
        out += restorer.finish()
        texts: dict[int, str] = {}
        datas = []
        for event in out:
            datas.append(event.data or "")
            if event.data is None or not event.data.startswith("{"):
                continue
            for choice in json.loads(event.data).get("choices") or []:
                texts[choice["index"]] = texts.get(choice["index"], "") + choice["text"]
        return texts, datas, restorer

    return run()
