"""Apply a policy to raw detections: thresholds, allow-list, actions.

Kept apart from the engine so that it is pure and cheap: it runs in the
gateway process on the spans the workers return, and a policy change never
invalidates what the models found.

Order matters and is chosen to fail safe:

1. a span below its type's ``min_score`` is dropped;
2. a span lying inside an occurrence of an allow-list value (whole words,
   case-insensitive) is not protected: the operator said the value is not
   personal, whichever recognizer thought otherwise;
3. a span of an allowed type (an organisation, a date) that overlaps a
   protected span is protected with it: the small NER model often calls a
   person an organisation, and the part only it saw must not stay in clear;
4. the protected spans are merged (see
   :mod:`policies.spans`); a merged span gets the strictest action of the
   types in it, so merging never weakens protection;
5. allowed spans are reported with ``Action.ALLOW`` (a dry run shows them) only
   where they do not overlap a protected span.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from policies.model import Action, Finding, Policy
from policies.spans import Resolved, Span, resolve, widen_to_words


class PolicyApplier:
    """A policy with its allow-list compiled once."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._allow_re = _allow_pattern(policy.allow_list)

    @property
    def policy(self) -> Policy:
        return self._policy

    def apply(self, text: str, raw: Sequence[Span]) -> list[Finding]:
        """Findings for ``text``: sorted, disjoint, with the policy's actions."""
        policy = self._policy
        kept = [
            widen_to_words(text, s)
            for s in raw
            if s.score >= policy.rule_for(s.entity_type).min_score
        ]
        regions = self._allowed_regions(text)
        protected: list[Span] = []
        allowed: list[Span] = []
        type_allowed: list[Span] = []
        for span in kept:
            if _inside(span, regions):
                allowed.append(span)
            elif policy.rule_for(span.entity_type).action is Action.ALLOW:
                type_allowed.append(span)
            else:
                protected.append(span)
        absorbed, still_allowed = _absorb(protected, type_allowed)
        protected.extend(absorbed)
        allowed.extend(still_allowed)
        findings = [self._protected_finding(r) for r in resolve(text, protected)]
        for resolved in resolve(text, allowed):
            span = resolved.span
            if not any(f.start < span.end and span.start < f.end for f in findings):
                findings.append(Finding(span.entity_type, span.start, span.end, span.score,
                                        Action.ALLOW))
        findings.sort(key=lambda f: f.start)
        return findings

    def _protected_finding(self, resolved: Resolved) -> Finding:
        span = resolved.span
        action = max(
            (self._policy.rule_for(t).action for t in resolved.member_types),
            key=lambda a: a.strictness,
        )
        return Finding(span.entity_type, span.start, span.end, span.score, action)

    def _allowed_regions(self, text: str) -> list[tuple[int, int]]:
        if self._allow_re is None:
            return []
        return [m.span() for m in self._allow_re.finditer(text)]


def _allow_pattern(values: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for the whole allow-list: whole words, any case, any spacing."""
    if not values:
        return None
    ordered = sorted(set(values), key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in v.split()) for v in ordered)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _absorb(
    protected: Sequence[Span], candidates: Sequence[Span]
) -> tuple[list[Span], list[Span]]:
    """Allowed-type spans that overlap a protected span, retyped to protect the whole.

    The small NER model often reads a name or a street as an organisation or a
    date; when another recognizer protects part of that span, the part it
    missed ("Coronado" in "Ferdinando Coronado") must not stay in clear. The
    span joins the protected type it overlaps, with that span's score. Returns
    the retyped spans and the candidates that overlap nothing protected.
    """
    absorbed: list[Span] = []
    remaining: list[Span] = []
    for span in candidates:
        guard = next((g for g in protected if g.start < span.end and span.start < g.end), None)
        if guard is None:
            remaining.append(span)
        else:
            absorbed.append(Span(guard.entity_type, span.start, span.end, guard.score))
    return absorbed, remaining


def _inside(span: Span, regions: Sequence[tuple[int, int]]) -> bool:
    return any(start <= span.start and span.end <= end for start, end in regions)
