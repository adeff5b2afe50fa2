"""Secrets: prefixed keys, JWTs, PEM keys and declared values found; lookalikes kept as text."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from presidio_analyzer import EntityRecognizer, RecognizerResult

from policies.recognizers.secrets import ENTITY, secret_recognizers

THRESHOLD = 0.5  # the shipped policy's default min_score


def _b64url(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


JWT = f"{_b64url({'alg': 'HS256', 'typ': 'JWT'})}.{_b64url({'sub': '42'})}.c2lnbmF0dXJlX2J5dGVz"
NOT_JWT = f"{_b64url({'typ': 'JWT'})}.{_b64url({'sub': '42'})}.c2lnbmF0dXJlX2J5dGVz"
PEM_BODY = "MIIEowIBAAKCAQEAx4kqD2xJ1mZ7Vq8s9Lr3T0f6PQ1n2b3c4d5e6f7g8h9i0j1k2l3m"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture(scope="module")
def recognizers() -> list[EntityRecognizer]:
    return secret_recognizers()


def values(recognizers: list[EntityRecognizer], text: str) -> set[str]:
    """The distinct values kept at the default threshold."""
    results: list[RecognizerResult] = []
    for recognizer in recognizers:
        results += recognizer.analyze(text, [ENTITY], None)
    assert all(r.entity_type == ENTITY for r in results)
    return {text[r.start : r.end] for r in results if r.score >= THRESHOLD}


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("client = OpenAI(api_key='sk-proj-Ab3dEf6hIj9kLmN0pQrStUvWxYz12345')",
         "sk-proj-Ab3dEf6hIj9kLmN0pQrStUvWxYz12345"),
        ("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        ("token ghp_16C7e42F292c6912E7710c838347Ae178B4a here",
         "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF",
         "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF"),
        ("SLACK_BOT=xoxb-2934-29384-aBcDeFgHiJ", "xoxb-2934-29384-aBcDeFgHiJ"),
        ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        ("maps key AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe done",
         "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"),
        (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
        (f"my AWS secret key is {AWS_SECRET} thanks", AWS_SECRET),
        (f"Authorization: Bearer {JWT}", JWT),
        (f"here is the token {JWT}", JWT),
        ("Authorization: Basic dXNlcm5hbWU6cGFzc3dvcmQxMjM=", "dXNlcm5hbWU6cGFzc3dvcmQxMjM="),
        ("password: hunter2", "hunter2"),
        ("  password: secret\n  host: db", "secret"),
        ("DB_PASSWORD=s3cr3t!", "s3cr3t!"),
        ("db:\n  password: Tr0ub4dor&3x\n  host: localhost", "Tr0ub4dor&3x"),
        ('{"password": "tulip", "max_tokens": 100}', "tulip"),
        ("X-Api-Key: 9f8e7d6c5b4a", "9f8e7d6c5b4a"),
        ("my password is hunter2.", "hunter2"),
        ("my wifi password is Kitten2024!", "Kitten2024!"),
        ("DATABASE_URL=postgres://app:pa55-w0rd@db.internal:5432/app", "pa55-w0rd"),
        ("passwd='correct horse battery staple'", "correct horse battery staple"),
        ("https://api.example.com/v1?api_key=Zx81kLmq2&lang=en", "Zx81kLmq2"),
    ],
)
def test_secret_value_is_found(recognizers: list[EntityRecognizer], text: str, secret: str) -> None:
    assert secret in values(recognizers, text)


def test_assignment_reports_the_value_not_the_key(recognizers: list[EntityRecognizer]) -> None:
    assert values(recognizers, 'api_key = "Zx81kLmq2Pw"') == {"Zx81kLmq2Pw"}


def test_pem_private_key_whole_and_truncated(recognizers: list[EntityRecognizer]) -> None:
    assert PEM in values(recognizers, f"key:\n{PEM}\nthanks")
    truncated = PEM.split("-----END")[0].rstrip()
    assert truncated in values(recognizers, f"{truncated}\n\nwhy does ssh reject it?")


@pytest.mark.parametrize(
    "text",
    [
        "Click here for a password reset link.",
        "Password: reset it here",
        "my password is incorrect",
        "What's the secret: patience",
        "The token is valid until Friday.",
        "Token authentication is enabled on this server.",
        "see https://docs.example.com:8443/guide and mailto:someone@example.com",
        "api_key=os.getenv('OPENAI_API_KEY')",
        "password=self.password",
        "password: ${DB_PASSWORD}",
        "api_key: <your api key>",
        "password: ********",
        '{"max_tokens": 256, "token_type": "bearer", "prompt_tokens": 12}',
        "request id 123e4567-e89b-12d3-a456-426614174000",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b fixed it",
        "use sk-learn-pipelines-for-everything-please",
        "-----BEGIN PUBLIC KEY-----",
        f"not a jwt: {NOT_JWT}",
        "Here is a picture: data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"
        "AAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
        f"unrelated 40 chars {AWS_SECRET} without the words",
    ],
)
def test_lookalikes_are_not_secrets(recognizers: list[EntityRecognizer], text: str) -> None:
    assert values(recognizers, text) == set()


@given(st.uuids())
def test_uuids_are_never_secrets(value: object) -> None:
    text = f"the api request id is {value} and the session token id {str(value).upper()}"
    assert values(secret_recognizers(), text) == set()


@given(st.binary(min_size=20, max_size=20))
def test_git_shas_are_never_secrets(digest: bytes) -> None:
    text = f"aws deploy of commit {digest.hex()} (secret key rotation)"
    assert values(secret_recognizers(), text) == set()


@given(st.binary(min_size=64, max_size=512))
def test_base64_image_data_is_never_a_secret(blob: bytes) -> None:
    data = base64.b64encode(b"\x89PNG\r\n\x1a\n" + blob).decode()
    text = f"aws secret diagram: data:image/png;base64,{data}"
    assert values(secret_recognizers(), text) == set()
