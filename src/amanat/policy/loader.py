"""Load and validate a policy file, reporting every problem with file, line and column.

Validation has two layers. The shape (types, required fields, unknown keys) comes from
the pydantic model; the meaning (ids exist, no duplicates, consent where promised,
searchable implies encrypted, durations parse) is checked here. Every problem found is
reported, not just the first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from difflib import get_close_matches
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from amanat.core.errors import ConfigError
from amanat.policy.model import Duration, Policy
from amanat.policy.sharing_rules import check_sharing

DEFAULT_POLICY_NAME = "default.yaml"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:  # the file as a whole (unreadable, not UTF-8)
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class PolicyInvalid(ConfigError):
    """The policy file cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"The policy file is invalid: {first}{more}. Fix it and run `amanat policy check`."
        )
        self.problems = problems

    @property
    def summary(self) -> str:
        """One sentence to print after the problems themselves."""
        count = len(self.problems)
        return (
            f"The policy file {self.problems[0].file} has {count} "
            f"problem{'s' if count != 1 else ''}; fix {'them' if count != 1 else 'it'} "
            "and check again with `amanat policy check`."
        )


@dataclass(frozen=True)
class LoadedPolicy:
    policy: Policy
    source: str
    sha256: str


def default_policy_text() -> str:
    return resources.files("amanat.policy").joinpath(DEFAULT_POLICY_NAME).read_text("utf-8")


SHIPPED_SOURCE = "<shipped default.yaml>"


def read_policy_text(path: Path | None = None) -> tuple[str, str]:
    """The text of the policy at ``path`` (default: the shipped one) and its source name;
    PolicyInvalid when the file cannot be read."""
    if path is None:
        return default_policy_text(), SHIPPED_SOURCE
    try:
        return path.read_text("utf-8"), str(path)
    except OSError as exc:
        raise PolicyInvalid(
            [Problem(str(path), 0, 0, f"cannot be read ({exc.strerror}); check the path")]
        ) from exc
    except UnicodeDecodeError as exc:
        raise PolicyInvalid(
            [Problem(str(path), 0, 0, "is not UTF-8 text; save it as UTF-8")]
        ) from exc


def load_policy(path: Path | None = None) -> LoadedPolicy:
    """Load the policy at ``path`` (default: the shipped one); raise PolicyInvalid if bad."""
    text, source = read_policy_text(path)
    return parse_policy(text, source)


def parse_policy(text: str, source: str) -> LoadedPolicy:
    problems, policy = check_policy_text(text, source)
    if problems or policy is None:
        raise PolicyInvalid(problems)
    return LoadedPolicy(policy, source, hashlib.sha256(text.encode()).hexdigest())


def check_policy_text(text: str, source: str) -> tuple[list[Problem], Policy | None]:
    """Every problem in ``text``, and the policy when there are none."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        return [
            Problem(
                source,
                line,
                column,
                f"is not valid YAML: {exc.problem}; fix the syntax here (indentation, "
                "brackets, quotes) and check again",
            )
        ], None
    except yaml.YAMLError as exc:
        return [Problem(source, 0, 0, f"is not valid YAML: {exc}")], None
    if node is None or not isinstance(data, dict):
        return [Problem(source, 1, 1, "must be a YAML mapping with the policy's sections")], None

    marks = _Marks(node)
    problems: list[Problem] = _duplicate_keys(node, source)

    def at(path: Path_, message: str) -> None:
        line, column = marks.find(path)
        problems.append(Problem(source, line, column, message))

    _check_meaning(data, at, marks.find)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            path = tuple(error["loc"])
            where = ".".join(str(p) for p in path)
            at(path, f"{where}: {_shape_message(error)}")
        policy = None
    problems.sort(key=lambda p: (p.line, p.column))
    unique = list(dict.fromkeys(problems))
    return unique, (policy if not unique else None)


def _duplicate_keys(root: yaml.Node, source: str) -> list[Problem]:
    """Keys repeated within one mapping. PyYAML silently keeps the last one, which would
    let a second `encrypted: false` quietly override the first; we refuse instead."""
    problems: list[Problem] = []
    stack, visited = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in visited:  # an alias points at a node already walked
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_seen: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in first_seen:
                        problems.append(
                            Problem(
                                source,
                                line,
                                key.start_mark.column + 1,
                                f"key '{key.value}' appears twice in the same mapping (first "
                                f"on line {first_seen[key.value]}); YAML would silently keep "
                                "only the last, so remove one of them",
                            )
                        )
                    else:
                        first_seen[key.value] = line
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return problems


def _shape_message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field; remove it or check its spelling"
    if kind == "literal_error":
        return f"{error['msg'].lower()}"
    return str(error["msg"])


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ids(items: Any) -> list[tuple[int, str]]:
    if not isinstance(items, list):
        return []
    return [
        (i, item["id"])
        for i, item in enumerate(items)
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]


def _check_meaning(  # noqa: PLR0912, PLR0915 -- one flat list of rules reads best
    data: dict[str, Any], at: Any, where: Callable[[Path_], tuple[int, int]]
) -> None:
    """The rules a schema cannot express. Robust to a broken shape: it skips what it
    cannot read, leaving those errors to the schema check."""
    sections = {
        "groups": "group",
        "collection_points": "collection point",
        "retention_events": "retention event",
        "categories": "category",
        "purposes": "purpose",
        "roles": "role",
    }
    known: dict[str, set[str]] = {}
    for section, noun in sections.items():
        first: dict[str, int] = {}
        for index, item_id in _ids(data.get(section)):
            if item_id in first:
                line, _ = where((section, first[item_id], "id"))
                at(
                    (section, index, "id"),
                    f"{noun} '{item_id}' is declared twice (first on line {line}); ids must "
                    "be unique, so rename or remove one",
                )
            else:
                first[item_id] = index
        known[section] = set(first)

    def expect(path: Path_, value: Any, section: str, noun: str) -> None:
        if not isinstance(value, str):
            return
        if value not in known[section]:
            choices = sorted(known[section])
            near = get_close_matches(value, choices, n=1)
            hint = f"did you mean '{near[0]}'? " if near else ""
            at(path, f"unknown {noun} '{value}'; {hint}choose one of: {', '.join(choices)}")

    def each(path: Path_, values: Any, section: str, noun: str) -> None:
        if isinstance(values, list):
            for i, value in enumerate(values):
                expect((*path, i), value, section, noun)

    categories = _list(data.get("categories"))
    for index, category in enumerate(categories):
        if not isinstance(category, dict):
            continue
        base: Path_ = ("categories", index)
        expect((*base, "group"), category.get("group"), "groups", "group")
        each(
            (*base, "collected_at"),
            category.get("collected_at"),
            "collection_points",
            "collection point",
        )
        if category.get("searchable") is True and category.get("encrypted") is not True:
            at(
                (*base, "searchable"),
                f"category '{category.get('id')}' is searchable but not encrypted; a blind "
                "index only makes sense over ciphertext, so set encrypted: true or "
                "searchable: false",
            )
        retention = category.get("retention")
        if isinstance(retention, dict):
            keep = retention.get("keep")
            if keep is not None:
                try:
                    Duration.parse(str(keep))
                except ValueError as exc:
                    at((*base, "retention", "keep"), f"retention of '{category.get('id')}': {exc}")
            expect(
                (*base, "retention", "after"),
                retention.get("after"),
                "retention_events",
                "retention event",
            )
            if retention.get("legal_hold") and not retention.get("legal_basis"):
                at(
                    (*base, "retention"),
                    f"category '{category.get('id')}' has a legal hold "
                    "but names no legal_basis; cite the law that requires it",
                )

    purposes = _list(data.get("purposes"))
    for index, purpose in enumerate(purposes):
        if not isinstance(purpose, dict):
            continue
        base = ("purposes", index)
        for field in ("reads", "writes", "masked"):
            each((*base, field), purpose.get(field), "categories", "category")
        if purpose.get("parent") is not None:
            expect((*base, "parent"), purpose.get("parent"), "purposes", "purpose")
        reads = _list(purpose.get("reads"))
        masked = _list(purpose.get("masked"))
        for i, category_id in enumerate(masked):
            # An unknown id is already reported; saying it is not read would only confuse.
            if category_id not in reads and category_id in known["categories"]:
                at(
                    (*base, "masked", i),
                    f"purpose '{purpose.get('id')}' masks "
                    f"'{category_id}' but does not read it; add it to reads or remove it here",
                )
        promotional = purpose.get("id") == "promotional" or purpose.get("parent") == "promotional"
        if promotional and (
            purpose.get("legal_basis") != "consent" or purpose.get("requires_consent") is not True
        ):
            at(
                base,
                f"purpose '{purpose.get('id')}' sends promotional offers, which the "
                "policy makes conditional on consent: set legal_basis: consent and "
                "requires_consent: true",
            )
        if purpose.get("legal_basis") == "consent" and purpose.get("requires_consent") is not True:
            at(
                (*base, "legal_basis"),
                f"purpose '{purpose.get('id')}' rests on consent, so it "
                "must set requires_consent: true",
            )

    roles = _list(data.get("roles"))
    for index, role in enumerate(roles):
        if not isinstance(role, dict):
            continue
        base = ("roles", index)
        each((*base, "purposes"), role.get("purposes"), "purposes", "purpose")
        training = role.get("training")
        if isinstance(training, dict) and training.get("valid_for") is not None:
            try:
                Duration.parse(str(training["valid_for"]))
            except ValueError as exc:
                at((*base, "training", "valid_for"), f"training of '{role.get('id')}': {exc}")
        if role.get("staff") is True and not (
            isinstance(training, dict) and training.get("required")
        ):
            at(
                base,
                f"staff role '{role.get('id')}' must require security training "
                "(training: {required: true, valid_for: P1Y}); the policy promises it",
            )

    sharing = data.get("sharing")
    if isinstance(sharing, dict):
        if sharing.get("sale") is not False:
            at(
                ("sharing", "sale"),
                "the policy promises never to sell personal information; sale must be false",
            )
        allowed = _list(sharing.get("allowed"))
        for i, rule in enumerate(allowed):
            if isinstance(rule, dict) and rule.get("purpose") != "legal_obligation":
                at(
                    ("sharing", "allowed", i, "purpose"),
                    "data may be shared only for "
                    "'legal_obligation' (a legal or regulatory requirement)",
                )
        check_sharing(sharing, purposes, roles, known, at, each)


class _Marks:
    """Maps a path in the YAML document to the line and column where it stands."""

    def __init__(self, root: yaml.Node) -> None:
        self.root = root

    def find(self, path: Path_) -> tuple[int, int]:
        node = self.root
        for part in path:
            child = self._child(node, part)
            if child is None:
                break
            node = child
        return node.start_mark.line + 1, node.start_mark.column + 1

    @staticmethod
    def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    return value  # type: ignore[no-any-return]
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            return node.value[part]  # type: ignore[no-any-return]
        return None
