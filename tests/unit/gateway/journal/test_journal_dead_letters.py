"""dead_letters: every filter narrows, oldest first, keyset paging by ``after_id``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from journal_support import LEASE, T0, dead_delivery, dead_letter, event, failed, new_message

from gateway.journal import DeadLetter, DeadLetterFilter, Journal

PARTNERS = ["acme", "globex", "initech"]
STAGES = ["decode", "map", "validate"]


async def seed(journal: Journal) -> list[DeadLetter]:
    """18 processing dead letters, 6 delivery ones; ids sort like created_at; 3 closed."""
    out = []
    for i in range(18):
        dl = dead_letter(
            f"dl_{i:04d}",
            f"m{i}",
            stage=STAGES[i % 3],
            code=f"E{i % 2}",
            partner=PARTNERS[i % 3 if i % 4 else 0],
            created_at=T0 + i,
        )
        await failed(journal, f"m{i}", dl, at=T0 + i)
        out.append(dl)
    for i in range(18, 24):
        dest = "erp" if i % 2 else "wms"
        _, dl = await dead_delivery(journal, f"m{i}", f"dl_{i:04d}", destination=dest, at=T0 + i)
        out.append(dl)
    assert await journal.reprocess("dl_0001", "alice", T0 + 100)
    assert await journal.redeliver("dl_0019", "alice", T0 + 100)
    assert await journal.discard("dl_0002", "bob", "test data", T0 + 100)
    return out


STATE = {"dl_0001": "replayed", "dl_0019": "replayed", "dl_0002": "discarded"}


def state(dl: DeadLetter) -> str:
    return STATE.get(dl.id, "open")


CASES: list[tuple[str, DeadLetterFilter, Callable[[DeadLetter], bool]]] = [
    ("default-open", DeadLetterFilter(), lambda d: state(d) == "open"),
    ("any-state", DeadLetterFilter(state=None), lambda d: True),
    ("replayed", DeadLetterFilter(state="replayed"), lambda d: state(d) == "replayed"),
    ("discarded", DeadLetterFilter(state="discarded"), lambda d: state(d) == "discarded"),
    ("partner", DeadLetterFilter(partner="globex", state=None), lambda d: d.partner == "globex"),
    (
        "destination",
        DeadLetterFilter(destination="erp"),
        lambda d: d.destination == "erp" and state(d) == "open",
    ),
    ("stage", DeadLetterFilter(stage="map"), lambda d: d.stage == "map" and state(d) == "open"),
    ("code", DeadLetterFilter(code="E1", state=None), lambda d: d.code == "E1"),
    ("since", DeadLetterFilter(since=T0 + 5, state=None), lambda d: d.created_at >= T0 + 5),
    ("until", DeadLetterFilter(until=T0 + 10, state=None), lambda d: d.created_at < T0 + 10),
    (
        "window",
        DeadLetterFilter(since=T0 + 3, until=T0 + 20, state=None),
        lambda d: T0 + 3 <= d.created_at < T0 + 20,
    ),
    (
        "combined",
        DeadLetterFilter(partner="acme", stage="deliver", destination="wms"),
        lambda d: (d.partner, d.stage, d.destination) == ("acme", "deliver", "wms"),
    ),
    ("no-match", DeadLetterFilter(partner="nobody"), lambda d: False),
    ("limit", DeadLetterFilter(limit=4, state=None), lambda d: d.id <= "dl_0003"),
    ("after_id", DeadLetterFilter(after_id="dl_0020", state=None), lambda d: d.id > "dl_0020"),
]


@pytest.mark.parametrize(("flt", "keep"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_dead_letter_filters(
    journal: Journal, flt: DeadLetterFilter, keep: Callable[[DeadLetter], bool]
) -> None:
    written = await seed(journal)

    found = await journal.dead_letters(flt)

    expected = [d.id for d in written if keep(d)]
    assert [d.id for d in found] == expected
    assert all(d.state == state(d) for d in found)


async def test_dead_letters_round_trip_every_field(journal: Journal) -> None:
    written = await seed(journal)

    found = {d.id: d for d in await journal.dead_letters(DeadLetterFilter(state=None))}

    assert found["dl_0005"] == written[5]  # open: exactly what was written
    assert found["dl_0020"] == written[20]
    closed = found["dl_0002"]
    assert (closed.state, closed.resolved_at, closed.resolved_by, closed.reason) == (
        "discarded",
        T0 + 100,
        "bob",
        "test data",
    )
    assert closed.message_id == "m2"
    assert await journal.get_dead_letter("dl_0019") == found["dl_0019"]


async def seed_many(journal: Journal, n: int) -> list[str]:
    ids = [f"m{i:04d}" for i in range(n)]
    await asyncio.gather(
        *(journal.accept(new_message(m, partner=PARTNERS[i % 3])) for i, m in enumerate(ids))
    )
    assert len(await journal.claim_messages("w1", n, LEASE, T0)) == n
    results = await asyncio.gather(
        *(
            journal.fail_processing(
                m,
                "w1",
                events=[event(m, "map", T0 + i, outcome="error", code="MAP001")],
                dead_letter=dead_letter(
                    f"dl_{i:04d}", m, partner=PARTNERS[i % 3], created_at=T0 + i
                ),
                retry_at=None,
                now=T0 + i,
            )
            for i, m in enumerate(ids)
        )
    )
    assert all(results)
    return [f"dl_{i:04d}" for i in range(n)]


async def page_through(journal: Journal, flt: DeadLetterFilter) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        page = await journal.dead_letters(
            DeadLetterFilter(partner=flt.partner, state=flt.state, limit=flt.limit, after_id=after)
        )
        if not page:
            return pages
        pages.append([d.id for d in page])
        after = page[-1].id
        assert len(pages) < 100, "paging does not advance"


async def test_keyset_paging_has_no_duplicates_or_gaps(journal: Journal) -> None:
    ids = await seed_many(journal, 250)

    pages = await page_through(journal, DeadLetterFilter(limit=40))

    assert [len(p) for p in pages] == [40] * 6 + [10]
    flat = [i for p in pages for i in p]
    assert flat == ids
    assert (await journal.stats()).dead_letters_open == 250


async def test_keyset_paging_with_a_filter(journal: Journal) -> None:
    ids = await seed_many(journal, 250)

    pages = await page_through(journal, DeadLetterFilter(partner="globex", limit=25))

    expected = [d for i, d in enumerate(ids) if PARTNERS[i % 3] == "globex"]
    assert [len(p) for p in pages] == [25, 25, 25, 8]
    assert [i for p in pages for i in p] == expected


async def test_paging_is_stable_while_dead_letters_are_resolved(journal: Journal) -> None:
    """Operators discard as they page; the keyset still reaches every open dead letter."""
    ids = await seed_many(journal, 60)
    seen: list[str] = []
    discarded = 0
    after = None
    while page := await journal.dead_letters(DeadLetterFilter(limit=7, after_id=after)):
        seen.extend(d.id for d in page)
        after = page[-1].id
        for d in page[::2]:
            assert await journal.discard(d.id, "bob", "noise", T0 + 1000)
            discarded += 1

    assert seen == ids
    assert len(await journal.dead_letters(DeadLetterFilter(limit=100))) == 60 - discarded
    assert len(await journal.dead_letters(DeadLetterFilter(state="discarded"))) == discarded
