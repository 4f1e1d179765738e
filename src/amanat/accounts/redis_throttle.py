"""Throttling counters in Redis (when ``AMANAT_REDIS_URL`` is set), shared by every worker.

Each counter is a Redis hash. A failure is counted by one Lua script, so concurrent
failures from many workers are all counted. A counter expires a day after its last
failure, except a hard lock (100 failures), which stays until a password reset clears it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import redis

from amanat.accounts.throttle import NET_WINDOW, Counter
from amanat.db.uow import UnitOfWork

_PREFIX = "amanat:throttle:"
_TTL_SECONDS = 24 * 3600
_INCREMENT = """
local key, now, window, ttl = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local start = tonumber(redis.call('HGET', key, 'window_start') or now)
if now - start > window then
  redis.call('HSET', key, 'window_start', now, 'window_failures', 0)
  start = now
end
if redis.call('HEXISTS', key, 'window_start') == 0 then redis.call('HSET', key, 'window_start', now) end
local consecutive = redis.call('HINCRBY', key, 'consecutive', 1)
local failures = redis.call('HINCRBY', key, 'window_failures', 1)
redis.call('HSET', key, 'last_failure_at', now)
if redis.call('HGET', key, 'permanent') ~= '1' then redis.call('EXPIRE', key, ttl) end
return {consecutive, failures, tostring(start), redis.call('HGET', key, 'locked_until') or ''}
"""


class RedisThrottleStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._increment = client.register_script(_INCREMENT)

    @classmethod
    def for_url(cls, url: str) -> RedisThrottleStore:
        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))

    def get(self, uow: UnitOfWork, key: str) -> Counter | None:
        raw = self.client.hgetall(_PREFIX + key)
        if not raw:
            return None
        values = {k.decode(): v.decode() for k, v in raw.items()}  # type: ignore[union-attr]
        locked = values.get("locked_until") or ""
        return Counter(
            consecutive=int(values.get("consecutive", "0")),
            window_failures=int(values.get("window_failures", "0")),
            window_start=_time(values.get("window_start", "0")),
            last_failure_at=_time(values.get("last_failure_at", "0")),
            locked_until=_time(locked) if locked else None,
        )

    def increment(self, uow: UnitOfWork, key: str, now: datetime) -> Counter:
        consecutive, failures, start, locked = self._increment(
            keys=[_PREFIX + key],
            args=[now.timestamp(), NET_WINDOW.total_seconds(), _TTL_SECONDS],
        )
        locked_text = locked.decode() if isinstance(locked, bytes) else str(locked)
        start_text = start.decode() if isinstance(start, bytes) else str(start)
        return Counter(
            consecutive=int(consecutive),
            window_failures=int(failures),
            window_start=_time(start_text),
            last_failure_at=now,
            locked_until=_time(locked_text) if locked_text else None,
        )

    def lock(self, uow: UnitOfWork, key: str, until: datetime, *, permanent: bool) -> None:
        name = _PREFIX + key
        pipe = self.client.pipeline()
        pipe.hset(name, mapping={"locked_until": until.timestamp(), "permanent": int(permanent)})
        if permanent:
            pipe.persist(name)
        pipe.execute()

    def clear(self, uow: UnitOfWork, key: str) -> None:
        self.client.delete(_PREFIX + key)


def _time(text: str) -> datetime:
    return datetime.fromtimestamp(float(text), UTC)
