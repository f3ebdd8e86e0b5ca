"""Who writes an entry: the caller as an officer of the room's open shift, or a supervisor."""

from __future__ import annotations

from services.dutylog.chain_store import Txn
from services.dutylog.domain.entries import Department, Officer
from services.dutylog.domain.shifts import Shift
from services.dutylog.store import SHIFTS, shift_from_doc
from services.platform.auth import Principal, Role
from services.platform.errors import FailedPrecondition, PreconditionViolation

SYSTEM = Officer("service:dutylog", "Automatic capture", Department.SUPERVISION)


async def open_shift(txn: Txn) -> Shift | None:
    """The room's open shift, read in the transaction."""
    head = await txn.head()
    if not head.get("open_shift"):
        return None
    name = f"rooms/{txn.room}/shifts/{head['open_shift']}"
    doc = await txn.store.db[SHIFTS].find_one({"name": name}, session=txn.session)
    return shift_from_doc(doc) if doc else None


def on_shift(shift: Shift | None, principal: Principal) -> Officer | None:
    if shift is None:
        return None
    return next((o for o in shift.officers if o.subject == principal.subject), None)


def as_supervisor(principal: Principal) -> Officer:
    return Officer(principal.subject, principal.name or principal.subject, Department.SUPERVISION)


def not_on_shift(room: str, subject: str, shift: str = "the open shift") -> FailedPrecondition:
    why = f"{subject} is not an officer of {shift} of {room}"
    return FailedPrecondition(
        why, "NOT_ON_SHIFT", {"room": room}, [PreconditionViolation("SHIFT", room, why)]
    )


def member(shift: Shift, principal: Principal) -> Officer:
    """The caller as an officer of ``shift``; FAILED_PRECONDITION when not on its roster."""
    officer = on_shift(shift, principal)
    if officer is None:
        raise not_on_shift(f"rooms/{shift.room}", principal.subject, f"shift {shift.shift_id}")
    return officer


async def author(txn: Txn, principal: Principal) -> Officer:
    """The caller as the author of an entry: an officer of the open shift (with the department
    the roster gives), else a supervisor; anyone else is refused."""
    officer = on_shift(await open_shift(txn), principal)
    if officer is not None:
        return officer
    if Role.SUPERVISOR in principal.roles:
        return as_supervisor(principal)
    raise not_on_shift(f"rooms/{txn.room}", principal.subject)
