"""Request-side protection: find personal values in a body's slots and swap them.

Each slot becomes a *piece* of text to rewrite; pieces are analysed in
*texts*: a short value with its key as context ("phone: 4915552524252"), or
the consecutive text parts of one message joined as the model will read them
(a name cut across two parts is found whole). For every text the detector's
findings, the scope's known values and the app's own token-shaped text go
through one resolution (:mod:`gateway.resolution`); the decisions are mapped
back onto the pieces: a value cut across parts is replaced where it starts
and removed from the parts after. What each token replaced, and the text the
model saw before it, is recorded (:class:`gateway.spellings.Spellings`) so
that the answer gives the app back exactly what it wrote.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from policies import Action, Finding
from vault.matcher import KnownValue, KnownValues

from .errors import BadRequest, PolicyBlocked
from .resolution import LITERAL, Decision, KnownSpan, resolve
from .slots import (
    Json,
    Path,
    Slot,
    SlotKind,
    dump_json_text,
    json_text_slots,
    rename_key,
    set_path,
)
from .spellings import Spellings


class KnownValuesPort(Protocol):
    def find(self, text: str) -> list[tuple[int, int, str, str | None]]: ...


class ScopePort(Protocol):
    @property
    def known(self) -> KnownValuesPort: ...

    async def tokenize(self, items: Sequence[tuple[str, str]]) -> list[str]: ...


class ScannerPort(Protocol):
    async def scan(self, texts: Sequence[str]) -> list[list[Finding]]: ...


ActionOf = Callable[[str], Action]
IsCommonWord = Callable[[str], bool]


@dataclass(slots=True)
class Protection:
    entities: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)


# How an action reads in the audit record's ``actions`` counts.
ACTION_TAKEN = {Action.TOKENIZE: "tokenized", Action.REDACT: "redacted",
                Action.BLOCK: "blocked", Action.ALLOW: "allowed"}
ESCAPED = "escaped"  # token-shaped text the app wrote, made a value of its own


def redaction_marker(entity_type: str) -> str:
    return f"[REDACTED {entity_type}]"


@dataclass(slots=True)
class _Piece:
    """One string to rewrite: a slot, or one leaf of a slot's JSON text."""

    slot_index: int
    leaf: Path | None  # inside the slot's JSON document; None: the slot itself
    kind: SlotKind
    original: str
    replacements: list[tuple[int, int, str]] = field(default_factory=list)

    def rewritten(self) -> str:
        pieces: list[str] = []
        cursor = 0
        for start, end, replacement in sorted(self.replacements):
            pieces += [self.original[cursor:start], replacement]
            cursor = end
        pieces.append(self.original[cursor:])
        return "".join(pieces)


@dataclass(slots=True)
class _Text:
    """One analysed text: a context prefix, then pieces laid end to end."""

    prefix: str
    pieces: list[_Piece]

    @property
    def text(self) -> str:
        return self.prefix + "".join(piece.original for piece in self.pieces)

    def spans(self) -> list[tuple[_Piece, int]]:
        offset = len(self.prefix)
        out = []
        for piece in self.pieces:
            out.append((piece, offset))
            offset += len(piece.original)
        return out


@dataclass(slots=True)
class _Planned:
    text: _Text
    decision: Decision
    value: str  # what the app wrote, over every piece the decision covers


async def protect(body: Json, slots: Sequence[Slot], scope: ScopePort, scanner: ScannerPort,
                  *, action_of: ActionOf, common_word: IsCommonWord,
                  spellings: Spellings | None = None, refuse_numbers: bool = False
                  ) -> Protection:
    """Rewrite ``body`` in place; return what was found and done (no values)."""
    result = Protection()
    if not slots:
        return result
    pieces, documents = _pieces(slots)
    texts = _texts(slots, pieces)
    findings = await scanner.scan([t.text for t in texts])

    def plan(extra: KnownValuesPort | None) -> list[_Planned]:
        planned: list[_Planned] = []
        for analysed, found in zip(texts, findings, strict=True):
            text = analysed.text
            spans = _known_spans(text, scope.known, extra)
            for decision in resolve(text, found, spans, action_of=action_of,
                                    common_word=common_word):
                value = _covered_value(analysed, decision)
                if value:
                    planned.append(_Planned(analysed, decision, value))
        return planned

    planned = plan(None)
    found_here = _request_values(planned)
    if found_here is not None:
        # A value found in one place of the request is known in every other
        # place too, in any case, words of names included ("VELAZQUEZ" after
        # "Juan Velazquez"), exactly as if the scope had held it already.
        planned = plan(found_here)
    _count(planned, result)
    tokens = await _tokens(planned, scope)
    _place(planned, tokens, spellings)
    if refuse_numbers and any(p.replacements for p in pieces if p.kind is SlotKind.NUMBER):
        raise BadRequest("a JSON number in the request holds personal data, and the gateway "
                         "policy refuses such numbers (routes.numbers: refuse)",
                         code="personal_number_refused")
    _write_back(body, slots, pieces, documents)
    return result


def _request_values(planned: list[_Planned]) -> KnownValues | None:
    new = [KnownValue(item.value, item.decision.entity_type, "") for item in planned
           if item.decision.token is None and item.decision.action is not Action.BLOCK
           and item.decision.entity_type != LITERAL]
    return KnownValues(new) if new else None


def _known_spans(text: str, known: KnownValuesPort, extra: KnownValuesPort | None
                 ) -> list[KnownSpan]:
    """The scope's known values in ``text``; then, where none lies, the request's own."""
    spans = [KnownSpan(*match) for match in known.find(text)]
    if extra is not None:
        taken = [(span.start, span.end) for span in spans]
        spans += [KnownSpan(start, end, kind, None) for start, end, kind, _ in extra.find(text)
                  if not any(start < hi and lo < end for lo, hi in taken)]
    return spans


def _pieces(slots: Sequence[Slot]) -> tuple[list[_Piece], dict[int, Json]]:
    pieces: list[_Piece] = []
    documents: dict[int, Json] = {}
    for index, slot in enumerate(slots):
        parsed = json_text_slots(slot.text) if slot.kind is SlotKind.JSON_TEXT else None
        if parsed is None:
            kind = SlotKind.STRING if slot.kind is SlotKind.JSON_TEXT else slot.kind
            pieces.append(_Piece(index, None, kind, slot.text))
            continue
        documents[index], leaves = parsed
        if isinstance(documents[index], str):  # the JSON text is itself a bare string
            pieces.append(_Piece(index, (), SlotKind.STRING, documents[index]))
        pieces.extend(_Piece(index, leaf.path, leaf.kind, leaf.text) for leaf in leaves)
    return pieces, documents


def _texts(slots: Sequence[Slot], pieces: list[_Piece]) -> list[_Text]:
    """Group pieces into analysed texts (see the module docstring)."""
    texts: list[_Text] = []
    previous: Path | None = None
    for piece in pieces:
        slot = slots[piece.slot_index]
        path = slot.path if piece.leaf is None else (*slot.path, *piece.leaf)
        if (piece.kind is SlotKind.STRING and previous is not None and texts
                and _next_part(previous, path)):
            texts[-1].pieces.append(piece)
        else:
            context = _context(slot, piece)
            texts.append(_Text(f"{context}: " if context else "", [piece]))
        previous = path if piece.kind is SlotKind.STRING and not texts[-1].prefix else None
    return texts


def _next_part(previous: Path, path: Path) -> bool:
    """``path`` is the text of the content part right after ``previous``'s."""
    return (len(path) >= 2 and len(previous) == len(path) and path[-1] == previous[-1] == "text"
            and isinstance(path[-2], int) and isinstance(previous[-2], int)
            and path[-2] == previous[-2] + 1 and path[:-2] == previous[:-2])


def _context(slot: Slot, piece: _Piece) -> str | None:
    if piece.leaf is None:
        return slot.context
    key = piece.leaf[-1] if piece.leaf else None
    if piece.kind is SlotKind.KEY or not isinstance(key, str) or len(piece.original) > 200:
        return None
    return key


def _covered_value(analysed: _Text, decision: Decision) -> str:
    return "".join(piece.original[max(decision.start, offset) - offset:
                                  min(decision.end, offset + len(piece.original)) - offset]
                   for piece, offset in analysed.spans()
                   if decision.start < offset + len(piece.original) and offset < decision.end)


def _count(planned: list[_Planned], result: Protection) -> None:
    blocked = None
    for item in planned:
        decision = item.decision
        if decision.entity_type == LITERAL:
            result.actions[ESCAPED] += 1
            continue
        result.entities[decision.entity_type] += 1
        result.actions[ACTION_TAKEN[decision.action]] += 1
        if decision.action is Action.BLOCK:
            blocked = blocked or decision.entity_type
    if blocked is not None:
        raise PolicyBlocked(f"request blocked by policy: it contains {blocked}")


async def _tokens(planned: list[_Planned], scope: ScopePort) -> list[str]:
    """The replacement for each planned decision; new values are tokenized in one call."""
    new = [(item.decision.entity_type, item.value) for item in planned
           if item.decision.action is Action.TOKENIZE and item.decision.token is None]
    issued = iter(await scope.tokenize(new) if new else [])
    out: list[str] = []
    for item in planned:
        decision = item.decision
        if decision.action is Action.REDACT:
            out.append(redaction_marker(decision.entity_type))
        elif decision.token is not None:
            out.append(decision.token)
        else:
            out.append(next(issued))
    return out


def _place(planned: list[_Planned], replacements: list[str],
           spellings: Spellings | None) -> None:
    """Put each replacement where its value starts; remove the rest of the value."""
    upstream: dict[int, tuple[int, str]] = {}  # per text: (cursor, rewritten so far)
    for item, replacement in zip(planned, replacements, strict=True):
        decision = item.decision
        first = True
        for piece, offset in item.text.spans():
            lo = max(decision.start, offset) - offset
            hi = min(decision.end, offset + len(piece.original)) - offset
            if lo >= hi:
                continue
            piece.replacements.append((lo, hi, replacement if first else ""))
            first = False
        if spellings is not None and replacement.startswith("<"):
            key = id(item.text)
            cursor, seen = upstream.get(key, (len(item.text.prefix), ""))
            before = seen + item.text.text[cursor:decision.start]
            spellings.add(replacement, item.value, before)
            upstream[key] = (decision.end, before + replacement)


def _write_back(body: Json, slots: Sequence[Slot], pieces: list[_Piece],
                documents: dict[int, Json]) -> None:
    renames: list[tuple[int | None, Path, str]] = []  # (document or None: body, path, key)
    changed_documents: set[int] = set()
    for piece in pieces:
        if not piece.replacements:
            continue
        new_text = _final_text(piece)
        document: int | None = None
        if piece.leaf is None:
            path = slots[piece.slot_index].path
        elif piece.leaf:
            document, path = piece.slot_index, piece.leaf
            changed_documents.add(piece.slot_index)
        else:
            documents[piece.slot_index] = new_text
            changed_documents.add(piece.slot_index)
            continue
        if piece.kind is SlotKind.KEY:
            renames.append((document, path, new_text))
        else:
            set_path(body if document is None else documents[document], path, new_text)
    # Keys are renamed last and deepest first, so that every other path still
    # names what it named; JSON documents go back into the body before its keys move.
    for document, path, new_key in sorted(renames, key=lambda r: -len(r[1])):
        if document is not None:
            _rename(documents[document], path, new_key)
    for index in changed_documents:
        set_path(body, slots[index].path, dump_json_text(documents[index]))
    for document, path, new_key in sorted(renames, key=lambda r: -len(r[1])):
        if document is None:
            _rename(body, path, new_key)


def _rename(target: Json, path: Path, new_key: str) -> None:
    if not rename_key(target, path, new_key):
        raise BadRequest("two keys of one object name the same personal value; "
                         "they would collide once tokenized", code="duplicate_key")


def _final_text(piece: _Piece) -> str:
    if piece.kind is SlotKind.IDENTIFIER:
        # The API only takes [a-zA-Z0-9_-] here: the whole name becomes the
        # token's bare form, never part of a name with a token in it.
        tokens = [replacement.strip("<>[]").replace(" ", "_")
                  for _, _, replacement in sorted(piece.replacements) if replacement]
        return "_".join(tokens)
    return piece.rewritten()


__all__ = ["Protection", "protect", "redaction_marker"]
