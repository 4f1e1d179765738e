"""Security events: failures and locks, kept for the monitoring (the audit chain of the
guard issue takes them over). Ids, kinds and keyed hashes only; never a value."""

from __future__ import annotations

from amanat.accounts.models import SecurityEvent
from amanat.db.uow import UnitOfWork
from amanat.runtime import Runtime

KINDS = (
    "signin.failed",
    "signin.refused",
    "signin.account_locked",
    "signin.account_hard_locked",
    "signin.network_locked",
    "mfa.failed",
    "mfa.refused",
    "mfa.account_locked",
    "mfa.account_hard_locked",
    "mail.address_limited",
    "mail.network_limited",
    "signin.new_device",
    "signin.suspicious",
)


def record_security_event(
    uow: UnitOfWork,
    runtime: Runtime,
    kind: str,
    *,
    principal_kind: str | None = None,
    principal_id: str | None = None,
    subject_key: str | None = None,
    network_key: str | None = None,
    details: dict[str, object] | None = None,
) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown security event kind {kind}")
    uow.session.add(
        SecurityEvent(
            at=runtime.clock.now(),
            kind=kind,
            principal_kind=principal_kind,
            principal_id=principal_id,
            subject_key=subject_key,
            network_key=network_key,
            details=details or {},
        )
    )
    uow.session.flush()


def network_key(runtime: Runtime, ip: str) -> str:
    """A keyed hash of the network address: correlates attempts, reveals no address."""
    return "net:" + runtime.vault.hash_token("network|" + ip)


def account_key(runtime: Runtime, principal_kind: str, normalised_name: str) -> str:
    """A keyed hash of the sign-in name, the same whether or not the account exists."""
    return f"acct:{principal_kind}:" + runtime.vault.hash_token(
        f"signin|{principal_kind}|{normalised_name}"
    )


def account_network_key(
    runtime: Runtime, principal_kind: str, normalised_name: str, ip: str
) -> str:
    """A keyed hash of the sign-in name from one network address: failures from there
    slow down sign-ins from there, not the owner's elsewhere."""
    return f"acctnet:{principal_kind}:" + runtime.vault.hash_token(
        f"signin|{principal_kind}|{normalised_name}|{ip}"
    )


def device_proof(runtime: Runtime, principal_kind: str, principal_id: str, since: str) -> str:
    """The device cookie's value for a browser that signed in to this account: a keyed
    hash of the account and of when its password was set (``since``), so a password
    change or reset forgets every device that knew the old one."""
    return runtime.vault.hash_token(f"device|{principal_kind}|{principal_id}|{since}")


def mfa_key(principal_kind: str, principal_id: str) -> str:
    """Second-factor failures are counted per account (an id, not a personal value)."""
    return f"mfa:{principal_kind}:{principal_id}"


def mail_key(runtime: Runtime, normalised_email: str) -> str:
    """A keyed hash of an address mail is asked for, whether or not it has an account."""
    return "mail:" + runtime.vault.hash_token("mail|" + normalised_email)


def mail_network_key(runtime: Runtime, ip: str) -> str:
    """A keyed hash of the network address that asks for mail."""
    return "mailnet:" + runtime.vault.hash_token("network|" + ip)
