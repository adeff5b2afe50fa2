"""A simulated OpenAI-compatible provider, for piigate's tests and ``piigate demo`` only.

It is never used to serve real traffic. It speaks OpenAI's wire format (JSON
and SSE) for Chat Completions, legacy completions, embeddings, moderations,
models, Responses, Conversations, Assistants v2, files, batches and vector
stores; keeps what it creates in memory; echoes what it received so that a
test sees the gateway restore values; and records every request so that a
test can assert no personal value arrived. Tests steer it through
``SimulatorState`` (in process) or the ``/_sim/*`` endpoints (out of
process): stream piece size, byte-level chunking, delays, injected errors.

It stands alone: it imports nothing else from ``gateway`` nor from ``vault``,
``policies`` or ``audit``, so it can play the provider for any of them.

Echo rules (the last user text is ``T``):

- answer text: ``"You said: " + T``; after a tool result ``R``: ``"Tool result: " + R``
- with a function tool offered: a call to it with arguments ``{"query": T}``
- ``[[refuse]]`` in ``T``: a refusal ``"I can't help with that: " + T`` (directive removed)
- structured output (``json_schema``/``json_object``): ``{"echo": T}``
"""

from __future__ import annotations

from gateway.simulator.app import create_simulator_app
from gateway.simulator.errors import ApiError, SimulatorError
from gateway.simulator.state import RecordedRequest, SimulatorState

__all__ = [
    "ApiError",
    "RecordedRequest",
    "SimulatorError",
    "SimulatorState",
    "create_simulator_app",
]
