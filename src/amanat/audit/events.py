"""The registry of audit event codes. Every state change records exactly one of these."""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    ACCESS_GRANTED = "access.granted"
    ACCESS_DENIED = "access.denied"
    ACCESS_BREAK_GLASS = "access.break_glass"
    # Accounts, customers, staff and the outbox (issue 4).
    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_UPDATED = "customer.updated"
    CUSTOMER_EMAIL_VERIFIED = "customer.email_verified"
    CUSTOMER_EMAIL_CHANGED = "customer.email_changed"
    CUSTOMER_ERASED = "customer.erased"
    ACCOUNT_SIGNED_UP = "account.signed_up"
    ACCOUNT_SIGNED_IN = "account.signed_in"
    ACCOUNT_MFA_PASSED = "account.mfa_passed"
    ACCOUNT_MFA_ENABLED = "account.mfa_enabled"
    ACCOUNT_MFA_DISABLED = "account.mfa_disabled"
    ACCOUNT_RECOVERY_CODES_REPLACED = "account.recovery_codes_replaced"
    ACCOUNT_PASSWORD_CHANGED = "account.password_changed"  # noqa: S105 -- an event code, not a secret
    ACCOUNT_PASSWORD_RESET_REQUESTED = "account.password_reset_requested"  # noqa: S105 -- an event code, not a secret
    ACCOUNT_PASSWORD_RESET = "account.password_reset"  # noqa: S105 -- an event code, not a secret
    SESSION_ENDED = "account.session_ended"
    SESSIONS_REVOKED = "account.sessions_revoked"
    API_TOKEN_CREATED = "account.api_token_created"  # noqa: S105 -- an event code, not a secret
    API_TOKEN_REVOKED = "account.api_token_revoked"  # noqa: S105 -- an event code, not a secret
    STAFF_ADDED = "staff.added"
    STAFF_ENROLLED = "staff.enrolled"
    STAFF_REMOVED = "staff.removed"
    COMMS_QUEUED = "comms.queued"
    STAFF_TRAINING_RECORDED = "staff.training_recorded"
    VAULT_MASTER_ROTATED = "vault.master_rotated"
    VAULT_CUSTOMER_KEYS_ROTATED = "vault.customer_keys_rotated"
    VAULT_ERASURES_REPLAYED = "vault.erasures_replayed"
