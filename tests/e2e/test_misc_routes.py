"""Legacy completions, moderations, models and paths without a codec, end to end.

``policy_gateway`` starts a second gateway on the same simulated provider with
route settings changed in a copy of the shipped policy; the files, embeddings
and vector-store tests use it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import openai
import pytest
import yaml
from openai.types import ModerationTextInputParam

from gateway.simulator import SimulatorState
from policies import Scanner
from tests.e2e.conftest import Gateway, running_gateway

NAME = "John Smith"
EMAIL = "john.smith@example.com"
PHONE = "+1 212 555 0199"
CARD = "4111 1111 1111 1111"
PERSONAL = [NAME, EMAIL, PHONE, CARD, "4111111111111111"]
TEXT = f"My name is {NAME}, email {EMAIL}, phone {PHONE}, card {CARD}."
DEFAULT_POLICY = Path(__file__).parents[2] / "policies" / "default_policy.yaml"


def assert_nothing_personal_arrived(provider: SimulatorState,
                                    values: list[str] = PERSONAL) -> None:
    received = provider.bodies_text()
    for value in values:
        assert value not in received


@contextmanager
def policy_gateway(data_dir: Path, provider_url: str, scanner: Scanner,
                   **routes: str) -> Iterator[Gateway]:
    """A gateway whose policy is the shipped one with these ``routes`` settings."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text())
    policy["routes"].update(routes)
    policy_file = data_dir / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(policy))
    with running_gateway(data_dir, provider_url, scanner, policy_file=policy_file) as running:
        yield running


@pytest.fixture(scope="module")
def open_gateway(tmp_path_factory: pytest.TempPathFactory, provider_url: str,
                 scanner: Scanner) -> Iterator[Gateway]:
    with policy_gateway(tmp_path_factory.mktemp("open"), provider_url, scanner,
                        unknown_paths="passthrough") as gateway:
        yield gateway


def test_completion_is_tokenized_and_restored(gateway: Gateway,
                                              provider: SimulatorState) -> None:
    answer = gateway.client().completions.create(
        model="gpt-3.5-turbo-instruct", prompt=[TEXT, f"Call {PHONE}"])
    assert [choice.text for choice in answer.choices] == [
        "You said: " + TEXT, f"You said: Call {PHONE}"]
    assert_nothing_personal_arrived(provider)
    assert "<PERSON_" in provider.requests[-1].json["prompt"][0]


@pytest.mark.parametrize(("piece", "chunk"), [(1, None), (3, 7), (6, 1)])
def test_completion_stream_is_restored_however_cut(gateway: Gateway, provider: SimulatorState,
                                                   piece: int, chunk: int | None) -> None:
    provider.stream_piece_chars, provider.byte_chunk_size = piece, chunk
    stream = gateway.client().completions.create(
        model="gpt-3.5-turbo-instruct", prompt=TEXT, stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "You said: " + TEXT
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    assert_nothing_personal_arrived(provider)


def test_several_streamed_choices_each_restored(gateway: Gateway,
                                                provider: SimulatorState) -> None:
    provider.stream_piece_chars = 2
    stream = gateway.client().completions.create(
        model="gpt-3.5-turbo-instruct", prompt=f"I am {NAME}", n=2, stream=True)
    texts = {0: "", 1: ""}
    for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] += choice.text
    assert texts == {0: f"You said: I am {NAME}", 1: f"You said: I am {NAME}"}
    assert_nothing_personal_arrived(provider, [NAME])


def test_token_id_prompt_is_refused(gateway: Gateway, provider: SimulatorState) -> None:
    with pytest.raises(openai.BadRequestError, match="token ids"):
        gateway.client().completions.create(model="gpt-3.5-turbo-instruct", prompt=[1, 2, 3])
    assert provider.requests == []


def test_moderation_input_is_tokenized(gateway: Gateway, provider: SimulatorState) -> None:
    result = gateway.client().moderations.create(
        model="omni-moderation-latest", input=[TEXT, f"[[flag]] {EMAIL}"])
    assert [r.flagged for r in result.results] == [False, True]
    assert_nothing_personal_arrived(provider)
    part: ModerationTextInputParam = {"type": "text", "text": TEXT}
    multimodal = gateway.client().moderations.create(input=[part])
    assert len(multimodal.results) == 1
    assert_nothing_personal_arrived(provider)


def test_models_pass_through_for_any_tenant(gateway: Gateway, provider: SimulatorState) -> None:
    models = [model.id for model in gateway.client().models.list()]
    assert "gpt-4o-mini" in models
    other = gateway.client(key=gateway.other_tenant_key)
    assert other.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"
    with pytest.raises(openai.NotFoundError):
        other.models.retrieve("no-such-model")


def test_unknown_path_is_blocked_by_default(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client()
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.images.generate(model="dall-e-3", prompt=f"A portrait of {NAME}")
    error = caught.value.body
    assert isinstance(error, dict) and error["code"] == "path_blocked"
    assert "/v1/images/generations" in error["message"]
    assert provider.requests == []


def test_unknown_path_passes_through_scanned(open_gateway: Gateway,
                                            provider: SimulatorState) -> None:
    response = httpx.post(f"{open_gateway.url}/v1/images/generations",
                          headers={"Authorization": f"Bearer {open_gateway.app_key}"},
                          json={"model": "dall-e-3", "prompt": f"A portrait of {NAME}",
                                "metadata": {"email": EMAIL}})
    assert response.status_code == 404  # the simulated provider has no images API
    assert [request.path for request in provider.requests] == ["/v1/images/generations"]
    sent = provider.requests[0].json
    assert "<PERSON_" in sent["prompt"] and "<EMAIL_ADDRESS_" in sent["metadata"]["email"]
    assert_nothing_personal_arrived(provider)
