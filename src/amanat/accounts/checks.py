"""The accounts domain's findings for `amanat doctor`: the throttle store answers."""

from __future__ import annotations

from collections.abc import Iterator

from amanat.registration import Finding
from amanat.runtime import Runtime


def throttle_store(runtime: Runtime) -> Iterator[Finding]:
    settings = runtime.settings
    if settings.redis_url:
        from amanat.accounts.redis_throttle import RedisThrottleStore

        store = RedisThrottleStore.for_url(settings.redis_url)
        try:
            store.client.ping()
        except Exception:  # noqa: BLE001 -- any failure means the shared counters are unreachable
            yield Finding(
                "protections", "throttle store", "failing",
                "Redis at AMANAT_REDIS_URL does not answer; sign-ins will fail until it does",
            )  # fmt: skip
            return
        yield Finding("protections", "throttle store", "ok", "Redis (answers)")
    else:
        yield Finding("protections", "throttle store", "ok", "the database")
