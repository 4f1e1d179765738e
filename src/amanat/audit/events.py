"""The registry of audit event codes. Every state change records exactly one of these."""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    ACCESS_GRANTED = "access.granted"
    ACCESS_DENIED = "access.denied"
    ACCESS_BREAK_GLASS = "access.break_glass"
    VAULT_MASTER_ROTATED = "vault.master_rotated"
    VAULT_CUSTOMER_KEYS_ROTATED = "vault.customer_keys_rotated"
    VAULT_ERASURES_REPLAYED = "vault.erasures_replayed"
    STAFF_TRAINING_RECORDED = "staff.training_recorded"
