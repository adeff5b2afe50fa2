"""Request-side protection: find personal values in a body's slots and swap them.

The order matters. Values the scope already holds are swapped first, verbatim,
so text the gateway restored in an earlier answer (assistant history) maps back
to exactly the tokens it came from, whatever detection would say about it
today. Detection then runs on the remaining text; findings that touch an
existing token are ignored so a token is never tokenized again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from policies import Action, Finding
from vault import Scope
from vault.tokens import find_tokens

from .errors import PolicyBlocked
from .slots import Json, Path, Slot, dump_json_text, get_path, json_text_leaves, set_path


class KnownValues(Protocol):
    def find(self, text: str) -> list[tuple[int, int, str, str]]: ...


class ScannerPort(Protocol):
    async def scan(self, texts: Sequence[str]) -> list[list[Finding]]: ...


class VaultPort(Protocol):
    async def tokenize(self, scope: Scope, values: Sequence[tuple[str, str]]) -> list[str]: ...
    async def known_values(self, scope: Scope) -> KnownValues: ...


@dataclass(slots=True)
class _Unit:
    """One string to protect: a slot, or one string leaf inside a JSON-text slot."""

    slot_index: int
    leaf_path: Path | None
    original: str
    text: str = ""
    replacements: list[tuple[int, int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.text = self.original


@dataclass(slots=True)
class Protection:
    entities: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)


# How an action reads in the audit record's ``actions`` counts.
ACTION_TAKEN = {Action.TOKENIZE: "tokenized", Action.REDACT: "redacted",
                Action.BLOCK: "blocked", Action.ALLOW: "allowed"}


def redaction_marker(entity_type: str) -> str:
    return f"[REDACTED {entity_type}]"


async def protect(body: Json, slots: Sequence[Slot], scope: Scope, scanner: ScannerPort,
                  vault: VaultPort) -> Protection:
    """Rewrite ``body`` in place; return what was found and done (no values)."""
    result = Protection()
    if not slots:
        return result
    units, json_documents = _expand(slots)
    known = await vault.known_values(scope)
    for unit in units:
        for start, end, entity_type, token in known.find(unit.text):
            unit.replacements.append((start, end, token))
            result.entities[entity_type] += 1
            result.actions[ACTION_TAKEN[Action.TOKENIZE]] += 1
    pre_swapped = [_apply(unit.text, unit.replacements) for unit in units]
    findings = await scanner.scan(pre_swapped)
    to_tokenize: list[tuple[_Unit, Finding, str]] = []
    for unit, text, unit_findings in zip(units, pre_swapped, findings, strict=True):
        unit.text, unit.replacements = text, []
        token_spans = [(m.start(), m.end()) for m in find_tokens(text)]
        for finding in unit_findings:
            if finding.action is Action.ALLOW or _touches(finding, token_spans):
                continue
            result.entities[finding.entity_type] += 1
            result.actions[ACTION_TAKEN[finding.action]] += 1
            if finding.action is Action.BLOCK:
                raise PolicyBlocked(
                    f"request blocked by policy: it contains {finding.entity_type}")
            if finding.action is Action.REDACT:
                unit.replacements.append(
                    (finding.start, finding.end, redaction_marker(finding.entity_type)))
            else:
                to_tokenize.append((unit, finding, text[finding.start:finding.end]))
    if to_tokenize:
        tokens = await vault.tokenize(
            scope, [(finding.entity_type, value) for _, finding, value in to_tokenize])
        for (unit, finding, _), token in zip(to_tokenize, tokens, strict=True):
            unit.replacements.append((finding.start, finding.end, token))
    _write_back(body, slots, units, json_documents)
    return result


def _expand(slots: Sequence[Slot]) -> tuple[list[_Unit], dict[int, Json]]:
    units: list[_Unit] = []
    documents: dict[int, Json] = {}
    for index, slot in enumerate(slots):
        parsed = json_text_leaves(slot.text) if slot.json_text else None
        if parsed is None:
            units.append(_Unit(index, None, slot.text))
            continue
        documents[index], leaves = parsed
        units.extend(_Unit(index, leaf_path, leaf) for leaf_path, leaf in leaves)
    return units, documents


def _write_back(body: Json, slots: Sequence[Slot], units: list[_Unit],
                documents: dict[int, Json]) -> None:
    changed_documents: set[int] = set()
    for unit in units:
        new_text = _apply(unit.text, unit.replacements)
        if new_text == unit.original:
            continue
        if unit.leaf_path is None:
            set_path(body, slots[unit.slot_index].path, new_text)
        elif unit.leaf_path:
            set_path(documents[unit.slot_index], unit.leaf_path, new_text)
            changed_documents.add(unit.slot_index)
        else:  # the JSON document is itself a bare string
            documents[unit.slot_index] = new_text
            changed_documents.add(unit.slot_index)
    for index in changed_documents:
        set_path(body, slots[index].path, dump_json_text(documents[index]))


def _apply(text: str, replacements: list[tuple[int, int, str]]) -> str:
    if not replacements:
        return text
    pieces: list[str] = []
    cursor = 0
    for start, end, replacement in sorted(replacements):
        if start < cursor:  # overlapping replacement: the earlier one already covers it
            continue
        pieces.append(text[cursor:start])
        pieces.append(replacement)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _touches(finding: Finding, token_spans: list[tuple[int, int]]) -> bool:
    return any(finding.start < end and start < finding.end for start, end in token_spans)


__all__ = ["Protection", "get_path", "protect", "redaction_marker"]
