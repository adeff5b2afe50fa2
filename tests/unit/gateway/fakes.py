"""In-memory stand-ins for a scope's restore side, for pure codec and stream tests."""

from __future__ import annotations

from gateway.restore import Restorer
from vault import Scope

SCOPE = Scope("acme", "customer-42")


class DictValues:
    """A scope's values from a fixed table, the way an opened scope answers."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def value_of(self, token: str) -> str | None:
        return self.values.get(token)


def restorer_of(values: dict[str, str]) -> Restorer:
    return Restorer(DictValues(values))
