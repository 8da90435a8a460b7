"""Redis rate limiter: accuracy across processes, and checks/s against a bare Redis PING.

Accuracy: several OS processes (``python -m bench.limiter worker``), each with hundreds of
concurrent clients, hammer ONE key of the Redis-backed GCRA limiter for a few seconds. GCRA's
bound says that over a span L at most ``burst + rate * L`` requests pass; L runs from the first
worker's start to the last worker's end, both read from the Redis clock (``TIME``). The figure is
admitted vs that bound: the goal is never more (ratio <= 1), and close to it (the limiter should
not refuse quota it owes). Each worker opens its connection pool before the common start time so
the bucket is not left full (and refill lost) while connections are made.

Throughput: ``RedisLimiter.acquire`` (one EVALSHA of gcra.lua, reply decoded into a Decision)
from this process with CONCURRENCY clients, against the same clients sending a bare ``PING``
through the same kind of client and pool: the ratio is what the script and our wrapper cost
on top of a Redis round trip. redis-server runs on a unix socket in a temp folder
(``tests/redis_server.py``); the machine's two cores are shared by everything.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bench._harness import ROOT, CpuMeter, Result, median, run_async
from gateway.throttle.redis import RedisLimiter
from tests.redis_server import RedisServer

NAME = "limiter"
PROCESSES = 4
CLIENTS_PER_PROCESS = 200
RATE, BURST = 500.0, 100
CONCURRENCY = 64
POOL = 64


# -- accuracy: one worker process -----------------------------------------------------------
async def _worker(
    url: str, key: str, start_at: float, duration: float, clients: int
) -> dict[str, Any]:
    limiter = RedisLimiter.from_url(url, prefix="", max_connections=POOL)
    client = limiter.client
    await asyncio.gather(*(client.ping() for _ in range(POOL)))  # open the pool first
    await asyncio.sleep(max(0.0, start_at - time.time()))
    first = await client.time()
    counts = [0, 0]
    loop = asyncio.get_running_loop()
    end = loop.time() + duration

    async def one() -> None:
        while loop.time() < end:
            counts[not (await limiter.acquire(key, RATE, BURST)).allowed] += 1

    await asyncio.gather(*(one() for _ in range(clients)))
    last = await client.time()
    await limiter.close()
    return {
        "admitted": counts[0],
        "refused": counts[1],
        "t0": first[0] + first[1] / 1e6,
        "t1": last[0] + last[1] / 1e6,
    }


def _accuracy_round(url: str, duration: float) -> dict[str, Any]:
    key = f"bench:{uuid.uuid4().hex}"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    start_at = time.time() + 2.0  # every worker imported and connected by then
    args = [url, key, str(start_at), str(duration), str(CLIENTS_PER_PROCESS)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.limiter", "worker", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            msg = f"limiter worker failed:\n{err.decode(errors='replace')[-4000:]}"
            raise RuntimeError(msg)
        reports.append(json.loads(out))
    span = max(r["t1"] for r in reports) - min(r["t0"] for r in reports)
    admitted = sum(r["admitted"] for r in reports)
    calls = admitted + sum(r["refused"] for r in reports)
    return {
        "admitted": admitted,
        "allowed": int(BURST + RATE * span + 1e-6),
        "calls": calls,
        "span": span,
        "per_process": [r["admitted"] for r in reports],
    }


# -- throughput: this process ---------------------------------------------------------------
async def _rate(call: Callable[[], Awaitable[Any]], duration: float) -> tuple[float, str]:
    loop = asyncio.get_running_loop()
    done = 0
    stop = False

    async def one() -> None:
        nonlocal done
        while not stop:
            await call()
            done += 1

    tasks = [asyncio.create_task(one()) for _ in range(CONCURRENCY)]
    await asyncio.sleep(min(0.5, duration / 4))  # warm-up: pool open, script cached
    meter = CpuMeter({})
    meter.start()
    before, started = done, loop.time()
    await asyncio.sleep(duration)
    count, seconds = done - before, loop.time() - started
    meter.stop()
    stop = True
    await asyncio.gather(*tasks)
    return count / seconds, meter.describe()


async def _throughput(
    url: str, duration: float, rounds: int
) -> tuple[dict[str, list[float]], list[str]]:
    limiter = RedisLimiter.from_url(url, prefix=f"bench:{uuid.uuid4().hex}:", max_connections=POOL)
    client = limiter.client
    out: dict[str, list[float]] = {"acquire": [], "ping": []}
    cpu: list[str] = []
    steps: dict[str, Callable[[], Awaitable[Any]]] = {
        # one hot key that never refuses: the busy-partner case, every call a full check
        "acquire": lambda: limiter.acquire("hot", 100_000.0, 1_000_000),
        "ping": client.ping,
    }
    for _ in range(rounds):
        for name, step in steps.items():
            rate, described = await _rate(step, duration)
            out[name].append(rate)
            cpu.append(f"{name}: {rate:,.0f}/s, CPU (cores) {described}")
    await limiter.close()
    return out, cpu


def run(quick: bool = False) -> list[Result]:
    duration, rounds = (1.0, 1) if quick else (3.0, 3)
    with RedisServer.start() as server:
        accuracy = [_accuracy_round(server.url, duration) for _ in range(rounds)]
        speed, cpu = run_async(_throughput(server.url, duration, rounds))
    admitted = sum(a["admitted"] for a in accuracy)
    allowed = sum(a["allowed"] for a in accuracy)
    worst = max(a["admitted"] - a["allowed"] for a in accuracy)
    ok = "met" if worst <= 0 else "MISSED"
    return [
        Result(
            name=f"limiter accuracy ({PROCESSES} processes x {CLIENTS_PER_PROCESS} clients)",
            unit="admitted",
            ours=admitted,
            baseline=allowed,
            baseline_name="allowed: burst + rate x span",
            goal=None,
            notes=[
                f"goal: never more than allowed (ratio <= 1): {ok}; "
                f"worst round {worst:+d} vs its bound",
                f"one key, rate {RATE:g}/s, burst {BURST}; {rounds} round(s) of {duration:g} s",
                *(
                    f"round: admitted {a['admitted']} of {a['allowed']} allowed over "
                    f"{a['span']:.3f} s, {a['calls']:,} calls ({a['calls'] / a['span']:,.0f}/s), "
                    f"per process {a['per_process']}"
                    for a in accuracy
                ),
            ],
        ),
        Result(
            name=f"redis limiter checks/s ({CONCURRENCY} concurrent, 1 process)",
            unit="checks/s",
            ours=median(speed["acquire"]),
            baseline=median(speed["ping"]),
            baseline_name="bare PING, same client",
            goal=None,
            notes=[
                f"redis.asyncio, BlockingConnectionPool({POOL}), uvloop; "
                f"{rounds} x {duration:g} s each, alternating (median)",
                *cpu,
            ],
        ),
    ]


def _main(argv: list[str]) -> int:
    if argv[:1] != ["worker"] or len(argv) != 6:
        print("usage: python -m bench.limiter worker URL KEY START_AT DURATION CLIENTS")
        return 2
    url, key, start_at, duration, clients = argv[1:]
    report = run_async(_worker(url, key, float(start_at), float(duration), int(clients)))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
