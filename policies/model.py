"""The policy: what to do with each kind of personal data, as validated data.

A policy is plain data so that it can be loaded from YAML, validated with line
numbers (see :mod:`policies.loader`), compared in tests and sent to worker
processes. Every model forbids unknown keys: a misspelt key in a compliance
policy must stop the gateway, not be silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Entity types become part of tokens (``<PERSON_3>``), so they follow the token
# grammar's type rule: upper-case letters, digits, underscores, 40 at most.
ENTITY_TYPE_RE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")


class Action(StrEnum):
    """What the gateway does with a detected value."""

    TOKENIZE = "tokenize"
    REDACT = "redact"
    BLOCK = "block"
    ALLOW = "allow"

    @property
    def strictness(self) -> int:
        """Rank used when one span carries several types: the strictest action wins."""
        return _STRICTNESS[self]


_STRICTNESS = {Action.ALLOW: 0, Action.TOKENIZE: 1, Action.REDACT: 2, Action.BLOCK: 3}


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected value: offsets into the scanned text and what to do with it."""

    entity_type: str
    start: int
    end: int
    score: float
    action: Action


def _entity_type(value: str) -> str:
    if not ENTITY_TYPE_RE.fullmatch(value):
        raise ValueError(
            "entity type must be upper-case letters, digits and underscores "
            "(starting with a letter, at most 40 characters)"
        )
    return value


def _allow_value(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValueError("allow-list entries must not be empty")
    return stripped


EntityType = Annotated[str, AfterValidator(_entity_type)]
AllowValue = Annotated[str, AfterValidator(_allow_value)]
Score = Annotated[float, Field(ge=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    """Action and minimum score for one entity type (the default rule has both)."""

    action: Action = Action.TOKENIZE
    min_score: Score = 0.5


class EntityRule(_Strict):
    """Per-type override; a field left out falls back to the policy's default rule."""

    action: Action | None = None
    min_score: Score | None = None


class Routes(_Strict):
    """How the gateway treats traffic that is not a plain scanned text field."""

    unknown_paths: Literal["block", "passthrough"] = "block"
    embeddings: Literal["tokenize", "block", "allow"] = "tokenize"
    pdf_files: Literal["extract", "refuse"] = "extract"
    binary_files: Literal["refuse", "passthrough"] = "refuse"
    # Responses and Chat Completions the provider keeps (and erasure must find):
    # ``unless_asked`` sends ``store: false`` unless the app asks for storage;
    # ``never`` refuses a request that asks; ``as_sent`` changes nothing.
    store: Literal["unless_asked", "never", "as_sent"] = "unless_asked"
    # JSON numbers that hold personal data (a card number in tool-call
    # arguments): ``tokenize`` sends the token as a string, ``refuse`` answers 400.
    numbers: Literal["tokenize", "refuse"] = "tokenize"


class Subjects(_Strict):
    """Whose scope a call works in when that is not plain (see the README)."""

    # A call naming no data subject: ``request`` gives it a scope of its own
    # that ends with the call; ``key`` shares the key's default scope between
    # all such calls; ``required`` refuses it (400).
    missing: Literal["request", "key", "required"] = "request"
    # Reading or changing a stored object another subject of the tenant
    # created: ``same-subject`` answers 404; ``owner`` allows it and restores
    # the object's values in its owner's scope.
    reads: Literal["same-subject", "owner"] = "same-subject"


class Policy(_Strict):
    """A whole policy file.

    ``recognizers`` switches recognizers on or off by name; a recognizer not
    named keeps its built-in default (see :mod:`policies.recognizers`).
    """

    version: Literal[1] = 1
    default: Rule = Rule()
    entities: dict[EntityType, EntityRule] = Field(default_factory=dict)
    allow_list: tuple[AllowValue, ...] = ()
    recognizers: dict[str, bool] = Field(default_factory=dict)
    routes: Routes = Routes()
    subjects: Subjects = Subjects()

    def rule_for(self, entity_type: str) -> Rule:
        """The effective rule for a type: its override merged over the default."""
        override = self.entities.get(entity_type)
        if override is None:
            return self.default
        return Rule(
            action=override.action if override.action is not None else self.default.action,
            min_score=(
                override.min_score if override.min_score is not None else self.default.min_score
            ),
        )
