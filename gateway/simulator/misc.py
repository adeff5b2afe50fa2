"""Legacy completions, embeddings, moderations and models.

Embeddings are deterministic (a hash of the input), so a test can tell
whether the provider saw the same text twice, e.g. the same token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from typing import Any

from gateway.simulator.common import (
    ECHO_PREFIX,
    Call,
    Endpoint,
    Reply,
    count_tokens,
    new_id,
    now,
    pieces,
    required,
    text_of,
)
from gateway.simulator.errors import ApiError, invalid
from gateway.simulator.sse import DONE, EventStream, SseEvent
from gateway.simulator.state import JsonObject, SimulatorState

DEFAULT_DIMENSIONS = 8
FLAG_DIRECTIVE = "[[flag]]"
MODELS = (
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-3.5-turbo-instruct",
    "text-embedding-3-small",
    "omni-moderation-latest",
)
MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


def endpoints() -> list[Endpoint]:
    return [
        Endpoint("POST", "/completions", completions),
        Endpoint("POST", "/embeddings", embeddings),
        Endpoint("POST", "/moderations", moderations),
        Endpoint("GET", "/models", list_models),
        Endpoint("GET", "/models/{model}", retrieve_model),
    ]


def _prompts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(p, str) for p in value):
        return list(value)
    if isinstance(value, list) and value:
        return [json.dumps(value)]  # token arrays: echo them as text
    raise invalid("prompt", "Invalid 'prompt': expected a string or an array of strings.")


def completions(state: SimulatorState, call: Call) -> Reply:
    body = call.json()
    model = required(body, "model")
    prompts = _prompts(required(body, "prompt"))
    n = body.get("n") or 1
    texts = [ECHO_PREFIX + prompt for prompt in prompts for _ in range(n)]
    prompt_tokens = sum(count_tokens(p) for p in prompts)
    completion_tokens = sum(count_tokens(t) for t in texts)
    result: JsonObject = {
        "id": new_id("cmpl-"),
        "object": "text_completion",
        "created": now(),
        "model": model,
        "system_fingerprint": "fp_simulated",
        "choices": [
            {"text": text, "index": i, "logprobs": None, "finish_reason": "stop"}
            for i, text in enumerate(texts)
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    if body.get("stream"):
        options = body.get("stream_options") or {}
        return EventStream(_completion_chunks(result, state, bool(options.get("include_usage"))))
    return result


def _completion_chunks(result: JsonObject, state: SimulatorState, usage: bool) -> list[SseEvent]:
    head = {k: result[k] for k in ("id", "object", "created", "model", "system_fingerprint")}
    events: list[SseEvent] = []
    for choice in result["choices"]:
        for piece in pieces(choice["text"], state.stream_piece_chars):
            delta = {"text": piece, "index": choice["index"], "logprobs": None}
            events.append(SseEvent({**head, "choices": [{**delta, "finish_reason": None}]}))
        done = {"text": "", "index": choice["index"], "logprobs": None, "finish_reason": "stop"}
        events.append(SseEvent({**head, "choices": [done]}))
    if usage:
        events.append(SseEvent({**head, "choices": [], "usage": result["usage"]}))
    events.append(SseEvent(DONE))
    return events


def vector(value: str, dimensions: int) -> list[float]:
    """Floats in [-1, 1) derived from SHA-256 of the input: same text, same vector."""
    floats: list[float] = []
    counter = 0
    while len(floats) < dimensions:
        digest = hashlib.sha256(f"{counter}:{value}".encode()).digest()
        floats.extend(b / 128.0 - 1.0 for b in digest)
        counter += 1
    return [round(f, 6) for f in floats[:dimensions]]


def _inputs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value:
        return [item if isinstance(item, str) else json.dumps(item) for item in value]
    raise invalid("input", "Invalid 'input': expected a string or a non-empty array.")


def embeddings(_state: SimulatorState, call: Call) -> Reply:
    body = call.json()
    model = required(body, "model")
    inputs = _inputs(required(body, "input"))
    dimensions = body.get("dimensions") or DEFAULT_DIMENSIONS
    if type(dimensions) is not int or not 1 <= dimensions <= 4096:
        raise invalid("dimensions", "Invalid 'dimensions': must be 1 to 4096.")
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise invalid("encoding_format", "Invalid 'encoding_format': 'float' or 'base64'.")
    data = []
    for index, text in enumerate(inputs):
        floats = vector(text, dimensions)
        embedding: Any = floats
        if encoding == "base64":
            embedding = base64.b64encode(struct.pack(f"<{len(floats)}f", *floats)).decode()
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = sum(count_tokens(text) for text in inputs)
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def moderations(_state: SimulatorState, call: Call) -> Reply:
    """Flags only inputs holding ``[[flag]]``; the rest is the response shape."""
    body = call.json()
    value = required(body, "input")
    texts = [text_of(value)] if isinstance(value, list) and _multimodal(value) else _inputs(value)
    return {
        "id": new_id("modr-"),
        "model": body.get("model") or "omni-moderation-latest",
        "results": [_moderation(text) for text in texts],
    }


def _multimodal(value: list[Any]) -> bool:
    return any(isinstance(item, dict) for item in value)


def _moderation(text: str) -> JsonObject:
    flagged = FLAG_DIRECTIVE in text
    return {
        "flagged": flagged,
        "categories": {name: flagged and name == "harassment" for name in MODERATION_CATEGORIES},
        "category_scores": {
            name: 0.99 if flagged and name == "harassment" else 0.0001
            for name in MODERATION_CATEGORIES
        },
        "category_applied_input_types": {name: ["text"] for name in MODERATION_CATEGORIES},
    }


def _model(model_id: str) -> JsonObject:
    return {"id": model_id, "object": "model", "created": 1_700_000_000, "owned_by": "system"}


def list_models(_state: SimulatorState, _call: Call) -> Reply:
    return {"object": "list", "data": [_model(model_id) for model_id in MODELS]}


def retrieve_model(_state: SimulatorState, call: Call) -> Reply:
    model_id = call.params["model"]
    if model_id not in MODELS:
        raise ApiError(
            404,
            f"The model '{model_id}' does not exist or you do not have access to it.",
            code="model_not_found",
            param="model",
        )
    return _model(model_id)
