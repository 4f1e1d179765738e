"""The policy validator: one test per error class, each pinning file, line, column and message.

Every bad policy here is the shipped policy with one precise edit, so each test also
proves that a single mistake yields exactly one problem (no cascade of confusing ones),
located where the mistake is.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import yaml

from amanat.policy.loader import (
    PolicyInvalid,
    Problem,
    check_policy_text,
    default_policy_text,
    load_policy,
    parse_policy,
)

SHIPPED = default_policy_text()
SOURCE = "operator-policy.yaml"


def item_span(text: str, item_id: str) -> tuple[int, int]:
    """Where the list item ``- id: item_id`` starts and ends in ``text``."""
    start = text.index(f"  - id: {item_id}\n")
    following = re.compile(r"\n(?:  - |\S)").search(text, start + 1)
    return start, (following.start() + 1 if following else len(text))


def edit(old: str, new: str, *, within: str | None = None, text: str = SHIPPED) -> str:
    """The text with ``old`` replaced by ``new``; ``old`` must occur exactly once, in the
    item ``within`` when given (so that other engineers' additions to the shipped policy
    cannot make an anchor ambiguous)."""
    start, end = item_span(text, within) if within else (0, len(text))
    segment = text[start:end]
    assert segment.count(old) == 1, f"the edit's anchor {old!r} must occur exactly once"
    return text[:start] + segment.replace(old, new) + text[end:]


def position(
    text: str, needle: str, occurrence: int = 1, *, within: str | None = None
) -> tuple[int, int]:
    """1-based (line, column) of the ``occurrence``-th ``needle`` (in item ``within``)."""
    index = item_span(text, within)[0] - 1 if within else -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def only_problem(text: str) -> Problem:
    problems, policy = check_policy_text(text, SOURCE)
    assert policy is None
    assert len(problems) == 1, "\n".join(map(str, problems))
    assert problems[0].file == SOURCE
    return problems[0]


def shipped_ids(section: str) -> list[str]:
    data = yaml.safe_load(SHIPPED)
    return sorted(item["id"] for item in data[section])


def test_the_shipped_policy_is_valid() -> None:
    problems, policy = check_policy_text(SHIPPED, SOURCE)
    assert problems == []
    assert policy is not None
    assert {"identity.cnic", "technical.ip", "billing.record"} <= policy.category_ids
    assert {"promotional", "legal_obligation", "self", "security"} <= policy.purpose_ids


def test_malformed_yaml_is_located_at_the_offending_line() -> None:
    text = edit("\n    group: personal", "\n   group: personal", within="identity.name")
    problem = only_problem(text)
    assert (problem.line, problem.column) == position(
        text, "group: personal", within="identity.name"
    )
    assert problem.message.startswith("is not valid YAML:")
    assert "fix the syntax here" in problem.message
    assert str(problem).startswith(f"{SOURCE}:{problem.line}:{problem.column}: ")


UNKNOWN_IDS = [
    pytest.param(
        "analytics", "usage.record,", "usage.records,", "category", "categories", "usage.record",
        id="purpose-reads-an-undeclared-category",
    ),
    pytest.param(
        "tax_certificates", "writes: [tax.certificate]", "writes: [tax.certificates]",
        "category", "categories", "tax.certificate",
        id="purpose-writes-an-undeclared-category",
    ),
    pytest.param(
        "support", "masked: [contact.phone,", "masked: [contact.fone,",
        "category", "categories", "contact.phone",
        id="purpose-masks-an-undeclared-category",
    ),
    pytest.param(
        "analyst", "purposes: [analytics]", "purposes: [analytix]", "purpose", "purposes",
        "analytics",
        id="role-acts-for-an-undeclared-purpose",
    ),
    pytest.param(
        "service_updates", "parent: communications", "parent: comms", "purpose", "purposes",
        None,
        id="purpose-parent-undeclared",
    ),
    pytest.param(
        "identity.name", "group: personal", "group: personnel", "group", "groups", "personal",
        id="category-in-an-undeclared-group",
    ),
    pytest.param(
        "support.message", "collected_at: [support_contact]", "collected_at: [support_contct]",
        "collection point", "collection_points", "support_contact",
        id="category-collected-at-an-undeclared-point",
    ),
    pytest.param(
        "support.message", "after: ticket_closed", "after: ticket_closd",
        "retention event", "retention_events", "ticket_closed",
        id="retention-after-an-undeclared-event",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("item", "old", "new", "noun", "section", "near"), UNKNOWN_IDS)
def test_unknown_id_names_the_valid_choices(
    item: str, old: str, new: str, noun: str, section: str, near: str | None
) -> None:
    text = edit(old, new, within=item)
    bad = new.rsplit(maxsplit=1)[-1].strip("[],")
    problem = only_problem(text)
    assert (problem.line, problem.column) == position(text, bad, within=item)
    assert f"unknown {noun} '{bad}'" in problem.message
    assert problem.message.endswith("choose one of: " + ", ".join(shipped_ids(section)))
    if near is not None:
        assert f"did you mean '{near}'?" in problem.message


DUPLICATES = [
    pytest.param(
        "retention_events:\n",
        "retention_events:\n  - id: sent\n    title: after it is sent\n",
        "retention event",
        "sent",
        id="retention-event",
    ),
    pytest.param(
        "collection_points:\n",
        "collection_points:\n  - id: automatic\n    clause: '3.3'\n    title: A\n    summary: B\n",
        "collection point",
        "automatic",
        id="collection-point",
    ),
    pytest.param(
        "groups:\n",
        "groups:\n  - id: account\n    title: A\n    clause: '1'\n    summary: B\n",
        "group",
        "account",
        id="group",
    ),
    pytest.param(
        "\nroles:\n",
        "  - id: security\n    title: Again\n    legal_basis: contract\n\nroles:\n",
        "purpose",
        "security",
        id="purpose",
    ),
    pytest.param(
        "\nsharing:\n",
        "  - id: analyst\n    title: Again\n    staff: false\n    purposes: [self]\n\nsharing:\n",
        "role",
        "analyst",
        id="role",
    ),
    pytest.param(
        "\npurposes:\n",
        "  - id: comms.message\n    group: service\n    title: Again\n    sensitivity: low\n"
        "    encrypted: true\n    searchable: false\n    collected_at: [automatic]\n"
        "    retention: {keep: P1D, after: sent, then: delete}\n\npurposes:\n",
        "category",
        "comms.message",
        id="category",
    ),
]


@pytest.mark.parametrize(("old", "new", "noun", "item_id"), DUPLICATES)
def test_duplicate_id_points_at_the_second_declaration(
    old: str, new: str, noun: str, item_id: str
) -> None:
    text = edit(old, new)
    problem = only_problem(text)
    needle = f"- id: {item_id}\n"
    first_line, _ = position(text, needle, 1)
    second_line, second_column = position(text, needle, 2)
    assert (problem.line, problem.column) == (second_line, second_column + len("- id: "))
    assert f"{noun} '{item_id}' is declared twice (first on line {first_line})" in problem.message
    assert "rename or remove one" in problem.message


def test_duplicate_mapping_key_is_reported_not_silently_overridden() -> None:
    # PyYAML keeps the last of two equal keys: this edit would quietly switch off
    # encryption of names while the file still reads `encrypted: true` above it.
    text = edit(
        "    encrypted: true\n",
        "    encrypted: true\n    encrypted: false\n",
        within="identity.name",
    )
    names = next(c for c in yaml.safe_load(text)["categories"] if c["id"] == "identity.name")
    assert names["encrypted"] is False
    problem = only_problem(text)
    first_line, _ = position(text, "encrypted: true", within="identity.name")
    assert (problem.line, problem.column) == position(
        text, "encrypted: false", within="identity.name"
    )
    assert f"key 'encrypted' appears twice in the same mapping (first on line {first_line})" in (
        problem.message
    )
    assert "remove one of them" in problem.message


def test_duplicate_top_level_section_is_reported() -> None:
    text = SHIPPED + "\nversion: 1\n"
    problem = only_problem(text)
    assert (problem.line, problem.column) == (text.count("\n"), 1)
    assert "key 'version' appears twice" in problem.message


@pytest.mark.parametrize(
    "new",
    [
        pytest.param("legal_basis: contract\n", id="on-contract"),
        pytest.param(
            "legal_basis: legitimate_interest\n    requires_consent: true\n",
            id="on-legitimate-interest",
        ),
    ],
)
def test_promotional_purpose_without_consent_is_refused(new: str) -> None:
    text = edit("legal_basis: consent\n    requires_consent: true\n", new, within="promotional")
    problem = only_problem(text)
    assert (problem.line, problem.column) == position(text, "id: promotional")
    assert "purpose 'promotional' sends promotional offers" in problem.message
    assert "set legal_basis: consent and requires_consent: true" in problem.message


def test_promotional_child_purpose_without_consent_is_refused() -> None:
    text = edit(
        "\nroles:\n",
        "  - id: spring_offers\n    parent: promotional\n    title: Spring offers\n"
        "    legal_basis: contract\n    reads: [contact.email]\n\nroles:\n",
    )
    problem = only_problem(text)
    assert (problem.line, problem.column) == position(text, "id: spring_offers")
    assert "purpose 'spring_offers' sends promotional offers" in problem.message


def test_searchable_category_must_be_encrypted() -> None:
    text = edit("encrypted: true", "encrypted: false", within="contact.phone")
    problem = only_problem(text)
    line, column = position(text, "searchable: true", within="contact.phone")
    assert (problem.line, problem.column) == (line, column + len("searchable: "))
    assert "category 'contact.phone' is searchable but not encrypted" in problem.message
    assert "set encrypted: true or searchable: false" in problem.message


@pytest.mark.parametrize("keep", ["18 months", "P", "1Y", "P1.5Y", "PT1H"])
def test_unparseable_retention_is_refused(keep: str) -> None:
    text = edit("keep: P18M", f"keep: '{keep}'", within="usage.record")
    problem = only_problem(text)
    assert (problem.line, problem.column) == position(text, f"'{keep}'", within="usage.record")
    assert f"retention of 'usage.record': '{keep}' is not an ISO 8601 duration" in problem.message
    assert "write it like P30D, P18M, P1Y or P6Y" in problem.message


def test_unparseable_training_validity_is_refused() -> None:
    text = edit("valid_for: P1Y", "valid_for: yearly", within="analyst")
    problem = only_problem(text)
    assert (problem.line, problem.column) == position(text, "yearly", within="analyst")
    assert "training of 'analyst': 'yearly' is not an ISO 8601 duration" in problem.message


def test_unknown_end_action_lists_the_valid_ones() -> None:
    text = edit("then: anonymise", "then: archive", within="usage.record")
    problem = only_problem(text)
    assert (problem.line, problem.column) == position(text, "archive", within="usage.record")
    assert "retention.then" in problem.message
    assert "'delete', 'truncate' or 'anonymise'" in problem.message


def several_mistakes() -> str:
    text = edit("keep: P18M", "keep: soon", within="usage.record")
    text = edit("purposes: [analytics]", "purposes: [analytix]", within="analyst", text=text)
    text = edit(
        "title: Name\n", "title: Name\n    title: Full name\n", within="identity.name", text=text
    )
    return edit("group: personal", "group: people", within="identity.name", text=text)


def test_every_problem_is_reported_in_file_order() -> None:
    text = several_mistakes()
    problems, policy = check_policy_text(text, SOURCE)
    assert policy is None
    expected = [
        position(text, "people"),
        position(text, "title: Full name"),
        position(text, "soon"),
        position(text, "analytix"),
    ]
    assert [(p.line, p.column) for p in problems] == expected


def test_load_policy_raises_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(several_mistakes())
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(path)
    assert len(caught.value.problems) == 4
    assert all(p.file == str(path) for p in caught.value.problems)
    assert caught.value.summary == (
        f"The policy file {path} has 4 problems; fix them and check again with "
        "`amanat policy check`."
    )


def test_an_unreadable_policy_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(missing)
    assert str(caught.value.problems[0]) == (
        f"{missing}: cannot be read (No such file or directory); check the path"
    )


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    problem = only_problem("- just\n- a list\n")
    assert (problem.line, problem.column) == (1, 1)
    assert "must be a YAML mapping" in problem.message


def test_parse_policy_fingerprints_the_text() -> None:
    loaded = parse_policy(SHIPPED, SOURCE)
    assert loaded.sha256 == hashlib.sha256(SHIPPED.encode()).hexdigest()
    assert loaded.source == SOURCE


# --- The disclosure register's rules (issue 14) -------------------------------------------


def test_an_approver_role_must_act_for_the_purpose_it_approves() -> None:
    bad = edit(
        "      approvers: [data_protection_officer, legal]",
        "      approvers: [data_protection_officer, marketing]",
    )
    problem = only_problem(bad)
    assert (problem.line, problem.column) == position(bad, "marketing]")
    assert "approver role 'marketing' must be a staff role acting for 'legal_obligation'" in (
        problem.message
    )


def test_fewer_than_two_approvals_is_refused() -> None:
    problem = only_problem(edit("      approvals: 2\n", "      approvals: 1\n"))
    assert "sharing.allowed.0.approvals" in problem.message


def test_a_statutory_disclosure_names_a_declared_authority_and_legal_reads() -> None:
    unknown = edit("      authority: fbr\n", "      authority: irs\n")
    problem = only_problem(unknown)
    assert "unknown authority 'irs'" in problem.message and "fbr" in problem.message
    outside = edit(
        "              billing.record]\n      due: P20D",
        "              billing.record, usage.record]\n      due: P20D",
    )
    problem = only_problem(outside)
    assert "reads usage.record, which 'legal_obligation' does not read" in problem.message


def test_the_threshold_k_defaults_to_ten_and_is_at_least_two() -> None:
    without = edit("aggregates:\n  k: 10\n", "")
    assert parse_policy(without, SOURCE).policy.aggregates.k == 10
    problem = only_problem(edit("aggregates:\n  k: 10\n", "aggregates:\n  k: 1\n"))
    assert "aggregates.k" in problem.message
