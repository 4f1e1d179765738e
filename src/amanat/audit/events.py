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
    ACCOUNT_REAUTHENTICATED = "account.reauthenticated"
    ACCOUNT_EMAIL_CHANGE_UNDONE = "account.email_change_undone"
    STAFF_ADDED = "staff.added"
    STAFF_ENROLLED = "staff.enrolled"
    STAFF_REMOVED = "staff.removed"
    COMMS_QUEUED = "comms.queued"
    STAFF_TRAINING_RECORDED = "staff.training_recorded"
    VAULT_MASTER_ROTATED = "vault.master_rotated"
    VAULT_CUSTOMER_KEYS_ROTATED = "vault.customer_keys_rotated"
    VAULT_ERASURES_REPLAYED = "vault.erasures_replayed"
    VAULT_LEGAL_HOLD_EXPIRED = "vault.legal_hold_expired"
    # Billing, payments and tax certificates (issue 7).
    BILLING_PLAN_CREATED = "billing.plan_created"
    BILLING_ORDER_PLACED = "billing.order_placed"
    BILLING_SERVICE_ACTIVATED = "billing.service_activated"
    BILLING_SERVICE_SUSPENDED = "billing.service_suspended"
    BILLING_SERVICE_REACTIVATED = "billing.service_reactivated"
    BILLING_SERVICE_TERMINATED = "billing.service_terminated"
    BILLING_USAGE_RECORDED = "billing.usage_recorded"
    BILLING_RUN_COMPLETED = "billing.run_completed"
    BILLING_INVOICE_ISSUED = "billing.invoice_issued"
    BILLING_CREDIT_NOTE_ISSUED = "billing.credit_note_issued"
    BILLING_INVOICE_REMINDED = "billing.invoice_reminded"
    BILLING_INVOICE_PAID = "billing.invoice_paid"
    BILLING_PAYMENT_STARTED = "billing.payment_started"
    BILLING_PAYMENT_RECEIVED = "billing.payment_received"
    BILLING_PAYMENT_FAILED = "billing.payment_failed"
    BILLING_PAYMENT_RECORDED = "billing.payment_recorded"
    BILLING_REFUND_ISSUED = "billing.refund_issued"
    BILLING_WEBHOOK_APPLIED = "billing.webhook_applied"
    BILLING_WEBHOOK_REJECTED = "billing.webhook_rejected"
    BILLING_STATEMENT_IMPORTED = "billing.statement_imported"
    BILLING_RECONCILED = "billing.reconciled"
    TAX_PROFILE_UPDATED = "tax.profile_updated"
    TAX_CERTIFICATE_ISSUED = "tax.certificate_issued"
    TAX_CERTIFICATE_VERIFIED = "tax.certificate_verified"
    TAX_WITHHOLDING_STATEMENT = "tax.withholding_statement"
    # Support desk (issue 6).
    SUPPORT_TICKET_OPENED = "support.ticket_opened"
    SUPPORT_CUSTOMER_REPLIED = "support.customer_replied"
    SUPPORT_AGENT_REPLIED = "support.agent_replied"
    SUPPORT_NOTE_ADDED = "support.note_added"
    SUPPORT_STATUS_CHANGED = "support.status_changed"
    SUPPORT_PRIORITY_CHANGED = "support.priority_changed"
    SUPPORT_ASSIGNED = "support.assigned"
    SUPPORT_TICKET_CLOSED = "support.ticket_closed"
    SUPPORT_MAIL_REFUSED = "support.mail_refused"
    # Disclosure register (issue 14).
    DISCLOSURE_REGISTERED = "disclosure.registered"
    DISCLOSURE_APPROVED = "disclosure.approved"
    DISCLOSURE_REJECTED = "disclosure.rejected"
    DISCLOSURE_EXPORTED = "disclosure.exported"
    DISCLOSURE_CUSTOMER_NOTIFIED = "disclosure.customer_notified"
    # Backup and restore (issue 18).
    BACKUP_MADE = "backup.made"
    BACKUP_RESTORED = "backup.restored"
