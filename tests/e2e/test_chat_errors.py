"""Bad input, broken upstreams and broken protection: clear OpenAI-shaped errors, no leaks."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import openai
import pytest

from gateway.server_thread import free_port
from gateway.simulator import SimulatorState
from policies import DetectionError
from tests.e2e.conftest import Gateway
from vault import VaultUnavailable

NAME = "John Smith"
MakeGateway = Callable[..., AbstractContextManager[Gateway]]


def post(gateway: Gateway, content: bytes, key: str | None = None,
         headers: dict[str, str] | None = None) -> httpx.Response:
    all_headers = {"content-type": "application/json"}
    if key != "":
        all_headers["authorization"] = f"Bearer {key or gateway.app_key}"
    all_headers.update(headers or {})
    return httpx.post(f"{gateway.url}/v1/chat/completions", content=content,
                      headers=all_headers, timeout=30)


def assert_openai_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code"} and error["message"]
    if code is not None:
        assert error["code"] == code


def test_missing_and_wrong_keys_get_401(gateway: Gateway, provider: SimulatorState) -> None:
    body = b'{"model": "m", "messages": []}'
    assert_openai_error(post(gateway, body, key=""), 401, "invalid_api_key")
    assert_openai_error(post(gateway, body, key="pgk_nope_nope"), 401, "invalid_api_key")
    assert_openai_error(post(gateway, body, key="sk-something-else"), 401)
    assert provider.requests == []


def test_sdk_raises_authentication_error(gateway: Gateway) -> None:
    with pytest.raises(openai.AuthenticationError):
        gateway.client(key="pgk_bad_bad").chat.completions.create(model="m", messages=[])


def test_malformed_json_is_400(gateway: Gateway, provider: SimulatorState) -> None:
    assert_openai_error(post(gateway, b'{"model": "m", "messages": ['), 400, "invalid_json")
    assert_openai_error(post(gateway, b"\xff\xfe garbage"), 400, "invalid_json")
    assert provider.requests == []


def test_body_over_the_limit_is_413(gateway: Gateway, provider: SimulatorState) -> None:
    big = b'{"model": "m", "messages": [{"role": "user", "content": "' + b"a" * (
        gateway.settings.max_body_bytes + 10) + b'"}]}'
    assert_openai_error(post(gateway, big), 413, "payload_too_large")
    assert provider.requests == []


def test_unknown_path_is_blocked_by_default(gateway: Gateway, provider: SimulatorState) -> None:
    response = httpx.post(f"{gateway.url}/v1/secret/admin/thing", json={"x": NAME},
                          headers={"authorization": f"Bearer {gateway.app_key}"})
    assert_openai_error(response, 403, "path_blocked")
    assert "/v1/secret/admin/thing" in response.json()["error"]["message"]
    assert provider.requests == []


def test_upstream_errors_pass_through_restored(gateway: Gateway,
                                              provider: SimulatorState) -> None:
    client = gateway.client()
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": NAME}])
    token = provider.requests[-1].json["messages"][0]["content"]
    provider.fail_next(400, {"error": {"message": f"bad input near {token}",
                                       "type": "invalid_request_error", "code": "bad"}})
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert raised.value.body["message"] == f"bad input near {NAME}"  # type: ignore[index]
    provider.fail_next(503)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])


def test_upstream_error_seen_by_another_subject_is_not_restored(
        gateway: Gateway, provider: SimulatorState) -> None:
    gateway.client(subject="owner").chat.completions.create(
        model="m", messages=[{"role": "user", "content": "I am Jane Doe"}])
    token = provider.requests[-1].json["messages"][0]["content"].split()[-1]
    provider.fail_next(400, {"error": {"message": f"about {token}", "type": "x", "code": "y"}})
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.client(subject="stranger").chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}])
    assert "Jane" not in str(raised.value.body)


def test_upstream_unreachable_is_502(make_gateway: MakeGateway) -> None:
    with make_gateway(provider_url=f"http://127.0.0.1:{free_port()}") as gateway:
        response = post(gateway, b'{"model": "m", "messages": []}')
    assert_openai_error(response, 502, "upstream_unreachable")


def test_upstream_timeout_is_504(make_gateway: MakeGateway, provider: SimulatorState) -> None:
    with make_gateway(upstream_timeout_seconds=0.3) as gateway:
        provider.hang_next(2.0)
        response = post(gateway, b'{"model": "m", "messages": []}')
    assert_openai_error(response, 504, "upstream_timeout")


def test_detection_failure_fails_closed(gateway: Gateway, provider: SimulatorState,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(texts: object) -> object:
        raise DetectionError("model crashed")

    monkeypatch.setattr(gateway.services.scanner, "scan", broken)
    response = post(gateway, b'{"model": "m", "messages": [{"role": "user", "content": "'
                    + NAME.encode() + b'"}]}')
    assert_openai_error(response, 503, "protection_unavailable")
    assert provider.requests == []


def test_vault_failure_fails_closed(gateway: Gateway, provider: SimulatorState,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> object:
        raise VaultUnavailable("database down")

    body = (b'{"model": "m", "messages": [{"role": "user", "content": '
            b'"Call Maximilian Oberhuber now"}]}')
    subject = {"x-piigate-subject": "vault-failure"}
    monkeypatch.setattr(gateway.services.vault, "store", broken)  # writing a new value
    assert_openai_error(post(gateway, body, headers=subject), 503, "protection_unavailable")
    monkeypatch.setattr(gateway.services.vault, "open", broken)  # reading the scope
    assert_openai_error(post(gateway, body, headers=subject), 503, "protection_unavailable")
    assert provider.requests == []


def stream_chat(gateway: Gateway, text: str) -> AbstractContextManager[httpx.Response]:
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": text}]}
    return httpx.stream("POST", f"{gateway.url}/v1/chat/completions", json=body,
                        headers={"authorization": f"Bearer {gateway.app_key}"}, timeout=30)


def test_client_disconnect_closes_the_upstream_stream(gateway: Gateway,
                                                      provider: SimulatorState) -> None:
    provider.stream_piece_chars, provider.stream_delay_seconds = 1, 0.05
    with stream_chat(gateway, "long answer " * 20) as response:
        first = next(response.iter_bytes())
        assert first.startswith(b"data: ")
    deadline = time.monotonic() + 10
    while provider.streams_aborted == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert provider.streams_aborted == 1 and provider.streams_completed == 0


def test_first_bytes_arrive_before_the_stream_ends(gateway: Gateway,
                                                   provider: SimulatorState) -> None:
    provider.stream_piece_chars, provider.stream_delay_seconds = 2, 0.05
    with stream_chat(gateway, "word " * 30) as response:
        chunks = list(response.iter_raw())
    # The provider sent ~80 pieces with pauses between them; a buffering gateway
    # would hand them over in one or two reads.
    assert len(chunks) > 10


def test_query_values_are_scanned_on_passthrough_like_bodies(
        gateway: Gateway, provider: SimulatorState) -> None:
    response = httpx.get(f"{gateway.url}/v1/chat/completions",
                         params={"metadata[customer]": "Maximilian Oberhuber", "limit": "5"},
                         headers={"authorization": f"Bearer {gateway.app_key}"})
    assert response.status_code == 200
    recorded = provider.requests[-1]
    assert "Oberhuber" not in provider.bodies_text()
    assert recorded.query["limit"] == "5"
    assert recorded.query["metadata[customer]"].startswith("<PERSON_")
