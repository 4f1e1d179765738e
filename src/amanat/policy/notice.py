"""The public privacy notice as a view of the loaded policy, so that the two cannot drift."""

from __future__ import annotations

from dataclasses import dataclass

from amanat.policy.model import Category, Policy, Purpose, Retention

LEGAL_BASES = {
    "contract": "to perform our contract with you",
    "consent": "only with your consent, which you can withdraw at any time",
    "legal_obligation": "because the law requires it",
    "legitimate_interest": "in our legitimate interest, balanced against yours",
}

END_ACTIONS = {
    "delete": "then deleted",
    "truncate": "then shortened so that it no longer identifies you",
    "anonymise": "then anonymised",
}


@dataclass(frozen=True)
class NoticeCategory:
    category: Category
    collected_at: list[str]
    retention: str
    used_for: list[str]


@dataclass(frozen=True)
class NoticeGroup:
    id: str
    title: str
    clause: str
    summary: str
    categories: list[NoticeCategory]


@dataclass(frozen=True)
class NoticePurpose:
    purpose: Purpose
    legal_basis: str
    categories: list[str]


def describe_retention(policy: Policy, retention: Retention) -> str:
    events = {e.id: e.title for e in policy.retention_events}
    duration = retention.duration
    parts = [
        f"{n} {unit}{'s' if n != 1 else ''}"
        for n, unit in (
            (duration.years, "year"),
            (duration.months, "month"),
            (duration.days, "day"),
        )
        if n
    ]
    length = " and ".join(parts) if parts else "no longer than needed"
    text = f"Kept {length} {events.get(retention.after, retention.after)}, {END_ACTIONS[retention.then]}."
    if not parts:
        text = f"Deleted {events.get(retention.after, retention.after)}."
    if retention.legal_basis:
        text += f" Required by law: {retention.legal_basis.strip()}"
    if retention.legal_hold:
        text += " Kept even after your account is closed."
    return text


def build_notice(policy: Policy) -> dict[str, object]:
    points = {p.id: p.title for p in policy.collection_points}
    titles = {c.id: c.title for c in policy.categories}
    used_for: dict[str, list[str]] = {c.id: [] for c in policy.categories}
    for purpose in policy.purposes:
        for category_id in purpose.reads:
            used_for[category_id].append(purpose.title)
    groups = [
        NoticeGroup(
            id=group.id,
            title=group.title,
            clause=group.clause,
            summary=group.summary,
            categories=[
                NoticeCategory(
                    category=category,
                    collected_at=[points[p] for p in category.collected_at],
                    retention=describe_retention(policy, category.retention),
                    used_for=used_for[category.id],
                )
                for category in policy.categories
                if category.group == group.id
            ],
        )
        for group in policy.groups
    ]
    purposes = [
        NoticePurpose(
            purpose=purpose,
            legal_basis=LEGAL_BASES[purpose.legal_basis],
            categories=[titles[c] for c in purpose.reads],
        )
        for purpose in policy.purposes
    ]
    return {
        "provider": policy.provider,
        "groups": groups,
        "purposes": purposes,
        "collection_points": policy.collection_points,
        "protection": policy.protection,
        "sharing": policy.sharing,
        "approvers": {
            rule.purpose: [policy.role(r).title for r in rule.approvers if r in policy.role_ids]
            for rule in policy.sharing.allowed
        },
        "statutory": [
            (entry, {a.id: a.title for a in policy.sharing.authorities}.get(entry.authority))
            for entry in policy.sharing.statutory
        ],
        "aggregates": policy.aggregates,
        "roles": policy.staff_roles,
    }
