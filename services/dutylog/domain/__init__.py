"""Pure domain core of the dutylog service: the tamper-evident duty log of a monitoring room.

Modules:
- ``errors``: DomainValidationError and IllegalTransition.
- ``entries``: entry kinds, officers/authors, references, attachments and entry drafts.
- ``canonical``: the canonical byte encoding of entry content (read its docstring before writing
  any verifier) and the hash helpers.
- ``chain``: sealing entries into the per-room hash chain and verifying a chain.
- ``checkpoints``: Ed25519 signing keys and signed chain checkpoints.
- ``audit``: checking checkpoints against trusted keys and their cadence, and what that proves.
- ``alarms``: the alarm lifecycle (every alert of the other services becomes an alarm).
- ``directives``: directives (ý kiến chỉ đạo), their results and overdue detection.
- ``shifts``: shifts of a room (at most one open at a time).
- ``handovers``: handovers, their acknowledgement and the carry-over of open items.
- ``notices``: alert descriptions raised by the dutylog itself.
- ``bundle``: the signed export bundle of a shift's log and its offline verification.
"""
