"""File uploads end to end: tokenized before they leave, read back restored, tenant-bound."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import openai
import pytest

from gateway.simulator import SimulatorState
from policies import Scanner
from tests.e2e.conftest import Gateway
from tests.e2e.test_misc_routes import (
    EMAIL,
    NAME,
    PERSONAL,
    PHONE,
    TEXT,
    assert_nothing_personal_arrived,
    policy_gateway,
)
from tests.unit.gateway.test_extract import make_pdf

NOTES = (f"Meeting notes\r\n\r\n{TEXT}\r\n\r\n- follow up with {NAME}\n"
         "- nothing personal on this line\n").encode()

# A subject of these tests' own: what they store stays out of other tests' scope.
SUBJECT = "files-e2e"


@pytest.fixture(scope="module")
def strict_gateway(tmp_path_factory: pytest.TempPathFactory, provider_url: str,
                   scanner: Scanner) -> Iterator[Gateway]:
    with policy_gateway(tmp_path_factory.mktemp("strict"), provider_url, scanner,
                        pdf_files="refuse", binary_files="passthrough") as gateway:
        yield gateway


def stored_bytes(provider: SimulatorState, file_id: str) -> bytes:
    return provider.store.file_bytes[file_id]


def test_text_upload_is_tokenized_and_reads_back_whole(gateway: Gateway,
                                                       provider: SimulatorState) -> None:
    client = gateway.client(SUBJECT)
    created = client.files.create(file=(f"{NAME} notes.txt", NOTES, "text/plain"),
                                  purpose="assistants")
    assert created.filename == f"{NAME} notes.txt"
    assert_nothing_personal_arrived(provider)
    stored = stored_bytes(provider, created.id).decode()
    assert "<PERSON_" in stored and "<EMAIL_ADDRESS_" in stored
    assert stored.count("\r\n") == NOTES.decode().count("\r\n")
    assert client.files.content(created.id).content == NOTES
    assert client.files.retrieve(created.id).filename == f"{NAME} notes.txt"
    assert created.id in [item.id for item in client.files.list(purpose="assistants")]
    assert client.files.delete(created.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)


def test_structured_text_files_keep_their_structure(gateway: Gateway,
                                                    provider: SimulatorState) -> None:
    client = gateway.client(SUBJECT)
    uploads = {
        "people.csv": f'name,email,phone\r\n"{NAME}",{EMAIL},{PHONE}\r\nAnn,-,-\r\n',
        "data.json": json.dumps({"owner": NAME, "contact": {"email": EMAIL}, "n": 1},
                                indent=2),
        "train.jsonl": "".join(json.dumps({"messages": [
            {"role": "user", "content": f"I am {NAME}"},
            {"role": "assistant", "content": f"Hello {NAME}"}]}) + "\n" for _ in range(2)),
    }
    for filename, text in uploads.items():
        created = client.files.create(file=(filename, text.encode(), "text/plain"),
                                      purpose="fine-tune" if "jsonl" in filename else
                                      "user_data")
        stored = stored_bytes(provider, created.id).decode()
        assert len(stored.splitlines()) == len(text.splitlines())
        if filename.endswith("json"):
            assert json.loads(stored)["n"] == 1
        if filename.endswith("jsonl"):
            assert all(json.loads(line)["messages"] for line in stored.splitlines())
        assert client.files.content(created.id).text == text
    assert_nothing_personal_arrived(provider)


def test_pdf_text_is_extracted_and_uploaded_as_text(gateway: Gateway,
                                                    provider: SimulatorState) -> None:
    client = gateway.client(SUBJECT)
    pdf = make_pdf([f"Patient: {NAME}", f"Mail: {EMAIL}"])
    created = client.files.create(file=("record.pdf", pdf, "application/pdf"),
                                  purpose="assistants")
    assert created.filename == "record.pdf.txt"
    assert_nothing_personal_arrived(provider)
    assert stored_bytes(provider, created.id).startswith(b"Patient: <PERSON_")
    assert client.files.content(created.id).text == f"Patient: {NAME}\n\nMail: {EMAIL}\n"


def test_pdf_is_refused_when_the_policy_says_so(strict_gateway: Gateway,
                                                provider: SimulatorState) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        strict_gateway.client(SUBJECT).files.create(
            file=("record.pdf", make_pdf([f"Patient: {NAME}"]), "application/pdf"),
            purpose="assistants")
    assert caught.value.status_code == 415
    assert "PDF" in caught.value.message
    assert provider.requests == []


def test_binary_is_refused_naming_its_type(gateway: Gateway, provider: SimulatorState) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        gateway.client(SUBJECT).files.create(
            file=(f"{NAME}.png", b"\x89PNG\r\n\x1a\n\x00\x00" + NAME.encode(), "image/png"),
            purpose="vision")
    assert caught.value.status_code == 415
    assert ".png (image/png)" in caught.value.message and NAME not in caught.value.message
    assert provider.requests == []


def test_binary_passes_through_when_the_policy_says_so(strict_gateway: Gateway,
                                                       provider: SimulatorState) -> None:
    image = b"\x89PNG\r\n\x1a\n\x00\x00 binary"
    created = strict_gateway.client(SUBJECT).files.create(file=("photo.png", image, "image/png"),
                                                   purpose="vision")
    assert stored_bytes(provider, created.id) == image


def test_other_tenant_cannot_touch_a_file(gateway: Gateway, provider: SimulatorState) -> None:
    created = gateway.client(SUBJECT).files.create(file=("notes.txt", NOTES, "text/plain"),
                                            purpose="assistants")
    other = gateway.client(key=gateway.other_tenant_key)
    attempts: list[Callable[[], object]] = [
                    lambda: other.files.retrieve(created.id),
                    lambda: other.files.content(created.id),
                    lambda: other.files.delete(created.id)]
    for attempt in attempts:
        with pytest.raises(openai.NotFoundError):
            attempt()
    assert created.id in provider.store.files
    received = provider.bodies_text()
    for value in PERSONAL:
        assert value not in received


def test_another_subject_of_the_tenant_gets_404_by_default(
        gateway: Gateway, provider: SimulatorState) -> None:
    created = gateway.client(subject="owner-1").files.create(
        file=("notes.txt", NOTES, "text/plain"), purpose="assistants")
    with pytest.raises(openai.NotFoundError):
        gateway.client(subject="colleague").files.content(created.id)
    assert gateway.client(subject="owner-1").files.content(created.id).content == NOTES
