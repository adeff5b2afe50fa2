"""Load a policy file and report mistakes by file and line.

An operator who mistypes a key must be told where, so validation keeps the
YAML node tree: pydantic reports an error location such as
``("entities", "PERSON", "action")`` and we walk the same path through the
composed nodes to the node's ``start_mark``. Values from the file are never
echoed in messages: an allow-list may itself hold names.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from importlib.resources import files
from pathlib import Path

import yaml
from pydantic import ValidationError

from policies.errors import PolicyError
from policies.model import Policy

DEFAULT_POLICY_NAME = "default_policy.yaml"


def default_policy_path() -> Path:
    """The policy shipped inside the package."""
    return Path(str(files("policies").joinpath(DEFAULT_POLICY_NAME)))


def load_policy(
    path: Path | None,
    *,
    known_recognizers: Callable[[], Collection[str]] | None = None,
) -> Policy:
    """Read, parse and validate a policy; ``None`` loads the shipped default.

    ``known_recognizers`` returns the recognizer names the engine offers, so
    a switch naming no recognizer is reported with its line; by default it is
    the engine's own registry (imported only here, because it pulls in
    Presidio).
    """
    source = path if path is not None else default_policy_path()
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise PolicyError(f"{source}: cannot read policy file: {reason}") from None
    return parse_policy(text, str(source), known_recognizers=known_recognizers)


def parse_policy(
    text: str,
    source: str,
    *,
    known_recognizers: Callable[[], Collection[str]] | None = None,
) -> Policy:
    """Validate policy text; ``source`` names it in error messages."""
    node, data = _compose(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(f"{source}:{_line(node)}: a policy must be a mapping of keys")
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        line = _line_of(node, first["loc"])
        where = ".".join(str(part) for part in first["loc"] if part != "[key]")
        raise PolicyError(f"{source}:{line}: {where or 'policy'}: {first['msg']}") from None
    names = _recognizer_names() if known_recognizers is None else known_recognizers()
    for name in policy.recognizers:
        if name not in names:
            line = _line_of(node, ("recognizers", name, "[key]"))
            raise PolicyError(f"{source}:{line}: recognizers.{name}: no recognizer of this name")
    return policy


def _recognizer_names() -> Collection[str]:
    from policies.recognizers import recognizer_names

    return recognizer_names()


def _compose(text: str, source: str) -> tuple[yaml.Node | None, object]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or "syntax error"
        raise PolicyError(f"{source}:{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError:
        raise PolicyError(f"{source}:1: invalid YAML") from None
    finally:
        loader.dispose()
    return node, data


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _line_of(root: yaml.Node | None, loc: Sequence[int | str]) -> int:
    """Line of the node that ``loc`` points at, or of its deepest existing parent.

    A key error (unknown key, bad entity-type key) points at the key itself; a
    missing or bad value points at the value, or at the mapping that lacks it.
    """
    node = root
    for index, part in enumerate(loc):
        if node is None:
            break
        if part == "[key]":
            continue
        next_is_key = index + 1 < len(loc) and loc[index + 1] == "[key]"
        child = _child(node, part, want_key=next_is_key or index + 1 == len(loc))
        if child is None:
            break
        node = child
    return _line(node)


def _child(node: yaml.Node, part: int | str, *, want_key: bool) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return key_node if want_key else value_node
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        items: list[yaml.Node] = node.value
        return items[part] if 0 <= part < len(items) else None
    return None
