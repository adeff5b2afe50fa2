"""Every failure the audit package raises, as one tree.

The gateway catches :class:`AuditError` at the package boundary and refuses
the request (fail closed): a call that cannot be recorded is not served.
Messages name indexes, sizes and table names, never a record's content.

::

    AuditError                  base: anything the audit log could not do
    ├── RecordError             a record that has no canonical form (bad time,
    │                           kind, a subject that is not a pseudonym, ...)
    ├── ProofError              a Merkle proof that is malformed or does not verify
    ├── CheckpointError         a signed note that does not parse, or whose
    │                           signature or origin does not match
    ├── KeyFileError            the signing key file cannot be read, created or
    │                           is writable by others
    ├── StorageError            the database refused or failed an operation
    ├── BundleError             an export bundle that cannot be read at all
    └── RetentionError          a retention period below the legal minimum
                                without force, or a prune that is not allowed
"""

from __future__ import annotations


class AuditError(Exception):
    """Base of the tree: the audit log could not do what was asked."""


class RecordError(AuditError):
    """A record cannot be put into canonical form."""


class ProofError(AuditError):
    """A Merkle proof is malformed or does not lead to the expected root."""


class CheckpointError(AuditError):
    """A signed checkpoint or manifest does not parse or does not verify."""


class KeyFileError(AuditError):
    """The signing key file is unusable."""


class StorageError(AuditError):
    """The database failed or refused an audit operation."""


class BundleError(AuditError):
    """An export bundle cannot be opened or lacks a required part."""


class RetentionError(AuditError):
    """A retention setting or prune request is refused."""
