"""Embeddings end to end under each ``routes.embeddings`` policy setting."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from gateway.simulator import SimulatorState
from policies import Scanner
from tests.e2e.conftest import Gateway
from tests.e2e.test_misc_routes import (
    EMAIL,
    NAME,
    TEXT,
    assert_nothing_personal_arrived,
    policy_gateway,
)


@pytest.fixture(scope="module")
def blocking_gateway(tmp_path_factory: pytest.TempPathFactory, provider_url: str,
                     scanner: Scanner) -> Iterator[Gateway]:
    with policy_gateway(tmp_path_factory.mktemp("block"), provider_url, scanner,
                        embeddings="block") as gateway:
        yield gateway


@pytest.fixture(scope="module")
def allowing_gateway(tmp_path_factory: pytest.TempPathFactory, provider_url: str,
                     scanner: Scanner) -> Iterator[Gateway]:
    with policy_gateway(tmp_path_factory.mktemp("allow"), provider_url, scanner,
                        embeddings="allow") as gateway:
        yield gateway


def test_inputs_are_tokenized_by_default(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client()
    result = client.embeddings.create(model="text-embedding-3-small",
                                      input=[TEXT, "nothing personal"])
    assert [item.index for item in result.data] == [0, 1]
    assert len(result.data[0].embedding) == 8
    assert_nothing_personal_arrived(provider)
    sent = provider.requests[-1].json["input"]
    assert "<PERSON_" in sent[0] and sent[1] == "nothing personal"


def test_same_value_gives_the_same_token_and_vector(gateway: Gateway,
                                                    provider: SimulatorState) -> None:
    client = gateway.client()
    first = client.embeddings.create(model="text-embedding-3-small", input=EMAIL,
                                     encoding_format="float")
    second = client.embeddings.create(model="text-embedding-3-small", input=[EMAIL],
                                      encoding_format="float")
    assert first.data[0].embedding == second.data[0].embedding
    assert_nothing_personal_arrived(provider, [EMAIL])


def test_token_ids_are_refused_when_scanning(gateway: Gateway,
                                             provider: SimulatorState) -> None:
    with pytest.raises(openai.BadRequestError, match="token ids"):
        gateway.client().embeddings.create(model="text-embedding-3-small", input=[[1, 2, 3]])
    assert provider.requests == []


def test_block_policy_refuses(blocking_gateway: Gateway, provider: SimulatorState) -> None:
    with pytest.raises(openai.PermissionDeniedError) as caught:
        blocking_gateway.client().embeddings.create(model="text-embedding-3-small",
                                                    input="harmless")
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["code"] == "embeddings_blocked"
    assert provider.requests == []


def test_allow_policy_sends_input_unchanged(allowing_gateway: Gateway,
                                            provider: SimulatorState) -> None:
    client = allowing_gateway.client()
    client.embeddings.create(model="text-embedding-3-small", input=f"I am {NAME}")
    assert provider.requests[-1].json["input"] == f"I am {NAME}"
    client.embeddings.create(model="text-embedding-3-small", input=[[1, 2, 3]])
    assert provider.requests[-1].json["input"] == [[1, 2, 3]]
