"""A stateful property test: random accepts, claims, completions, failures and clock moves.

A plain model predicts what each call must do; after every step the journal must agree with it
and keep the invariants: a message is completed at most once, done (or failed) messages are never
claimed, and every accepted message is received, done or failed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from journal_support import LEASE, T0, Backend, dead_letter, event, new_delivery, new_message

OWNERS = st.sampled_from(["a", "b", "c"])
STEPS = st.sampled_from([0.0, 0.5, 5.0, LEASE - 1, LEASE, LEASE + 1, 100.0])
_stores = itertools.count()


@dataclass
class Model:
    received_at: float
    state: str = "received"
    available_at: float = 0.0
    owner: str | None = None
    lease_until: float = 0.0
    attempts: int = 0

    def claimable(self, now: float) -> bool:
        return (
            self.state == "received"
            and self.available_at <= now
            and (self.owner is None or self.lease_until < now)
        )


class JournalMachine(RuleBasedStateMachine):
    backend: ClassVar[Backend]

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.journal = self.backend.journal(store=f"machine{next(_stores)}")
        self.run(self.journal.open())
        self.now = T0
        self.model: dict[str, Model] = {}
        self.completions: Counter[str] = Counter()
        self.dead = 0

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        try:
            self.run(self.journal.close())
        finally:
            self.loop.close()

    def pick(self, i: int, owner: str | None) -> tuple[str, str]:
        """A message, and who tries to finish it: ``owner``, or its lease holder when None."""
        held = sorted(k for k, m in self.model.items() if m.owner is not None)
        ids = held if owner is None and held else sorted(self.model)
        mid = ids[i % len(ids)]
        return mid, owner or self.model[mid].owner or "a"

    @rule()
    def accept(self) -> None:
        mid = f"m{len(self.model):03d}"
        self.run(self.journal.accept(new_message(mid, received_at=self.now)))
        self.model[mid] = Model(received_at=self.now, available_at=self.now)

    @rule(dt=STEPS)
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule(owner=OWNERS, limit=st.integers(1, 4))
    def claim(self, owner: str, limit: int) -> None:
        claimable = {i for i, m in self.model.items() if m.claimable(self.now)}
        claimed = self.run(self.journal.claim_messages(owner, limit, LEASE, self.now))

        ids = [m.id for m in claimed]
        assert len(ids) == len(set(ids))
        assert set(ids) <= claimable, f"claimed {set(ids) - claimable} which was not claimable"
        assert len(ids) == min(limit, len(claimable))
        if ids:  # oldest available first
            newest = max(self.model[i].available_at for i in ids)
            assert all(self.model[i].available_at >= newest for i in claimable - set(ids))
        for m in claimed:
            model = self.model[m.id]
            model.owner, model.lease_until = owner, self.now + LEASE
            model.attempts += 1
            assert (m.state, m.attempts) == ("received", model.attempts)

    @precondition(lambda self: self.model)
    @rule(who=st.none() | OWNERS, i=st.integers(0, 10_000))
    def complete(self, who: str | None, i: int) -> None:
        mid, owner = self.pick(i, who)
        model = self.model[mid]
        ok = self.run(
            self.journal.complete_processing(
                mid,
                owner,
                document_type="x12.850",
                canonical=mid.encode(),
                business_keys={},
                events=[event(mid, "route", self.now)],
                deliveries=[new_delivery(mid, "erp")],
                now=self.now,
            )
        )
        # only the current lease holder may finish, even if its lease ran out unnoticed
        assert ok == (model.owner == owner and model.state == "received")
        if ok:
            model.state, model.owner = "done", None
            self.completions[mid] += 1

    @precondition(lambda self: self.model)
    @rule(who=st.none() | OWNERS, i=st.integers(0, 10_000), retry_in=st.none() | STEPS)
    def fail(self, who: str | None, i: int, retry_in: float | None) -> None:
        mid, owner = self.pick(i, who)
        model = self.model[mid]
        ok = self.run(
            self.journal.fail_processing(
                mid,
                owner,
                events=[
                    event(mid, "map", self.now, outcome="error" if retry_in is None else "retry")
                ],
                dead_letter=dead_letter(f"dl-{mid}", mid) if retry_in is None else None,
                retry_at=None if retry_in is None else self.now + retry_in,
                now=self.now,
            )
        )
        assert ok == (model.owner == owner and model.state == "received")
        if ok:
            model.owner = None
            if retry_in is not None:
                model.available_at = self.now + retry_in
            else:
                model.state = "failed"
                self.dead += 1

    @invariant()
    def journal_agrees_with_the_model(self) -> None:
        for mid, model in self.model.items():
            m = self.run(self.journal.get_message(mid))
            assert m is not None
            assert m.state in {"received", "done", "failed"}
            assert (m.state, m.attempts) == (model.state, model.attempts)
            assert m.canonical == (mid.encode() if m.state == "done" else None)
        stats = self.run(self.journal.stats())
        received = sum(m.state == "received" for m in self.model.values())
        assert (stats.messages_pending, stats.dead_letters_open) == (received, self.dead)
        assert stats.deliveries_pending == sum(m.state == "done" for m in self.model.values())

    @invariant()
    def completed_at_most_once(self) -> None:
        assert all(n == 1 for n in self.completions.values())
        for mid in self.completions:
            routes = [e for e in self.run(self.journal.events(mid)) if e.stage == "route"]
            assert len(routes) == 1
            assert len(self.run(self.journal.deliveries(mid))) == 1


def test_random_workloads_keep_the_invariants(backend: Backend) -> None:
    machine = type("Machine", (JournalMachine,), {"backend": backend})
    run_state_machine_as_test(
        machine,
        settings=settings(max_examples=60, stateful_step_count=40, deadline=None),
    )
