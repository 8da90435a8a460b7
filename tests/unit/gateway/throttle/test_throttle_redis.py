"""What only the Redis backend has: the script cache, expiring keys, the lazy client, and
accuracy across OS processes sharing one limit."""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio

from gateway.throttle.redis import SCRIPT_SHA, RedisLimiter
from tests.redis_server import RedisServer, require_redis

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


async def test_script_loads_itself_after_a_flush(
    redis_server: RedisServer, raw: redis.asyncio.Redis
) -> None:
    limiter = RedisLimiter.from_url(redis_server.url, prefix=f"{uuid.uuid4().hex}:")
    try:
        await raw.script_flush()
        assert await raw.script_exists(SCRIPT_SHA) == [False]
        assert (await limiter.acquire("k", 1, 2)).allowed  # NOSCRIPT, then EVAL
        assert await raw.script_exists(SCRIPT_SHA) == [True]
        assert (await limiter.acquire("k", 1, 2)).remaining == 0  # EVALSHA from now on
    finally:
        await limiter.close()


async def test_concurrent_calls_are_pipelined_one_script_call_each(
    redis_server: RedisServer, raw: redis.asyncio.Redis
) -> None:
    """600 requests in one turn (three pipelines' worth) on one bucket of 250: exactly 250
    admitted, one EVALSHA each, in a tenth of the reads or fewer."""
    limiter = RedisLimiter.from_url(redis_server.url, prefix=f"{uuid.uuid4().hex}:")
    try:
        await limiter.acquire("warm", 1, 1)  # the script is cached from here on
        before = await _evalsha_calls(raw)
        trips_before = await _pipelines(raw)
        decisions = await asyncio.gather(*(limiter.acquire("k", 0.001, 250) for _ in range(600)))
        assert sum(d.allowed for d in decisions) == 250
        assert sorted(d.remaining for d in decisions if d.allowed) == list(range(250))
        assert await _evalsha_calls(raw) - before == 600
        # unpipelined this is 600 reads or more; pipelined, a few per pipeline (a 25 KB pipeline
        # arrives in several reads, a new pooled connection says hello, INFO itself counts)
        assert await _pipelines(raw) - trips_before <= 60
    finally:
        await limiter.close()


async def test_a_flushed_script_reloads_inside_a_pipeline(
    redis_server: RedisServer, raw: redis.asyncio.Redis
) -> None:
    limiter = RedisLimiter.from_url(redis_server.url, prefix=f"{uuid.uuid4().hex}:")
    try:
        await raw.script_flush()
        decisions = await asyncio.gather(*(limiter.acquire("k", 0.001, 5) for _ in range(8)))
        assert sum(d.allowed for d in decisions) == 5
    finally:
        await limiter.close()


async def test_a_lost_server_fails_every_waiting_call(tmp_path: Path) -> None:
    """Every call in the pipeline gets the connection error; none hangs or is admitted."""
    import redis.exceptions

    with RedisServer.start(tmp_path) as server:
        limiter = RedisLimiter.from_url(server.url, pool_timeout=1.0)
        assert (await limiter.acquire("k", 1, 10)).allowed
    try:
        results = await asyncio.wait_for(
            asyncio.gather(
                *(limiter.acquire("k", 1, 10) for _ in range(5)), return_exceptions=True
            ),
            timeout=10,
        )
        assert all(isinstance(r, redis.exceptions.ConnectionError) for r in results), results
    finally:
        await limiter.close()


async def test_a_cancelled_call_leaves_the_others_answered(redis_server: RedisServer) -> None:
    limiter = RedisLimiter.from_url(redis_server.url, prefix=f"{uuid.uuid4().hex}:")
    try:
        calls = [asyncio.ensure_future(limiter.acquire("k", 0.001, 10)) for _ in range(4)]
        calls[1].cancel()
        done = await asyncio.gather(*calls, return_exceptions=True)
        assert isinstance(done[1], asyncio.CancelledError)
        assert all(d.allowed for i, d in enumerate(done) if i != 1)  # type: ignore[union-attr]
    finally:
        await limiter.close()


async def _evalsha_calls(raw: redis.asyncio.Redis) -> int:
    stats = await raw.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))


async def _pipelines(raw: redis.asyncio.Redis) -> int:
    """Reads the server did of client input: one per pipeline (plus our own INFO calls)."""
    stats = await raw.info("stats")
    return int(stats["total_reads_processed"])


async def test_keys_expire_when_the_bucket_is_full_again(
    redis_server: RedisServer, raw: redis.asyncio.Redis
) -> None:
    prefix = f"{uuid.uuid4().hex}:"
    limiter = RedisLimiter.from_url(redis_server.url, prefix=prefix)
    try:
        await limiter.acquire("k", 20.0, 2, cost=2)  # full again after 2 / 20 = 0.1 s
        ttl = await raw.pttl(prefix + "k")
        assert 0 < ttl <= 100
        refused = await limiter.acquire("k", 20.0, 2)
        assert not refused.allowed
        assert await raw.pttl(prefix + "k") <= ttl  # a refusal does not extend the key
        await asyncio.sleep(0.15)
        assert await raw.exists(prefix + "k") == 0
    finally:
        await limiter.close()


async def test_construction_opens_nothing_and_binds_to_the_first_loop(
    redis_server: RedisServer,
) -> None:
    limiter = RedisLimiter.from_url(redis_server.url, prefix=f"{uuid.uuid4().hex}:")
    assert limiter._client is None  # nothing made until first use in a running loop

    def elsewhere() -> None:
        with pytest.raises(RuntimeError, match="another event loop"):
            asyncio.run(limiter.acquire("k", 1, 1))

    try:
        assert (await limiter.acquire("k", 1, 1)).allowed
        await asyncio.to_thread(elsewhere)
    finally:
        await limiter.close()
    assert limiter._client is None


async def test_a_client_passed_in_is_left_open(redis_server: RedisServer) -> None:
    client = redis.asyncio.Redis.from_url(redis_server.url)
    limiter = RedisLimiter(client, prefix=f"{uuid.uuid4().hex}:")
    assert (await limiter.acquire("k", 1, 1)).allowed
    await limiter.close()
    assert await client.ping()
    await client.aclose()


def test_url_or_client_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        RedisLimiter()


_WORKER = """
import asyncio, json, sys, time
from gateway.throttle.redis import RedisLimiter

async def main(url, key, rate, burst, start_at, duration, concurrency):
    limiter = RedisLimiter.from_url(url, prefix="", max_connections=64)
    client = limiter.client
    await asyncio.gather(*(client.ping() for _ in range(64)))  # open the pool before the start
    await asyncio.sleep(max(0.0, start_at - time.time()))
    first = await client.time()
    counts = [0, 0]
    loop = asyncio.get_running_loop()
    end = loop.time() + duration

    async def one():
        while loop.time() < end:
            counts[not (await limiter.acquire(key, rate, burst)).allowed] += 1

    await asyncio.gather(*(one() for _ in range(concurrency)))
    last = await client.time()
    await limiter.close()
    print(json.dumps({"admitted": counts[0], "refused": counts[1],
                      "t0": first[0] + first[1] / 1e6, "t1": last[0] + last[1] / 1e6}))

url, key = sys.argv[1], sys.argv[2]
rate, burst, start_at, duration, concurrency = map(float, sys.argv[3:8])
asyncio.run(main(url, key, rate, int(burst), start_at, duration, int(concurrency)))
"""


@pytest.mark.slow
def test_processes_sharing_a_limit_never_exceed_it(redis_server: RedisServer) -> None:
    """4 processes x 200 concurrent clients hammer one key for ~1 s.

    GCRA's bound: over a span L no more than ``burst + rate * L`` units pass. L is measured
    on the Redis clock from the first worker's start to the last worker's end.
    """
    require_redis()
    rate, burst, duration, workers, concurrency = 200.0, 50, 1.0, 4, 200
    key = f"shared:{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    start_at = time.time() + 1.5  # after every worker has imported and connected
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER,
                redis_server.url,
                key,
                str(rate),
                str(burst),
                str(start_at),
                str(duration),
                str(concurrency),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        for _ in range(workers)
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        reports.append(json.loads(out))
    admitted = sum(r["admitted"] for r in reports)
    span = max(r["t1"] for r in reports) - min(r["t0"] for r in reports)
    allowed = math.floor(burst + rate * span + 1e-6)
    calls = admitted + sum(r["refused"] for r in reports)
    assert calls > 2 * allowed, f"too little load to test the limit: {calls} calls"
    assert admitted <= allowed, f"{admitted} admitted, {allowed} allowed over {span:.3f} s"
    assert admitted >= 0.8 * allowed, (
        f"only {admitted} of {allowed} allowed were admitted: {reports}"
    )
