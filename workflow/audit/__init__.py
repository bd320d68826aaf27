"""The audit trail: signed, hash-chained events per document, each chain's head anchored apart,
and the check of it all (``manage.py verify_audit``). See docs/security/audit.md.

- ``keys``: the audit key (``KINERJA_AUDIT_KEY``) and the retired keys old events name;
- ``events``: building signed events and reading a document's history;
- ``anchors``: the signed heads (on a document's row, or ``AuditHead`` for a record's chain) and
  the tallies of record chains;
- ``verify``: checking events, heads, tallies and each document's status;
- ``seal``: anchoring chains written before the key (a migration) and re-signing after a rotation.
"""

from .events import build_event, event_hash, history, next_event
from .verify import Breach, Verification, verify, verify_all

__all__ = ["Breach", "Verification", "build_event", "event_hash", "history", "next_event", "verify", "verify_all"]
