"""Who may import whom: the layering DESIGN.md draws, checked on the source itself.

- ``policies``, ``vault`` and ``audit`` never import ``gateway``, nor each other;
- the simulated provider (tests and demo only) is imported by nothing on the
  production path: only ``gateway/demo.py`` (lazily, from ``piigate demo``) and
  the simulator itself;
- route declarations live in a leaf module (``gateway.routing``) that imports no codec.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("gateway", "vault", "policies", "audit")


def imported_modules(path: Path) -> set[str]:
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", ["vault", "policies", "audit"])
def test_lower_packages_never_import_the_gateway_or_each_other(package: str) -> None:
    others = {p for p in PACKAGES if p != package}
    for path in sources(package):
        bad = {m for m in imported_modules(path) if m.split(".")[0] in others}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_only_the_demo_imports_the_simulated_provider() -> None:
    for path in sources("gateway"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("gateway/simulator/") or relative == "gateway/demo.py":
            continue
        uses = {m for m in imported_modules(path) if m.startswith("gateway.simulator")}
        assert not uses, f"{relative} imports the simulator"


def test_serving_the_gateway_loads_no_simulator_code() -> None:
    code = ("import sys, gateway.app, gateway.cli, gateway.stages, gateway.pipeline; "
            "print([m for m in sys.modules if m.startswith('gateway.simulator')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.strip()
    assert out == "[]"


def test_route_declarations_import_no_codec() -> None:
    uses = {m for m in imported_modules(ROOT / "gateway" / "routing.py")
            if m.startswith("gateway.codecs") and "TYPE_CHECKING" not in m}
    # Only the Codec protocol, for type checking.
    assert uses <= {"gateway.codecs.base", "gateway.codecs.base.Codec"}
