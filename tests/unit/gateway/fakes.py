"""In-memory stand-ins for the vault's restore side, for pure stream tests."""

from __future__ import annotations

from collections.abc import Callable

from vault import Scope
from vault.tokens import find_tokens

SCOPE = Scope("acme", "customer-42")


class DictVault:
    """Restores tokens from a fixed table, the way the vault does for one scope."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    async def restore(self, scope: Scope, text: str,
                      escape: Callable[[str], str] | None = None) -> str:
        def swap(match: object) -> str:
            token = match.group()  # type: ignore[attr-defined]
            value = self.values.get(token)
            if value is None:
                return str(token)
            return escape(value) if escape else value

        pieces, cursor = [], 0
        for match in find_tokens(text):
            pieces += [text[cursor:match.start()], swap(match)]
            cursor = match.end()
        return "".join([*pieces, text[cursor:]])
