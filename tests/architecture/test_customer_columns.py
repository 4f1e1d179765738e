"""Only the customers domain knows how a customer's personal fields are stored.

Other domains read a customer through ``amanat.customers.service`` (``get_sealed``,
``load_sealed``, ``read_fields``, ``read_party``) and name fields from
``PERSONAL_FIELDS``; none names a column of the `customers` table that holds personal
data (a ciphertext ``*_ct`` or a blind index ``*_bidx``), as an attribute
(``Customer.email_ct``) or as a string (``"email_ct"``). The migrations are the schema's
history and name every column by design.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import amanat
from amanat.customers.models import Customer

SRC = Path(amanat.__file__).parent
OWNER = SRC / "customers"
PERSONAL_COLUMNS = frozenset(
    column.name
    for column in Customer.__table__.columns
    if column.info.get("category") is not None and column.name.endswith(("_ct", "_bidx"))
)


def names_a_column(token: tokenize.TokenInfo) -> bool:
    if token.type == tokenize.NAME:
        return token.string in PERSONAL_COLUMNS
    if token.type == tokenize.STRING:
        try:
            value = ast.literal_eval(token.string)
        except (ValueError, SyntaxError):
            return False  # an f-string part; a column name is never built that way here
        return value in PERSONAL_COLUMNS
    return False


def offenders(root: Path) -> list[str]:
    """``path:line name`` for every token outside customers/ and the migrations that
    names a personal column of the customers table."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.is_relative_to(root / "customers") or "migrations" in path.parts:
            continue
        with path.open("rb") as source:
            for token in tokenize.tokenize(source.readline):
                if names_a_column(token):
                    found.append(f"{path.relative_to(root)}:{token.start[0]} {token.string}")
    return found


def test_the_scan_knows_the_columns() -> None:
    assert {"name_ct", "email_ct", "email_bidx", "cnic_ct", "address_ct"} <= PERSONAL_COLUMNS
    source = 'x = Customer.name_ct\ny = ("customers", "address_ct")\n"""name_ct in prose"""\n'
    tokens = tokenize.tokenize(io.BytesIO(source.encode()).readline)
    assert [t.string for t in tokens if names_a_column(t)] == ["name_ct", '"address_ct"']


def test_no_module_outside_customers_names_a_customers_column() -> None:
    assert offenders(SRC) == [], (
        "Read a customer through amanat.customers.service (get_sealed / load_sealed with "
        "read_fields / read_party), naming fields from PERSONAL_FIELDS."
    )
