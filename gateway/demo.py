"""``piigate demo``: the whole flow offline, in one command.

Starts the simulated provider (``gateway.simulator``, for demos and tests
only) and a real gateway in front of it, creates a demo key, plays a short
scripted conversation and shows, side by side, what the app sent, what the
provider received and what the app got back. Then, unless ``--no-serve``,
keeps the gateway running for the reader to try.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from pydantic import SecretStr
from rich.console import Console
from rich.panel import Panel

from .app import create_app
from .keystore import KeyStore
from .server_thread import ServerThread
from .services import open_engine
from .settings import Settings
from .simulator import SimulatorState, create_simulator_app

SCRIPT = [
    "Hi, I'm Maria Keller. Please draft a short note to my landlord; my email is "
    "maria.keller@example.org and my phone is +44 20 7946 0958.",
    "Also mention my card 4111 1111 1111 1111 was charged twice, and sign it as Maria Keller.",
]
SUBJECT = "demo-customer-42"


def run_demo(settings: Settings, *, port: int, serve_after: bool) -> int:
    console = Console()
    state = SimulatorState()
    with ServerThread(create_simulator_app(state)) as provider:
        demo_settings = settings.model_copy(update={
            "upstream_base_url": f"{provider.url}/v1",
            "upstream_api_key": settings.upstream_api_key or SecretStr("sk-simulated"),
        })
        engine = open_engine(demo_settings)
        key = KeyStore(engine).create("demo", label="piigate demo").secret
        engine.dispose()
        console.print("[bold]Starting the gateway (loading the detection models)...[/bold]")
        with ServerThread(create_app(demo_settings), port=port) as gateway:
            _converse(console, gateway.url, key, state)
            if not serve_after:
                return 0
            console.print(Panel(
                f"The gateway is running at {gateway.url}/v1 in front of the simulated "
                f"provider.\nTry it: OpenAI(base_url=\"{gateway.url}/v1\", api_key=\"{key}\")\n"
                "Press Ctrl-C to stop.", title="piigate demo"))
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
    return 0


def _converse(console: Console, base_url: str, key: str, state: SimulatorState) -> None:
    messages: list[dict[str, Any]] = []
    headers = {"authorization": f"Bearer {key}", "x-piigate-subject": SUBJECT}
    with httpx.Client(base_url=f"{base_url}/v1", headers=headers, timeout=60) as client:
        for turn, text in enumerate(SCRIPT, start=1):
            messages.append({"role": "user", "content": text})
            before = len(state.requests)
            answer = client.post("/chat/completions",
                                 json={"model": "gpt-4o-mini", "messages": messages})
            answer.raise_for_status()
            reply = answer.json()["choices"][0]["message"]["content"]
            messages.append({"role": "assistant", "content": reply})
            received = state.requests[before].json if len(state.requests) > before else None
            sent_upstream = (received or {}).get("messages", [{}])[-1].get("content", "")
            console.print(Panel(
                f"[bold]app sent[/bold]\n{text}\n\n[bold]provider received[/bold]\n"
                f"{sent_upstream}\n\n[bold]app got back[/bold]\n{reply}",
                title=f"turn {turn}"))
    console.print("Everything the provider received, as JSON:")
    console.print_json(json.dumps([r.json for r in state.requests if r.json is not None]))
