"""The validator's rules for the sharing section (issue 14): who approves a disclosure,
the authorities the register names, the statutory filings. Called by amanat.policy.loader
with its helpers (``at`` reports a problem at a path, ``each`` checks ids against a
section); robust to a broken shape, which the schema check reports.
"""

from __future__ import annotations

from typing import Any

from amanat.policy.model import Duration

Path_ = tuple[str | int, ...]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def check_sharing(
    sharing: dict[str, Any],
    purposes: list[Any],
    roles: list[Any],
    known: dict[str, set[str]],
    at: Any,
    each: Any,
) -> None:
    """Approvers hold the purpose they approve for; statutory disclosures name a declared
    authority and read only what that purpose reads (issue 14)."""
    holds = {r.get("id"): set(_list(r.get("purposes"))) for r in roles if isinstance(r, dict)}
    staff = {r.get("id") for r in roles if isinstance(r, dict) and r.get("staff") is True}
    reads = {p.get("id"): set(_list(p.get("reads"))) for p in purposes if isinstance(p, dict)}
    for i, rule in enumerate(_list(sharing.get("allowed"))):
        if not isinstance(rule, dict):
            continue
        base: Path_ = ("sharing", "allowed", i)
        each((*base, "approvers"), rule.get("approvers"), "roles", "role")
        for j, role_id in enumerate(_list(rule.get("approvers"))):
            if role_id in known["roles"] and (
                role_id not in staff or rule.get("purpose") not in holds.get(role_id, set())
            ):
                at(
                    (*base, "approvers", j),
                    f"approver role '{role_id}' must be a staff role acting for "
                    f"'{rule.get('purpose')}'; add the purpose to the role or choose another",
                )
    _check_statutory(sharing, reads, known, at, each)


def _check_statutory(
    sharing: dict[str, Any],
    reads: dict[Any, set[Any]],
    known: dict[str, set[str]],
    at: Any,
    each: Any,
) -> None:
    authorities: set[str] = set()
    for i, authority in enumerate(_list(sharing.get("authorities"))):
        if isinstance(authority, dict) and isinstance(authority.get("id"), str):
            if authority["id"] in authorities:
                at(
                    ("sharing", "authorities", i, "id"),
                    f"authority '{authority['id']}' is declared twice; ids must be unique",
                )
            authorities.add(authority["id"])
    for i, statutory in enumerate(_list(sharing.get("statutory"))):
        if not isinstance(statutory, dict):
            continue
        base = ("sharing", "statutory", i)
        authority = statutory.get("authority")
        if isinstance(authority, str) and authority not in authorities:
            at(
                (*base, "authority"),
                f"unknown authority '{authority}'; choose one of: "
                f"{', '.join(sorted(authorities)) or '(declare sharing.authorities first)'}",
            )
        each((*base, "reads"), statutory.get("reads"), "categories", "category")
        outside = [
            c
            for c in _list(statutory.get("reads"))
            if c in known["categories"] and c not in reads.get("legal_obligation", set())
        ]
        if outside:
            at(
                (*base, "reads"),
                f"statutory disclosure '{statutory.get('id')}' reads {', '.join(outside)}, "
                "which 'legal_obligation' does not read; add them there or remove them here",
            )
        if statutory.get("due") is not None:
            try:
                Duration.parse(str(statutory["due"]))
            except ValueError as exc:
                at((*base, "due"), f"due of '{statutory.get('id')}': {exc}")
