"""``piigate scan``: detection and tokenizing without a vault, for a dry run.

Tokens are numbered per command run (same value, same token within the run)
so the output shows what the gateway would send, without storing anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

import typer

from policies import Action, Finding, Scanner, load_policy
from vault.tokens import format_token

from .protect import redaction_marker
from .settings import Settings


def load_scanner(settings: Settings) -> Scanner:
    return Scanner.create(load_policy(settings.policy_file), spacy_model=settings.spacy_model,
                          workers=0)


def read_jsonl_texts(stream: TextIO) -> list[str]:
    texts: list[str] = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise typer.BadParameter(f"line {number} is not JSON") from None
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            texts.append(item["text"])
        elif isinstance(item, str):
            texts.append(item)
        else:
            raise typer.BadParameter(f"line {number}: expected a string or {{\"text\": ...}}")
    return texts


class DryRunTokens:
    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}

    def token(self, entity_type: str, value: str) -> str:
        key = (entity_type, value.casefold())
        if key not in self._tokens:
            self._counts[entity_type] = self._counts.get(entity_type, 0) + 1
            self._tokens[key] = format_token(entity_type, self._counts[entity_type])
        return self._tokens[key]


def protect_text(text: str, findings: Iterable[Finding],
                 tokens: DryRunTokens) -> dict[str, Any]:
    pieces: list[str] = []
    cursor = 0
    entities = []
    for finding in findings:
        entities.append({"type": finding.entity_type, "start": finding.start,
                         "end": finding.end, "score": round(finding.score, 4),
                         "action": finding.action.value})
        if finding.action is Action.ALLOW:
            continue
        pieces.append(text[cursor:finding.start])
        value = text[finding.start:finding.end]
        if finding.action is Action.REDACT:
            pieces.append(redaction_marker(finding.entity_type))
        elif finding.action is Action.BLOCK:
            pieces.append(f"[BLOCKED {finding.entity_type}]")
        else:
            pieces.append(tokens.token(finding.entity_type, value))
        cursor = finding.end
    pieces.append(text[cursor:])
    return {"text": "".join(pieces), "entities": entities}
