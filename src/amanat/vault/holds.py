"""Legal holds: a second data key per customer that erasure spares until the hold expires.

Records the law makes the provider keep after an account is closed (invoices, tax
certificates, tax profiles: the categories with ``retention.legal_hold: true`` in the
policy; Income Tax Ordinance 2001, s.174) are encrypted under the customer's **hold key**,
whose key owner in the key store is ``hold:<customer id>``. Everything else of theirs is
encrypted under their ordinary key, owned by ``<customer id>``.

* The vault picks the key from the column's declared category and the policy (never the
  caller): ``legal_hold_columns`` lists the (table, column) pairs that take the hold key.
* Erasure destroys the ordinary key only; the hold key outlives it.
* ``amanat retention run`` destroys the hold key of an erased customer once the hold has
  expired (``hold_expires``), through the same ledger as any erasure, so that a restore
  never brings the records back.

The ciphertext format does not change: its header names the key id, and the key store
row of that id names its owner. The associated data still names the customer, so a held
value is bound to its customer, table, column and row like any other.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from amanat.policy.model import Policy

HOLD_PREFIX = "hold:"


def hold_owner(customer_id: str) -> str:
    """The key owner of a customer's legal-hold key."""
    return HOLD_PREFIX + customer_id


def is_hold_owner(owner: str) -> bool:
    return owner.startswith(HOLD_PREFIX)


def subject_of(owner: str) -> str:
    """The customer a key owner belongs to (itself for an ordinary key)."""
    return owner[len(HOLD_PREFIX) :] if owner.startswith(HOLD_PREFIX) else owner


def legal_hold_categories(policy: Policy) -> frozenset[str]:
    """Encrypted categories whose retention carries a legal hold."""
    return frozenset(c.id for c in policy.categories if c.encrypted and c.retention.legal_hold)


def legal_hold_columns(policy: Policy) -> frozenset[tuple[str, str]]:
    """(table, column) of every encrypted column whose category is under a legal hold."""
    from amanat.vault.discovery import encrypted_tables

    held = legal_hold_categories(policy)
    return frozenset(
        (found.table.name, column.name)
        for found in encrypted_tables(policy)
        for column in found.encrypted
        if (column.info or {}).get("category") in held
    )


def tax_year_end(day: date) -> datetime:
    """The end of the Pakistani tax year (1 July to 30 June) holding ``day``, as a UTC instant.

    The first moment of 1 July, UTC: a few hours later than midnight in Pakistan, so a hold
    never ends early.
    """
    return datetime.combine(date(day.year + (day.month >= 7), 7, 1), time(), tzinfo=UTC)


def hold_expires(policy: Policy, last_record: date, closed_at: datetime) -> datetime:
    """When the legal hold on a closed account's records ends: the latest end over every
    held category's retention (``keep`` after ``after``).

    ``last_record``: the date of the newest held record (its tax year is what
    ``tax_year_end`` counts from); ``closed_at``: when the account was closed or erased.
    With no held category in the policy the hold ends at ``closed_at``.
    """
    ends = [closed_at]
    for category in policy.categories:
        retention = category.retention
        if not (category.encrypted and retention.legal_hold):
            continue
        if retention.after == "tax_year_end":
            start = tax_year_end(last_record)
        elif retention.after == "account_closed":
            start = closed_at
        else:  # collected and any other event: count from the record itself
            start = datetime.combine(last_record, time(), tzinfo=UTC)
        ends.append(retention.duration.after(start))
    return max(ends)
