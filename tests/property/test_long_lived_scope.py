"""One long-lived subject that has seen many people, spellings and parts before.

The way a CRM assistant uses the gateway: one scope hears about one person
after another, their e-mail addresses, their surnames shouted or in lower
case, their given names alone. Whatever the scope saw before, a new message
(a) reaches the provider with no known value, and no word of a known name,
left outside a token, and (b) comes back byte for byte when the model echoes
it. Detection here is an oracle that finds what a good detector finds (a
full name as first written, an e-mail address) and misses what detectors
miss (case variants, a name's words alone): the scope's known values must
cover the rest. Runs the real resolution, the real vault and the real restorer.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gateway.protect import protect
from gateway.restore import Restorer
from gateway.slots import Slot
from gateway.spellings import Spellings
from policies import Action, Finding
from policies.common_words import is_common_word
from vault import Scope, Vault, migrate
from vault.db import create_engine
from vault.tokens import find_tokens

MASTER_KEY = bytes(range(32))
EMAIL = re.compile(r"[\w.+-]+@[\w.-]+\.test")
FILLER = ["the", "and", "called", "about", "meeting", "today", "wrote:", "ok,", "thanks."]

letters = st.text("bcdfghjklmnpqrstvwxz", min_size=2, max_size=5)
name_word = st.builds(lambda a, b, c: (a + "aeiou"[len(b) % 5] + b + c).capitalize(),
                      letters, letters, st.sampled_from(["", "a", "son", "ka"]))


class OracleScanner:
    """Finds full names exactly as first introduced, and e-mail addresses; nothing else."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    async def scan(self, texts: Sequence[str]) -> list[list[Finding]]:
        results = []
        for text in texts:
            spans = [(m.start(), m.end(), "EMAIL_ADDRESS") for m in EMAIL.finditer(text)]
            for name in self.names:
                for m in re.finditer(re.escape(name), text):
                    if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                        spans.append((m.start(), m.end(), "PERSON"))
            results.append([Finding(kind, s, e, 0.9, Action.TOKENIZE)
                            for s, e, kind in sorted(spans)])
        return results


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    path: Path = tmp_path_factory.mktemp("scope") / "vault.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine)
    yield Vault(engine, MASTER_KEY)
    engine.dispose()


def send(vault: Vault, scope: Scope, scanner: OracleScanner, text: str) -> tuple[str, str]:
    """One request: what the provider receives, and the echo as the app gets it back."""

    async def call() -> tuple[str, str]:
        view = await vault.open(scope)
        body = [text]
        spellings = Spellings()
        await protect(body, [Slot((0,), text)], view, scanner,
                      action_of=lambda kind: Action.TOKENIZE, common_word=is_common_word,
                      spellings=spellings)
        upstream = body[0]
        return upstream, Restorer(view, spellings).text("You said: " + upstream)

    return anyio.run(call)


def assert_nothing_known_in_clear(upstream: str, values: set[str]) -> None:
    outside = find_tokens(upstream)
    clear = upstream
    for match in reversed(list(outside)):
        clear = clear[:match.start()] + " " + clear[match.end():]
    for value in values:
        pattern = r"(?<![\w@.])" + re.escape(value) + r"(?![\w@])"
        assert not re.search(pattern, clear, re.IGNORECASE), (value, upstream)


people_strategy = st.lists(st.tuples(name_word, name_word), min_size=2, max_size=6,
                           unique_by=lambda p: (p[0].lower(), p[1].lower()))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(people=people_strategy, picks=st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 6), st.sampled_from(FILLER)),
    min_size=1, max_size=12), literal=st.booleans())
def test_a_new_message_in_a_long_lived_scope(vault: Vault, people: list[tuple[str, str]],
                                             picks: list[tuple[int, int, str]],
                                             literal: bool) -> None:
    words = {word.lower() for person in people for word in person}
    assume(not any(is_common_word(word) for word in words))
    assume(len(words) == 2 * len(people))  # no two people share a given name or surname
    scope = Scope("acme", f"crm-{uuid.uuid4().hex}")
    scanner = OracleScanner()
    known: set[str] = set()
    for first, last in people:  # the history the scope has seen, one request each
        full = f"{first} {last}"
        scanner.names.add(full)
        email = f"x{first.lower()}.{last.lower()}@mailbox.test"
        for text in (f"I am {full}.", f"Mail me at {email}", f"{last.upper()} wrote.",
                     f"Later {last.lower()} replied and {first} agreed."):
            upstream, echo = send(vault, scope, scanner, text)
            assert echo == "You said: " + text
        known |= {full, email, first, last}
        assert_nothing_known_in_clear(upstream, known)
    pieces = []
    for who, shape, filler in picks:
        first, last = people[who % len(people)]
        pieces.append(filler)
        pieces.append([f"{first} {last}", last, last.upper(), last.lower(), first,
                       f"{first.lower()}.{last.lower()}@corp.test",
                       f"{first[0]}. {last}"][shape])
    if literal:
        pieces.insert(len(pieces) // 2, "<PERSON_1>")
    message = " ".join(pieces)
    upstream, echo = send(vault, scope, scanner, message)
    assert_nothing_known_in_clear(upstream, known)
    assert echo == "You said: " + message
    if literal:  # the app's own "<PERSON_1>" went up escaped, not as the scope's token
        assert "<LITERAL_" in upstream
