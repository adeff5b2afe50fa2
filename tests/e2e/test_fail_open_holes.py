"""Each fail-open hole of the issue "Close the fail-open holes", end to end.

Every test here failed on the gateway before that work: a value reached the
provider in clear, or a failure went unreported.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from gateway.simulator import SimulatorState
from tests.e2e.conftest import Gateway

MakeGateway = Callable[..., AbstractContextManager[Gateway]]
NAME = "Jan Kowalski"
EMAIL = "jan.kowalski@example.org"
PHONE = "+48 22 555 01 99"
CARD = 4963588070204020
PERSONAL = [NAME, EMAIL, "Kowalski", str(CARD)]


def nothing_arrived(provider: SimulatorState, values: list[str] = PERSONAL) -> None:
    received = provider.bodies_text()
    received += "\n".join(json.dumps(r.headers) for r in provider.requests)
    for value in values:
        assert value not in received, value


def post(gateway: Gateway, path: str, body: Any, headers: dict[str, str] | None = None,
         params: dict[str, str] | None = None, method: str = "POST") -> httpx.Response:
    all_headers = {"authorization": f"Bearer {gateway.app_key}",
                   "x-piigate-subject": "holes", **(headers or {})}
    return httpx.request(method, f"{gateway.url}/v1/{path}", json=body, headers=all_headers,
                         params=params, timeout=30)


def chat(content: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}], **extra}


def test_metadata_values_and_keys_are_scanned_whatever_their_names(
        gateway: Gateway, provider: SimulatorState) -> None:
    body = chat("hello", store=True, metadata={"user": f"{NAME} <{EMAIL}>", "id": EMAIL,
                                               "status": NAME, NAME: "vip"})
    assert post(gateway, "chat/completions", body).status_code == 200
    nothing_arrived(provider)
    sent = provider.requests[-1].json["metadata"]
    assert len(sent) == 4 and all("<" in key or key in ("user", "id", "status") for key in sent)


def test_json_numbers_in_tool_arguments_are_tokenized(gateway: Gateway,
                                                      provider: SimulatorState) -> None:
    arguments = json.dumps({"card_number": CARD, "phone": 4915552524252, "count": 3})
    body = {"model": "gpt-4o-mini", "messages": [
        {"role": "user", "content": "pay"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {
            "name": "pay", "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "done"}]}
    assert post(gateway, "chat/completions", body).status_code == 200
    nothing_arrived(provider, [str(CARD), "4915552524252"])
    sent = json.loads(provider.requests[-1].json["messages"][1]["tool_calls"][0]["function"][
        "arguments"])
    assert sent["count"] == 3 and str(sent["card_number"]).startswith("<CREDIT_CARD_")


def test_json_numbers_in_an_uploaded_data_file_are_tokenized(gateway: Gateway,
                                                            provider: SimulatorState) -> None:
    people = json.dumps([{"name": NAME, "card": CARD, "age": 41}], indent=2)
    created = gateway.client(subject="holes").files.create(
        file=("people.json", people.encode(), "application/json"), purpose="assistants")
    nothing_arrived(provider)
    stored = json.loads(provider.store.file_bytes[created.id])
    assert stored[0]["age"] == 41 and stored[0]["card"].startswith("<CREDIT_CARD_")
    restored = gateway.client(subject="holes").files.content(created.id).content
    assert NAME.encode() in restored


def data_url(text: str, media_type: str = "text/plain") -> str:
    return f"data:{media_type};base64,{base64.b64encode(text.encode()).decode()}"


def decoded(url: str) -> str:
    return base64.b64decode(url.split(",", 1)[1]).decode()


def test_inline_files_in_chat_and_responses_are_opened_and_tokenized(
        gateway: Gateway, provider: SimulatorState) -> None:
    note = f"Customer: {NAME}\nE-mail: {EMAIL}\nPhone: {PHONE}\n"
    image = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + NAME.encode()
                                                        ).decode()
    body = chat([{"type": "text", "text": "read this"},
                 {"type": "file", "file": {"filename": "note.txt", "file_data": data_url(note)}},
                 {"type": "image_url", "image_url": {"url": image}}])
    assert post(gateway, "chat/completions", body).status_code == 200
    parts = provider.requests[-1].json["messages"][0]["content"]
    assert NAME not in decoded(parts[1]["file"]["file_data"])
    assert "<PERSON_" in decoded(parts[1]["file"]["file_data"])
    assert parts[2]["image_url"]["url"] == image  # no pixels to read: passed on as sent
    responses = {"model": "gpt-4.1", "input": [{"role": "user", "content": [
        {"type": "input_file", "filename": "note.txt", "file_data": data_url(note)}]}]}
    assert post(gateway, "responses", responses).status_code == 200
    sent = provider.requests[-1].json["input"][0]["content"][0]["file_data"]
    assert EMAIL not in decoded(sent) and "<EMAIL_ADDRESS_" in decoded(sent)


def test_an_inline_file_that_is_not_base64_is_a_clear_400(gateway: Gateway,
                                                        provider: SimulatorState) -> None:
    body = chat([{"type": "file", "file": {"file_data": "data:text/plain;base64,@@@"}}])
    response = post(gateway, "chat/completions", body)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_data_url"
    assert provider.requests == []


def test_forwarded_headers_are_scanned_or_validated(gateway: Gateway,
                                                   provider: SimulatorState) -> None:
    response = post(gateway, "chat/completions", chat("hi"),
                    headers={"idempotency-key": f"order 42 {EMAIL}"})
    assert response.status_code == 200
    assert provider.requests[-1].headers["idempotency-key"].startswith("order 42 <EMAIL_ADDRESS_")
    refused = post(gateway, "chat/completions", chat("hi"), headers={"openai-project": NAME})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "openai-project"
    assert NAME not in refused.text
    nothing_arrived(provider)


def test_structural_query_parameters_are_validated(gateway: Gateway,
                                                  provider: SimulatorState) -> None:
    for params in ({"purpose": EMAIL}, {"after": "Jan"}, {"limit": "ten"}):
        response = post(gateway, "files", None, params=params, method="GET")
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == "invalid_query_parameter"
        assert EMAIL not in response.text
    assert post(gateway, "files", None, params={"purpose": "assistants", "limit": "5"},
                method="GET").status_code == 200
    nothing_arrived(provider)


def write_policy(path: Path, text: str) -> Path:
    path.write_text("version: 1\n" + text)
    return path


def vault_entries(gateway: Gateway) -> int:
    from sqlalchemy import func, select

    from vault.tables import EntryRow

    with gateway.services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(EntryRow)).scalar_one())


def test_a_call_without_a_subject_keeps_its_values_for_itself_only(
        gateway: Gateway, provider: SimulatorState) -> None:
    anonymous = gateway.client(subject=None)
    before = vault_entries(gateway)
    answer = anonymous.chat.completions.create(model="m", messages=[
        {"role": "user", "content": f"I am {NAME}."}])
    assert answer.choices[0].message.content == f"You said: I am {NAME}."
    assert vault_entries(gateway) == before  # nothing stored: no later call can restore it
    stored = anonymous.responses.create(model="gpt-4.1", input=f"I am {NAME}", store=True)
    again = anonymous.responses.retrieve(stored.id)  # the tenant's object, its values gone
    assert NAME not in again.output_text and "<PERSON_" in again.output_text
    nothing_arrived(provider)


def test_subject_policies_key_and_required(make_gateway: MakeGateway, tmp_path: Path,
                                           provider: SimulatorState) -> None:
    required = write_policy(tmp_path / "required.yaml", "subjects: {missing: required}\n")
    with make_gateway(policy_file=required) as gateway:
        with pytest.raises(openai.BadRequestError) as raised:
            gateway.client(subject=None).chat.completions.create(model="m", messages=[
                {"role": "user", "content": "hi"}])
        assert raised.value.code == "subject_required"
    shared = write_policy(tmp_path / "key.yaml", "subjects: {missing: key}\n")
    with make_gateway(policy_file=shared) as gateway:
        client = gateway.client(subject=None)
        before = vault_entries(gateway)
        client.chat.completions.create(model="m", messages=[
            {"role": "user", "content": f"Unrelated {EMAIL}."}])
        client.chat.completions.create(model="m", messages=[
            {"role": "user", "content": f"I am {NAME}."}])
        # One scope shared by every call of the key: numbering goes on across calls.
        assert provider.requests[-1].json["messages"][0]["content"] == "I am <PERSON_1>."
        assert vault_entries(gateway) == before + 2


def test_reading_another_subjects_object_follows_the_policy(
        make_gateway: MakeGateway, tmp_path: Path, provider: SimulatorState) -> None:
    owner_reads = write_policy(tmp_path / "owner.yaml", "subjects: {reads: owner}\n")
    with make_gateway(policy_file=owner_reads) as gateway:
        stored = gateway.client(subject="subject-a").responses.create(
            model="gpt-4.1", input=f"I am {NAME}", store=True)
        other = gateway.client(subject="subject-b").responses.retrieve(stored.id)
        assert NAME in other.output_text  # the operator chose: restored in the owner's scope
    with make_gateway() as gateway, pytest.raises(openai.NotFoundError):  # default policy
        gateway.client(subject="subject-b").responses.retrieve(stored.id)


def test_known_values_follow_the_policy_too(make_gateway: MakeGateway, tmp_path: Path,
                                            provider: SimulatorState) -> None:
    with make_gateway() as gateway:
        gateway.client(subject="policy").chat.completions.create(model="m", messages=[
            {"role": "user", "content": f"Write to {EMAIL}"}])
    blocking = write_policy(tmp_path / "block.yaml",
                            "entities: {EMAIL_ADDRESS: {action: block}}\n")
    with make_gateway(policy_file=blocking) as gateway:
        before = len(provider.requests)
        with pytest.raises(openai.PermissionDeniedError):
            gateway.client(subject="policy").chat.completions.create(model="m", messages=[
                {"role": "user", "content": f"again: {EMAIL}"}])
        assert len(provider.requests) == before


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    yield caplog


SECRET_VALUE = "Zebulon Quartermaine"


def boom(*_args: object, **_kwargs: object) -> Any:
    raise RuntimeError(f"failed while handling {SECRET_VALUE}")


async def aboom(*_args: object, **_kwargs: object) -> Any:
    boom()


@pytest.mark.parametrize(("target", "attribute", "stage", "status"), [
    ("keys", "authenticate", "authenticate", 500),
    ("vault", "open", "scope", 500),
    ("scanner", "scan", "protect", 500),
    ("ledger", "record_all", "ledger", 500),
    ("audit", "append", "audit", 500),
])
def test_an_exception_in_any_stage_is_an_openai_error_and_logs_no_value(
        gateway: Gateway, provider: SimulatorState, monkeypatch: pytest.MonkeyPatch,
        all_logs: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], target: str,
        attribute: str, stage: str, status: int) -> None:
    gateway.services.principals.clear()
    owner = getattr(gateway.services, target)
    original = getattr(owner, attribute)
    monkeypatch.setattr(owner, attribute,
                        aboom if _is_async(original) else boom)
    body = chat(f"hello {SECRET_VALUE}", store=True)
    response = post(gateway, "chat/completions", body)
    monkeypatch.undo()
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code"} and SECRET_VALUE not in response.text
    if stage in ("ledger", "audit"):  # the provider answered: the app is told so
        assert error["code"] in ("answer_withheld", "audit_unavailable")
        assert "carried out" in error["message"]
    else:
        assert "not forwarded" in error["message"]
    out, err = capfd.readouterr()
    assert SECRET_VALUE not in all_logs.text + out + err
    assert any(stage in record.getMessage() for record in all_logs.records)


def _is_async(fn: Any) -> bool:
    import inspect

    return inspect.iscoroutinefunction(fn)


def test_a_stream_that_breaks_ends_with_an_error_event_and_an_audit_record(
        gateway: Gateway, provider: SimulatorState, monkeypatch: pytest.MonkeyPatch,
        all_logs: pytest.LogCaptureFixture) -> None:
    from gateway.codecs.chat import ChatStreamRestorer

    monkeypatch.setattr(ChatStreamRestorer, "_restore_choices", boom)
    audit = gateway.services.audit
    appended: list[Any] = []
    original = audit.append

    async def spy(record: Any) -> int:
        appended.append(record)
        return await original(record)

    monkeypatch.setattr(audit, "append", spy)
    body = chat(f"hello {SECRET_VALUE}", stream=True)
    with httpx.stream("POST", f"{gateway.url}/v1/chat/completions", json=body, timeout=30,
                      headers={"authorization": f"Bearer {gateway.app_key}"}) as response:
        events = [line for line in response.iter_lines() if line.startswith("data: ")]
    last = json.loads(events[-1].removeprefix("data: "))
    assert last["error"]["code"] in ("answer_withheld", "stream_error")
    assert SECRET_VALUE not in all_logs.text
    assert appended and appended[-1].status >= 500 and appended[-1].path == "/v1/chat/completions"
