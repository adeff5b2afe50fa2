"""Tamper-evident audit log: canonical records in an RFC 9162 Merkle tree.

The gateway appends one :class:`AuditRecord` per call and per admin action
with :meth:`AuditLog.append`; signed checkpoints, inclusion and consistency
proofs let a compliance officer check an export offline
(:func:`audit.verify.verify_bundle`) and an operator check the database
(:func:`audit.fsck.fsck`). Nothing here imports ``gateway``, ``vault`` or
``policies``; pure modules (hashing, proofs, tree, records, checkpoint) do
no I/O.
"""

from audit.bundle import ExportQuery
from audit.errors import AuditError
from audit.log import AuditLog
from audit.records import AuditRecord
from audit.schema import migrate

__all__ = ["AuditError", "AuditLog", "AuditRecord", "ExportQuery", "migrate"]
