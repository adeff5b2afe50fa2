"""Policies: what counts as personal data and what to do with it.

The public surface (see docs/INTERFACES.md): the policy model and its YAML
loader, and the :class:`Scanner` that runs detection (Presidio with a trimmed
spaCy model, checksum-validated and multi-region recognizers and an offline
PII tagger) under a policy. Importing this package loads no model and does no
I/O; :meth:`Scanner.create` does.
"""

from policies.errors import DetectionError, PoliciesError, PolicyError
from policies.loader import load_policy
from policies.model import Action, Finding, Policy
from policies.scanner import Scanner

__all__ = [
    "Action",
    "DetectionError",
    "Finding",
    "PoliciesError",
    "Policy",
    "PolicyError",
    "Scanner",
    "load_policy",
]
