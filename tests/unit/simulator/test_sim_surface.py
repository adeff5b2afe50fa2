"""The package's public surface, and that it stands alone."""

from __future__ import annotations

import ast
from pathlib import Path

import gateway.simulator as simulator

PACKAGE = Path(simulator.__file__).parent


def test_exports_are_what_is_meant() -> None:
    assert sorted(simulator.__all__) == [
        "ApiError",
        "RecordedRequest",
        "SimulatorError",
        "SimulatorState",
        "create_simulator_app",
    ]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_imports_nothing_else_from_the_project() -> None:
    for path in PACKAGE.glob("*.py"):
        for name in imported_modules(path):
            top = name.split(".")[0]
            assert top not in ("vault", "policies", "audit"), (path.name, name)
            if top == "gateway":
                assert name.startswith("gateway.simulator"), (path.name, name)


def test_app_state_is_the_given_state() -> None:
    state = simulator.SimulatorState()
    assert simulator.create_simulator_app(state).state.sim is state
    assert isinstance(simulator.create_simulator_app().state.sim, simulator.SimulatorState)
