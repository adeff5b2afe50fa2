"""Listings of objects on the shared provider account show only the caller's tenant's."""

from __future__ import annotations

from gateway.simulator import SimulatorState
from tests.e2e.conftest import Gateway


def test_file_listing_is_cut_to_the_tenant(gateway: Gateway, provider: SimulatorState) -> None:
    mine = gateway.client().files.create(file=("a.txt", b"hello", "text/plain"),
                                         purpose="assistants")
    theirs = gateway.client(key=gateway.other_tenant_key).files.create(
        file=("b.txt", b"hello", "text/plain"), purpose="assistants")
    listed = {f.id for f in gateway.client().files.list()}
    assert mine.id in listed and theirs.id not in listed
    other_listed = {f.id for f in gateway.client(key=gateway.other_tenant_key).files.list()}
    assert theirs.id in other_listed and mine.id not in other_listed


def test_stored_chat_completions_listing_is_cut_to_the_tenant(gateway: Gateway,
                                                              provider: SimulatorState) -> None:
    mine = gateway.client().chat.completions.create(
        model="m", store=True, messages=[{"role": "user", "content": "hi"}])
    theirs = gateway.client(key=gateway.other_tenant_key).chat.completions.create(
        model="m", store=True, messages=[{"role": "user", "content": "hi"}])
    listed = {c.id for c in gateway.client().chat.completions.list()}
    assert mine.id in listed and theirs.id not in listed


def test_models_listing_is_whole(gateway: Gateway, provider: SimulatorState) -> None:
    assert len(gateway.client().models.list().data) > 0
