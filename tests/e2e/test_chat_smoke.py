from __future__ import annotations

from gateway.simulator import SimulatorState

from tests.e2e.conftest import Gateway


def test_chat_roundtrip(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client()
    text = "My name is John Smith and my email is john.smith@example.com"
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
    assert answer.choices[0].message.content == "You said: " + text
    received = provider.bodies_text()
    assert "john.smith@example.com" not in received
    assert "John Smith" not in received
