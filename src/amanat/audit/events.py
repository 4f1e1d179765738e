"""The registry of audit event codes. Every state change records exactly one of these."""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    ACCESS_GRANTED = "access.granted"
    ACCESS_DENIED = "access.denied"
    ACCESS_BREAK_GLASS = "access.break_glass"
    STAFF_TRAINING_RECORDED = "staff.training_recorded"
