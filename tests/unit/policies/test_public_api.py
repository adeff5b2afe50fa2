"""The package exports exactly the contract, and importing it loads no model."""

from __future__ import annotations

import subprocess
import sys

import policies


def test_exports_are_the_contract() -> None:
    assert sorted(policies.__all__) == [
        "Action", "DetectionError", "Finding", "PoliciesError", "Policy", "PolicyError",
        "Scanner", "load_policy",
    ]
    for name in policies.__all__:
        assert getattr(policies, name) is not None


def test_importing_the_package_does_not_import_the_models() -> None:
    code = "import sys, policies; print(sorted(m for m in ('spacy', 'presidio_analyzer', " \
           "'onnxruntime') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_errors_share_one_base() -> None:
    assert issubclass(policies.PolicyError, policies.PoliciesError)
    assert issubclass(policies.DetectionError, policies.PoliciesError)
