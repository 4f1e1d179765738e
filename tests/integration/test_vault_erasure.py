"""Crypto-shredding and its ledger: a restore of either store never brings erased data back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from amanat.audit.models import AuditEvent
from amanat.core.actor import Actor
from amanat.customers import service as customers
from amanat.customers.models import Customer
from amanat.runtime import Runtime
from amanat.vault.api import KeyDestroyed
from amanat.vault.models import ErasureLedger
from tests.conftest import amanat_env, run_amanat
from tests.factories.accounts import create_customer


def _backup(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file, as an operator's backup tool takes one."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _erase(runtime: Runtime, customer_id: str) -> None:
    with runtime.uow() as uow:
        customers.erase_customer(uow, runtime, Actor.staff("dpo-1", "dpo"), customer_id)
        uow.commit()


def _name_ct(runtime: Runtime, customer_id: str) -> bytes:
    with runtime.uow() as uow:
        customer = uow.session.get(Customer, customer_id)
        assert customer is not None and customer.name_ct is not None
        return customer.name_ct


def _read_name(runtime: Runtime, customer_id: str, ciphertext: bytes) -> str:
    return runtime.vault.decrypt(customer_id, "customers", "name_ct", customer_id, ciphertext)


def test_restoring_an_older_key_store_is_undone_by_the_replay(runtime: Runtime) -> None:
    customer_id = create_customer(runtime)
    kept = _name_ct(runtime, customer_id)  # what a database backup holds
    store = runtime.settings.resolved_key_dir / "keystore.db"
    _backup(store, store.with_suffix(".backup"))
    _erase(runtime, customer_id)
    with pytest.raises(KeyDestroyed):
        _read_name(runtime, customer_id, kept)

    # The operator restores last week's key store: the key is back, and with it the data.
    runtime.vault.close()
    _backup(store.with_suffix(".backup"), store)
    runtime.vault.clear_cache()
    assert _read_name(runtime, customer_id, kept) == "Canary Testname"

    # `amanat keys replay-erasures` (also part of `amanat init`) shreds it again.
    result = run_amanat(
        "keys", "replay-erasures",
        env=amanat_env(runtime.settings.data_dir, **_db_env(runtime)),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "1 key owner(s) shredded again" in result.stdout
    runtime.vault.clear_cache()
    with pytest.raises(KeyDestroyed):
        _read_name(runtime, customer_id, kept)
    again = run_amanat(
        "keys", "replay-erasures", env=amanat_env(runtime.settings.data_dir, **_db_env(runtime))
    )
    assert "nothing to re-apply" in again.stdout


def _db_env(runtime: Runtime) -> dict[str, str]:
    url = runtime.settings.database_url
    return {"AMANAT_DATABASE_URL": url} if url else {}


def test_restoring_an_older_database_is_undone_by_the_replay(runtime: Runtime) -> None:
    from amanat.governance.service import replay_erasures
    from amanat.install import initialise

    customer_id = create_customer(runtime, email="restored.canary@example.pk")
    with runtime.uow() as uow:
        before = uow.session.get(Customer, customer_id)
        assert before is not None
        indexes = (before.email_bidx, before.phone_bidx, before.cnic_bidx)
        uow.commit()
    _erase(runtime, customer_id)

    # The database comes back from a backup taken before the erasure: the rows and their
    # blind indexes return, the ledger entry is gone (the key store still has its copy).
    with runtime.uow() as uow:
        uow.session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(email_bidx=indexes[0], phone_bidx=indexes[1], cnic_bidx=indexes[2],
                    status="active", erased_at=None)
        )  # fmt: skip
        uow.session.execute(delete(ErasureLedger).where(ErasureLedger.customer_id == customer_id))
        uow.commit()
    with runtime.uow() as uow:
        assert customers.find_by_email(uow, runtime, "restored.canary@example.pk") is not None

    report = initialise(runtime)  # the documented step after any restore
    assert any("erasure ledger replayed" in line for line in report.created)
    with runtime.uow() as uow:
        assert customers.find_by_email(uow, runtime, "restored.canary@example.pk") is None
        row = uow.session.get(Customer, customer_id)
        assert row is not None and (row.email_bidx, row.phone_bidx, row.cnic_bidx) == (None,) * 3
        assert uow.session.get(ErasureLedger, customer_id) is not None
        events = uow.session.scalars(
            select(AuditEvent.details).where(AuditEvent.code == "vault.erasures_replayed")
        ).all()
        details = [json.loads(d) if isinstance(d, str) else d for d in events]
        assert details == [{"keys_destroyed_again": 0, "ledger_restored": 1}]
    assert not replay_erasures(runtime).changed  # idempotent


def test_replay_after_an_older_database_clears_credentials_sessions_and_tokens_again(
    runtime: Runtime,
) -> None:
    from amanat.accounts import mfa, sessions, tokens, totp
    from amanat.accounts.models import (
        ActionToken,
        ApiToken,
        AuthSession,
        Credential,
        RecoveryCode,
    )
    from amanat.governance.service import replay_erasures
    from amanat.web.client import ClientInfo

    customer_id = create_customer(runtime)
    actor = Actor.customer(customer_id)
    with runtime.uow() as uow:
        enrolment = mfa.start_enrolment(uow, runtime, customer_id, "customer", "phone")
        code = totp.code_at(enrolment.secret, runtime.clock.now().timestamp())
        mfa.confirm_enrolment(uow, runtime, actor, code)
        tokens.create_api_token(uow, runtime, actor, label="script", scopes=["read"])
        sessions.create_session(
            uow, runtime, principal_kind="customer", principal_id=customer_id, role="customer",
            mfa_done=True, client=ClientInfo(ip="192.0.2.7", user_agent="Mozilla/5.0 (X11)"),
        )  # fmt: skip
        uow.commit()
    owned = {
        Credential: Credential.id, AuthSession: AuthSession.principal_id,
        ApiToken: ApiToken.principal_id, RecoveryCode: RecoveryCode.principal_id,
        ActionToken: ActionToken.principal_id,
    }  # fmt: skip

    def rows_of() -> dict[str, list[dict[str, object]]]:
        with runtime.uow() as uow:
            return {
                model.__tablename__: [
                    dict(r._mapping)
                    for r in uow.session.execute(
                        select(model.__table__).where(column == customer_id)  # type: ignore[attr-defined]
                    )
                ]
                for model, column in owned.items()
            }

    backup = rows_of()  # what last night's database backup holds
    credential = backup["credentials"][0]
    assert credential["password_hash"] and credential["totp_secret_ct"]
    assert backup["auth_sessions"] and backup["api_tokens"] and backup["recovery_codes"]
    _erase(runtime, customer_id)
    assert not any(rows_of().values())

    # The older database comes back: credentials, sessions and tokens with it, the
    # customer active again, the ledger entry gone.
    with runtime.uow() as uow:
        for model in owned:
            table = model.__table__  # type: ignore[attr-defined]
            if backup[table.name]:
                uow.session.execute(table.insert(), backup[table.name])
        uow.session.execute(
            update(Customer).where(Customer.id == customer_id)
            .values(status="active", erased_at=None, name_ct=_KEPT_NAME)
        )  # fmt: skip
        uow.session.execute(delete(ErasureLedger).where(ErasureLedger.customer_id == customer_id))
        uow.commit()
    assert any(rows_of().values())

    report = replay_erasures(runtime)
    assert report.ledger_restored == [customer_id]
    assert not any(rows_of().values())
    with runtime.uow() as uow:
        row = uow.session.get(Customer, customer_id)
        assert row is not None and row.status == "erased" and row.erased_at is not None
        assert row.name_ct is None
    assert not replay_erasures(runtime).changed


_KEPT_NAME = b"\x01\x00\x00\x00\x01" + bytes(28)  # a restored ciphertext's bytes
