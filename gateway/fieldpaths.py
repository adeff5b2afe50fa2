"""Path patterns over JSON bodies: which fields are structural, which are free-form.

A codec describes its API family's request by paths, not by key names: a key
name means different things in different places (``user`` at the top of a
chat request is an end-user id the pipeline pseudonymises; ``metadata.user``
is whatever the app put there). Patterns are dotted segments:

``name``     that object key
``[]``       any list element (written after a segment: ``messages[].role``)
``*``        any object key
``**``       any run of segments, none included

Pure: no I/O. Matching a path is cached by its *shape* (the path with list
indexes erased), since a body repeats the same few shapes many times.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

PathItem = str | int
Path = tuple[PathItem, ...]

_INDEX = "[]"
_ANY_KEY = "*"
_DEEP = "**"
Shape = tuple[str, ...]


def parse_pattern(pattern: str) -> Shape:
    """``"messages[].content[].text"`` -> ``("messages", "[]", "content", "[]", "text")``."""
    segments: list[str] = []
    for part in pattern.split("."):
        name = part
        indexes = 0
        while name.endswith(_INDEX):
            name = name[: -len(_INDEX)]
            indexes += 1
        if not name and not indexes:
            raise ValueError(f"empty segment in path pattern {pattern!r}")
        if name:
            segments.append(name)
        segments.extend([_INDEX] * indexes)
    return tuple(segments)


def shape_of(path: Path) -> Shape:
    return tuple(_INDEX if isinstance(item, int) else item for item in path)


def _matches(pattern: Shape, shape: Shape) -> bool:
    if not pattern:
        return not shape
    head, rest = pattern[0], pattern[1:]
    if head == _DEEP:
        return any(_matches(rest, shape[start:]) for start in range(len(shape) + 1))
    if not shape:
        return False
    item = shape[0]
    if head == _INDEX:
        ok = item == _INDEX
    elif head == _ANY_KEY:
        ok = item != _INDEX
    else:
        ok = item == head
    return ok and _matches(rest, shape[1:])


@dataclass(frozen=True)
class PathSet:
    """A set of path patterns, matched against whole paths or their prefixes."""

    patterns: tuple[str, ...] = ()
    _cache: dict[Shape, bool] = field(default_factory=dict, compare=False, repr=False)
    _prefix_cache: dict[Shape, int | None] = field(
        default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, *groups: Iterable[str]) -> PathSet:
        return cls(tuple(dict.fromkeys(p for group in groups for p in group)))

    @cached_property
    def _parsed(self) -> tuple[Shape, ...]:
        return tuple(parse_pattern(pattern) for pattern in self.patterns)

    def __or__(self, other: PathSet) -> PathSet:
        return PathSet.of(self.patterns, other.patterns)

    def matches(self, path: Path) -> bool:
        shape = shape_of(path)
        hit = self._cache.get(shape)
        if hit is None:
            hit = self._cache[shape] = any(_matches(p, shape) for p in self._parsed)
        return hit

    def matching_prefix(self, path: Path) -> int | None:
        """Length of the shortest prefix of ``path`` that matches, or None."""
        shape = shape_of(path)
        if shape not in self._prefix_cache:
            self._prefix_cache[shape] = next(
                (end for end in range(len(shape) + 1)
                 if any(_matches(p, shape[:end]) for p in self._parsed)), None)
        return self._prefix_cache[shape]


__all__ = ["Path", "PathItem", "PathSet", "parse_pattern", "shape_of"]
