"""/privacy is a complete view of the policy file: everything in it, nothing beyond it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from amanat.app import create_app
from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.policy.loader import default_policy_text
from amanat.policy.model import Duration, Policy

VOID = {"meta", "link", "br", "img", "input", "hr", "source", "wbr"}

# How the seed policy (shared/seed/privacy-policy.txt, section 1) groups what is collected.
SEED_GROUPS = {
    "1.1": {"identity.name", "contact.email", "contact.phone", "identity.cnic", "contact.address"},
    "1.2": {"account.username", "account.password", "account.credentials"},
    "1.3": {"technical.ip", "technical.browser", "technical.device"},
}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())

    def walk(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            yield from child.walk()

    def having(self, attribute: str) -> list[Element]:
        return [e for e in self.walk() if attribute in e.attrs]


class TreeBuilder(HTMLParser):
    """A small DOM: enough to ask which element holds which, and their text."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for element in self.stack:  # text counts for every enclosing element
            element.parts.append(data)


def parse(html: str) -> Element:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def normalise(text: str) -> str:
    return " ".join(text.split())


def duration_words(duration: Duration) -> str | None:
    parts = [
        f"{n} {unit}{'s' if n != 1 else ''}"
        for n, unit in (
            (duration.years, "year"),
            (duration.months, "month"),
            (duration.days, "day"),
        )
        if n
    ]
    return " and ".join(parts) or None


def fetch_notice(policy_path: Path | None, data_dir: Path) -> tuple[Policy, Element]:
    runtime = build_runtime(Settings(environment="test", data_dir=data_dir, policy=policy_path))
    try:
        with TestClient(create_app(runtime), base_url="https://testserver") as client:
            response = client.get("/privacy")
    finally:
        runtime.close()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return runtime.policy, parse(response.text)


def assert_notice_matches(policy: Policy, page: Element) -> None:
    # Every category and purpose of the file, and nothing the file lacks.
    shown_categories = [e.attrs["data-category"] for e in page.having("data-category")]
    assert sorted(shown_categories) == sorted(policy.category_ids)
    shown_purposes = [e.attrs["data-purpose"] for e in page.having("data-purpose")]
    assert sorted(shown_purposes) == sorted(policy.purpose_ids)
    points = [e.attrs["data-collection-point"] for e in page.having("data-collection-point")]
    assert points == [p.id for p in policy.collection_points]

    # What: each category inside its group's section, with collection, retention, protection.
    groups = {e.attrs["data-group"]: e for e in page.having("data-group")}
    assert list(groups) == [g.id for g in policy.groups]
    point_titles = {p.id: p.title for p in policy.collection_points}
    for group in policy.groups:
        section = groups[group.id]
        assert f"{group.clause} {group.title}" in section.text
        inside = {e.attrs["data-category"] for e in section.having("data-category")}
        assert inside == {c.id for c in policy.categories if c.group == group.id}
    for row in page.having("data-category"):
        category = policy.category(row.attrs["data-category"])
        assert category.title in row.text
        for point in category.collected_at:
            assert point_titles[point] in row.text
        words = duration_words(category.retention.duration)
        if words:
            assert f"Kept {words}" in row.text, category.id
        else:
            assert "Deleted" in row.text, category.id
        if category.retention.legal_basis:
            assert normalise(category.retention.legal_basis) in row.text, category.id
        if category.encrypted:
            assert "Encrypted with a key of your own" in row.text, category.id
        if category.searchable:
            assert "found only by exact match" in row.text, category.id

    # Why: each purpose with its legal basis and the categories it uses.
    basis_words = {
        "contract": "contract",
        "consent": "consent",
        "legal_obligation": "law requires",
        "legitimate_interest": "legitimate interest",
    }
    for term in page.having("data-purpose"):
        purpose = policy.purpose(term.attrs["data-purpose"])
        assert purpose.title in term.text
    definitions = [e for e in page.walk() if e.tag == "dd"]
    assert len(definitions) == len(policy.purposes)
    for purpose, definition in zip(policy.purposes, definitions, strict=True):
        assert basis_words[purpose.legal_basis] in definition.text, purpose.id
        for category_id in purpose.reads:
            assert policy.category(category_id).title in definition.text, purpose.id

    # When, how it is protected, and with whom it is shared.
    for point in policy.collection_points:
        (item,) = [
            e
            for e in page.having("data-collection-point")
            if e.attrs["data-collection-point"] == point.id
        ]
        assert normalise(point.summary) in item.text
    protections = [e.attrs["data-protection"] for e in page.having("data-protection")]
    assert protections == [p.clause for p in policy.protection]
    text = page.text
    for item in policy.protection:
        assert normalise(item.summary) in text
    assert normalise(policy.sharing.summary) in text
    rules = page.having("data-sharing-purpose")
    assert [r.attrs["data-sharing-purpose"] for r in rules] == ["legal_obligation"]
    for rule, element in zip(policy.sharing.allowed, rules, strict=True):
        for recipient in rule.recipients:
            assert recipient in element.text
        assert rule.requires in element.text


def test_privacy_notice_shows_the_shipped_policy_completely(tmp_path: Path) -> None:
    policy, page = fetch_notice(None, tmp_path / "data")
    assert_notice_matches(policy, page)


def test_privacy_notice_groups_categories_as_the_seed_policy_does(tmp_path: Path) -> None:
    policy, page = fetch_notice(None, tmp_path / "data")
    clause_of_group = {g.id: g.clause for g in policy.groups}
    for section in page.having("data-group"):
        clause = clause_of_group[section.attrs["data-group"]]
        inside = {e.attrs["data-category"] for e in section.having("data-category")}
        assert SEED_GROUPS.get(clause, set()) <= inside
    # Operating system is named by the seed's clause 3.3; it sits with 1.3's technical data.
    technical = next(s for s in page.having("data-group") if s.attrs["data-group"] == "technical")
    assert "technical.os" in {e.attrs["data-category"] for e in technical.having("data-category")}


def test_privacy_notice_states_the_legal_retentions(tmp_path: Path) -> None:
    _, page = fetch_notice(None, tmp_path / "data")
    rows = {e.attrs["data-category"]: e.text for e in page.having("data-category")}
    assert "Kept 1 year" in rows["technical.ip"]
    assert "Prevention of Electronic Crimes Act 2016, section 32" in rows["technical.ip"]
    assert "shortened" in rows["technical.ip"]
    assert "Kept 6 years" in rows["billing.record"]
    assert "Income Tax Ordinance 2001, section 174" in rows["billing.record"]
    assert "Kept even after your account is closed" in rows["billing.record"]


def smaller_policy() -> dict[str, Any]:
    """The shipped policy without technical data, with a renamed category and a new
    collection point, so the page must change in each of those places."""
    data: dict[str, Any] = yaml.safe_load(default_policy_text())
    dropped = {c["id"] for c in data["categories"] if c["group"] == "technical"}
    data["categories"] = [c for c in data["categories"] if c["id"] not in dropped]
    data["groups"] = [g for g in data["groups"] if g["id"] != "technical"]
    for purpose in data["purposes"]:
        for key in ("reads", "writes", "masked"):
            purpose[key] = [c for c in purpose.get(key, []) if c not in dropped]
    data["purposes"] = [p for p in data["purposes"] if p["id"] != "analytics"]
    for role in data["roles"]:
        role["purposes"] = [p for p in role["purposes"] if p != "analytics"]
    data["collection_points"].append(
        {"id": "shop_counter", "clause": "3.4", "title": "At our shop", "summary": "In person."}
    )
    name = next(c for c in data["categories"] if c["id"] == "identity.name")
    name["title"] = "Full legal name"
    name["collected_at"] = [*name["collected_at"], "shop_counter"]
    return data


def test_privacy_notice_follows_a_modified_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(smaller_policy(), sort_keys=False))
    policy, page = fetch_notice(path, tmp_path / "data")
    assert "technical.ip" not in policy.category_ids
    assert_notice_matches(policy, page)
    shown = {e.attrs["data-category"] for e in page.having("data-category")}
    assert not any(c.startswith("technical.") for c in shown)
    assert "analytics" not in {e.attrs["data-purpose"] for e in page.having("data-purpose")}
    row = next(
        e for e in page.having("data-category") if e.attrs["data-category"] == "identity.name"
    )
    assert "Full legal name" in row.text
    assert "At our shop" in row.text
    assert re.search(r"\bIP\b", page.text) is None
