"""Vault benchmark: every figure of issue 3, each beside a baseline from the same run.

    .venv/bin/python -m bench.vault                 # the full run (1,000,000 customers)
    .venv/bin/python -m bench.vault --customers 200000 --rotate 20000   # a quicker one

Prints:
1. field encrypt/decrypt (32-byte value) through the vault vs raw AESGCM, and the ratio;
2. lookup by e-mail, phone and CNIC among N customers on SQLite, p50/p99, beside a
   decrypt-and-scan over 10,000 customers;
3. master rotation of M data keys, keys per second;
4. bulk creation of 100,000 encrypted customers (data keys, four encrypted fields, three
   blind indexes, one insert), customers per second.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import bindparam, insert, select

from amanat.composition import build_runtime
from amanat.config import Settings
from amanat.core.clock import SystemClock
from amanat.customers.models import Customer
from amanat.db.base import new_id
from amanat.governance.service import rotate_master
from amanat.install import initialise
from amanat.runtime import Runtime
from amanat.vault import keystore_jobs
from amanat.vault.normalise import normalise_cnic, normalise_email, normalise_phone

FIELD = "canary.testname.000042@example.pk"[:32]  # a 32-byte field
T = Customer.__table__


def paired(
    baseline: Callable[[], object], ours: Callable[[], object], n: int, rounds: int = 9
) -> tuple[float, float]:
    """On-CPU seconds per call of each, timed alternately in ``rounds`` rounds of n calls.

    The fastest round of each counts, and the clock is this thread's CPU time, so that
    other processes on a shared machine (which preempt us) distort neither figure.
    """
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for i, fn in enumerate((baseline, ours)):
            start = time.thread_time()
            for _ in range(n):
                fn()
            best[i] = min(best[i], time.thread_time() - start)
    return best[0] / n, best[1] / n


def bench_fields(runtime: Runtime, n: int = 50_000) -> None:
    vault = runtime.vault
    cid, row = new_id(), new_id()
    vault.encrypt(cid, "customers", "email_ct", row, FIELD)  # make and cache the key
    raw = AESGCM(os.urandom(32))
    data = FIELD.encode()
    nonce = os.urandom(12)
    raw_ct = raw.encrypt(nonce, data, None)
    ours_ct = vault.encrypt(cid, "customers", "email_ct", row, FIELD)

    raw_enc, our_enc = paired(
        lambda: raw.encrypt(os.urandom(12), data, None),
        lambda: vault.encrypt(cid, "customers", "email_ct", row, FIELD),
        n,
    )
    raw_dec, our_dec = paired(
        lambda: raw.decrypt(nonce, raw_ct, None),
        lambda: vault.decrypt(cid, "customers", "email_ct", row, ours_ct),
        n,
    )
    # A second baseline: raw AES-GCM doing the same cryptographic work as the vault (the
    # same associated data, the nonce split from the stored value), so the ratio to it is
    # the vault's own overhead (cache look-up, building the associated data, decoding).
    aad = ours_ct[:5] + f"\x00customers\x00email_ct\x00{row}\x00{cid}".encode()
    stored = nonce + raw.encrypt(nonce, data, aad)
    bound_enc, our_enc2 = paired(
        lambda: raw.encrypt(os.urandom(12), data, aad),
        lambda: vault.encrypt(cid, "customers", "email_ct", row, FIELD),
        n,
    )
    bound_dec, our_dec2 = paired(
        lambda: raw.decrypt(stored[:12], stored[12:], aad),
        lambda: vault.decrypt(cid, "customers", "email_ct", row, ours_ct),
        n,
    )
    print(f"1. Field encryption, 32-byte value (on-CPU, fastest of 9 alternating rounds of {n:,})")
    print(f"   raw AESGCM encrypt  {raw_enc * 1e6:6.2f} µs   {1 / raw_enc:>10,.0f}/s")
    print(f"   vault encrypt       {our_enc * 1e6:6.2f} µs   {1 / our_enc:>10,.0f}/s   "
          f"ratio {our_enc / raw_enc:.2f}x (goal <= 2x)")  # fmt: skip
    print(f"   raw AESGCM decrypt  {raw_dec * 1e6:6.2f} µs   {1 / raw_dec:>10,.0f}/s")
    print(
        f"   vault decrypt       {our_dec * 1e6:6.2f} µs   {1 / our_dec:>10,.0f}/s   "
        f"ratio {our_dec / raw_dec:.2f}x (goal <= 2x)"
    )
    print(f"   raw AESGCM with the vault's associated data and nonce split: encrypt "
          f"{bound_enc * 1e6:.2f} µs (vault {our_enc2 / bound_enc:.2f}x), decrypt "
          f"{bound_dec * 1e6:.2f} µs (vault {our_dec2 / bound_dec:.2f}x)")  # fmt: skip


def _person(i: int) -> tuple[str, str, str, str]:
    """Name, e-mail, phone and CNIC of synthetic customer i, as a person might type them."""
    return (
        f"Canary Testname {i}",
        f"Canary.{i}@Example.PK",
        f"0300 {i % 10_000_000:07d}" if i < 10_000_000 else f"0301 {i % 10_000_000:07d}",
        f"{35202 + i // 10_000_000:05d}-{i % 10_000_000:07d}-{i % 10}",
    )


def _normalised_fast(i: int) -> tuple[str, str, str]:
    """What the normalisers return for _person(i), without running them (table fill only)."""
    _, email, phone, cnic = _person(i)
    return email.casefold(), "+92" + phone[1:].replace(" ", ""), cnic.replace("-", "")


def create_customers(
    runtime: Runtime, start: int, count: int, *, validate: bool = True, batch: int = 5_000
) -> tuple[float, float, float]:
    """Bulk creation through the vault and SQLAlchemy Core.

    Returns (seconds in all, seconds of which spent validating and normalising input,
    seconds this process spent on the CPU).
    """
    vault, now = runtime.vault, datetime.now(UTC)
    began, validating, cpu = time.perf_counter(), 0.0, time.process_time()
    for first in range(start, start + count, batch):
        ids = [new_id() for _ in range(min(batch, start + count - first))]
        vault.create_keys(ids)
        rows = []
        for offset, cid in enumerate(ids):
            i = first + offset
            name, email, phone, cnic = _person(i)
            if validate:
                v0 = time.perf_counter()
                email_n, phone_n, cnic_n = (
                    normalise_email(email),
                    normalise_phone(phone),
                    normalise_cnic(cnic),
                )
                validating += time.perf_counter() - v0
            else:
                email_n, phone_n, cnic_n = _normalised_fast(i)
            rows.append({
                "id": cid, "kind": "individual", "status": "active", "created_at": now,
                "name_ct": vault.encrypt(cid, "customers", "name_ct", cid, name),
                "email_ct": vault.encrypt(cid, "customers", "email_ct", cid, email_n),
                "email_bidx": vault.blind_index("contact.email", email_n),
                "phone_ct": vault.encrypt(cid, "customers", "phone_ct", cid, phone_n),
                "phone_bidx": vault.blind_index("contact.phone", phone_n),
                "cnic_ct": vault.encrypt(cid, "customers", "cnic_ct", cid, cnic_n),
                "cnic_bidx": vault.blind_index("identity.cnic", cnic_n),
            })  # fmt: skip
        with runtime.engine.begin() as conn:
            conn.execute(insert(T), rows)
    return time.perf_counter() - began, validating, time.process_time() - cpu


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def bench_lookups(runtime: Runtime, total: int, samples: int = 2_000) -> None:
    vault = runtime.vault
    rng = random.Random(42)
    print(f"2. Lookup among {total:,} customers on SQLite ({samples} lookups each)")
    with runtime.engine.connect() as conn:
        for label, column, category, normalise, pick in (
            ("e-mail", T.c.email_bidx, "contact.email", normalise_email, 1),
            ("phone", T.c.phone_bidx, "contact.phone", normalise_phone, 2),
            ("CNIC", T.c.cnic_bidx, "identity.cnic", normalise_cnic, 3),
        ):
            query = select(T.c.id, T.c.email_ct).where(column == bindparam("index"))
            whole, lookup, on_cpu = [], [], []
            for _ in range(samples):
                typed = _person(rng.randrange(total))[pick]
                began = time.perf_counter()
                normalised = normalise(typed)
                indexed, cpu = time.perf_counter(), time.thread_time()
                row = conn.execute(
                    query, {"index": vault.blind_index(category, normalised)}
                ).first()
                on_cpu.append(time.thread_time() - cpu)
                done = time.perf_counter()
                assert row is not None
                whole.append(done - began)
                lookup.append(done - indexed)
            p50, p99 = _percentiles(lookup)
            w50, w99 = _percentiles(whole)
            _, c99 = _percentiles(on_cpu)
            print(f"   by {label:<7} index+query p50 {p50 * 1e3:6.3f} ms  p99 {p99 * 1e3:6.3f} ms"
                  f" (goal p99 < 2 ms); on-CPU p99 {c99 * 1e3:6.3f} ms; with validating the "
                  f"typed value p50 {w50 * 1e3:6.3f} ms  p99 {w99 * 1e3:6.3f} ms")  # fmt: skip

        # Baseline: what lookups would cost without a blind index.
        scan = conn.execute(select(T.c.id, T.c.email_ct).limit(10_000)).all()
        target = _person(9_999)[1]
        began = time.perf_counter()
        for _ in range(5):
            for cid, email_ct in scan:
                if vault.decrypt(cid, "customers", "email_ct", cid, email_ct) == target:
                    break
        per_scan = (time.perf_counter() - began) / 5
        print(f"   decrypt-and-scan over 10,000 customers: {per_scan * 1e3:.1f} ms per lookup "
              f"(x{per_scan / p50:,.0f} the indexed p50; linear in customers, so x100 at 1,000,000)")  # fmt: skip


def bench_rotation(runtime: Runtime, keys: int) -> None:
    owners = [new_id() for _ in range(keys)]
    for start in range(0, keys, 10_000):
        runtime.vault.create_keys(owners[start : start + 10_000])
    total = sum(keystore_jobs.wrapped_counts(runtime.vault.keystore).values())
    raw = AESGCM(os.urandom(32))
    began = time.perf_counter()
    for _ in range(10_000):  # baseline: the AES-GCM work alone (unwrap + wrap)
        nonce = os.urandom(12)
        raw.decrypt(nonce, raw.encrypt(nonce, os.urandom(32), b"aad"), b"aad")
    crypto_only = (time.perf_counter() - began) / 10_000
    began = time.perf_counter()
    report = rotate_master(runtime, batch_size=2_000)
    took = time.perf_counter() - began
    print(f"3. Master rotation of {report.rewrapped:,} data keys ({total:,} in the store)")
    print(f"   {took:.2f} s, {report.rewrapped / took:,.0f} keys/s (goal > 10,000 keys/s); "
          f"crypto alone {1 / crypto_only:,.0f} keys/s, ratio {took / report.rewrapped / crypto_only:.1f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rotate", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None, help="keep the data here")
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="amanat-bench-vault-"))
    runtime = build_runtime(Settings(environment="test", data_dir=base / "data"), SystemClock())
    initialise(runtime)
    try:
        bench_fields(runtime)
        first = min(100_000, args.customers)
        took, validating, cpu = create_customers(runtime, 0, first)
        print(f"4. Bulk creation of {first:,} encrypted customers: {took:.1f} s, "
              f"{first / took:,.0f} customers/s (on-CPU {first / cpu:,.0f}/s) with a data key, "
              f"4 encrypted fields and 3 blind indexes each; {validating / took:.0%} of it "
              f"validating the typed input (email-validator, phonenumbers)")  # fmt: skip
        if args.customers > first:
            rest, _, _ = create_customers(runtime, first, args.customers - first, validate=False)
            print(f"   (and {args.customers - first:,} more for the lookup table in {rest:.0f} s)")
        bench_lookups(runtime, args.customers)
    finally:
        runtime.close()
    # Rotation on an installation of its own, holding exactly --rotate data keys.
    keys = build_runtime(Settings(environment="test", data_dir=base / "rotation"), SystemClock())
    initialise(keys)
    try:
        bench_rotation(keys, args.rotate)
    finally:
        keys.close()
    print(f"data: {base}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
