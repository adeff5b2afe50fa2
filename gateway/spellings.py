"""How this request wrote each value, so that restoring gives back exactly what was sent.

One token stands for every spelling of a value ("Lindqvist", "LINDQVIST",
"lindqvist"; "+1 555-0100" and "15550100"): the model must see one person,
not three. But when the model echoes or quotes the app's text, the app must
get its own bytes back. So the request side records, for every token it
wrote, the spelling it replaced and the text the model saw just before it;
the response side picks, for each token it restores, the spelling whose
preceding text matches best:

1. a token the request did not write keeps its stored spelling (the first
   one the scope ever saw);
2. a token the request wrote one way only is restored that way;
3. otherwise the occurrence whose preceding text (as the model saw it)
   shares the longest ending with the text before the token in the answer
   wins, so an echo or a quote gets each spelling back in its place; when no
   ending says anything, an occurrence whose whole preceding text matched
   (a value that opened its text matches everywhere) wins, then the latest
   spelling the request used.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# How much preceding text is compared; enough to tell apart the places of one
# token in a message, short enough to cost nothing.
CONTEXT_CHARS = 48
# Shared endings shorter than this (a space, a comma and a space) prove nothing.
MIN_EVIDENCE = 4


@dataclass(frozen=True, slots=True)
class _Occurrence:
    spelling: str
    before: str  # up to CONTEXT_CHARS of upstream text before the token


@dataclass(slots=True)
class Spellings:
    _seen: dict[str, list[_Occurrence]] = field(default_factory=dict)

    def add(self, token: str, spelling: str, before: str) -> None:
        self._seen.setdefault(token, []).append(
            _Occurrence(spelling, before[-CONTEXT_CHARS:]))

    def choose(self, token: str, before: str) -> str | None:
        """The spelling to restore ``token`` with after ``before``; None: the stored one."""
        seen = self._seen.get(token)
        if not seen:
            return None
        first = seen[0].spelling
        if all(occurrence.spelling == first for occurrence in seen):
            return first
        tail = before[-CONTEXT_CHARS:]

        def fit(index: int) -> tuple[int, bool, int]:
            # The longest shared ending wins; a few shared characters (a space)
            # say nothing, then an occurrence whose whole preceding text matched
            # (even an empty one: the value opened its text) wins, then the latest.
            known = seen[index].before
            common = _common_ending(known, tail)
            return (common if common >= MIN_EVIDENCE else 0), common == len(known), index

        return seen[max(range(len(seen)), key=fit)].spelling

    def __bool__(self) -> bool:
        return bool(self._seen)


def _common_ending(a: str, b: str) -> int:
    length = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        length += 1
    return length
