"""MongoDB layout of the seal service and the reads that rebuild a trip's monitor.

Collections: ``seals``, ``sites``, ``routes`` (named resources), ``attachments`` (one per trip:
plan snapshot, lifecycle, the monitor's small dynamic state and a ``version`` for optimistic
concurrency), ``pings`` (one document per ping, unique by (device, seq): the idempotency key)
and the platform's outbox. A trip's pings are not copied into its attachment: the monitor's
timeline is rebuilt from ``pings`` when the trip is loaded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.platform.outbox import ALERTS
from services.platform.outbox import INDEXES as OUTBOX_INDEXES
from services.platform.resources import name_indexes
from services.seal.domain.config import RuleConfig
from services.seal.domain.monitor import DOCUMENT_VERSION, TripMonitor
from services.seal.domain.pings import PING_COLUMNS

SEALS = "seals"
SITES = "sites"
ROUTES = "routes"
ATTACHMENTS = "attachments"
PINGS = "pings"
#: one document per running process: its transaction session and a heartbeat
INSTANCES = "instances"

INDEXES: dict[str, list[IndexModel]] = {
    SEALS: name_indexes(),
    SITES: name_indexes(),
    ROUTES: name_indexes(),
    ATTACHMENTS: name_indexes(
        IndexModel([("container_number", ASCENDING), ("closed", ASCENDING)]),
        IndexModel([("seal", ASCENDING), ("create_time", DESCENDING)]),
        IndexModel([("state", ASCENDING), ("name", ASCENDING)]),
    ),
    PINGS: [
        IndexModel([("device", ASCENDING), ("seq", ASCENDING)], unique=True),
        IndexModel([("attachment", ASCENDING), ("seq", ASCENDING)]),
    ],
    ALERTS: [*OUTBOX_INDEXES[ALERTS], IndexModel("episode")],
}

#: States in which a trip is supervised (its monitor runs).
SUPERVISED = ("IN_TRANSIT", "ARRIVED")


def monitor_state(monitor: TripMonitor) -> dict[str, Any]:
    """The part of a monitor that changes with each batch (small: no pings)."""
    return {
        "records": [r.to_document() for r in monitor.records],
        "through_seq": monitor.through_seq,
        "last_reception": monitor.last_reception,
        "episode_counter": monitor.episode_counter,
        "settled_seq": monitor.settled_seq,
    }


async def highest_seq(db: AsyncDatabase[dict[str, Any]], seal: str) -> int:
    doc = await db[PINGS].find_one({"device": seal}, {"seq": 1}, sort=[("seq", DESCENDING)])
    return -1 if doc is None else int(doc["seq"])


async def load_monitor(
    db: AsyncDatabase[dict[str, Any]], attachment: dict[str, Any]
) -> TripMonitor:
    """The monitor of an armed attachment, its timeline rebuilt from the stored pings."""
    docs = (
        await db[PINGS]
        .find({"attachment": attachment["name"]}, {"_id": 0})
        .sort("seq", ASCENDING)
        .to_list()
    )
    cols: dict[str, list[Any]] = {name: [] for name in [*PING_COLUMNS, "drift"]}
    for d in docs:
        cols["seq"].append(d["seq"])
        cols["device_time"].append(d["device_time"].timestamp())
        cols["server_time"].append(d["server_time"].timestamp())
        for name in ("lat", "lon", "speed_mps", "heading_deg", "battery_pct", "lock", "tamper"):
            cols[name].append(d[name])
        cols["signal_dbm"].append(d["signal_dbm"])
        cols["drift"].append(bool(d.get("drift", False)))
    if not docs:  # numpy needs typed empty columns
        cols = {name: np.zeros(0).tolist() for name in cols}
    state = dict(attachment["monitor"])
    # the state is written with alerts only: reception is known from the pings themselves
    if docs:
        received = max(cols["server_time"])
        if state.get("last_reception") is None or received > state["last_reception"]:
            state["last_reception"] = received
    return TripMonitor.from_document(
        {
            "version": DOCUMENT_VERSION,
            "trip": attachment["trip"],
            "config": attachment["config"],
            "pings": cols,
            **state,
        }
    )


async def last_ping(
    db: AsyncDatabase[dict[str, Any]], attachment: str
) -> tuple[dict[str, Any] | None, int]:
    """The attachment's ping with the highest seq, and how many of its pings drifted."""
    last = await db[PINGS].find_one({"attachment": attachment}, sort=[("seq", DESCENDING)])
    drifted = await db[PINGS].count_documents({"attachment": attachment, "drift": True})
    return last, drifted


def new_monitor_fields(monitor: TripMonitor, config: RuleConfig) -> dict[str, Any]:
    """What arming stores: the trip (plan with start time), thresholds and initial state."""
    return {
        "trip": monitor.trip.to_document(),
        "config": config.to_document(),
        "monitor": monitor_state(monitor),
    }
