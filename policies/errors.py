"""Errors raised by the policies package.

Two different failures leave this package, and callers treat them differently:
a bad policy file is an operator mistake found at start-up (refuse to start,
name the line), while a detection failure happens per request and must make
the gateway refuse that request rather than forward text unscanned.

    PoliciesError                 base of everything raised here
    ├── PolicyError               the policy file cannot be read or is invalid;
    │                             message "file:line: what is wrong"
    └── DetectionError            detection could not run (model missing, worker
                                  crashed, timeout); never "no findings"

Messages never contain the analysed text or a value from it.
"""

from __future__ import annotations


class PoliciesError(Exception):
    """Base class so a caller can catch everything this package raises."""


class PolicyError(PoliciesError):
    """The policy file is unreadable or invalid; the message names file and line."""


class DetectionError(PoliciesError):
    """Detection failed; the caller must fail closed (refuse, never pass raw text)."""
