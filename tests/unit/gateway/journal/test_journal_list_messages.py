"""list_messages: filters, keyset order, and pages that stay whole while messages arrive."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from journal_support import T0, Backend, new_message

from gateway.journal import Journal, Message, MessageFilter, NewMessage

_stores = itertools.count()


def msg(
    n: int, *, at: float, partner: str = "acme", channel: str = "api:order", po: str = ""
) -> NewMessage:
    base = new_message(
        f"m{n:04d}",
        partner=partner,
        received_at=at,
        business_keys={"po_number": po or f"PO-{n % 3}"},
    )
    return NewMessage(
        **{**{f: getattr(base, f) for f in base.__struct_fields__}, "channel": channel}
    )


def matches(m: NewMessage | Message, flt: MessageFilter) -> bool:
    return (
        (flt.partner is None or m.partner == flt.partner)
        and (flt.channel is None or m.channel == flt.channel)
        and (flt.since is None or m.received_at >= flt.since)
        and (flt.until is None or m.received_at < flt.until)
        and (flt.key is None or m.business_keys.get(flt.key[0]) == flt.key[1])
    )


async def test_filters_and_order(journal: Journal) -> None:
    await journal.accept(msg(3, at=T0 + 1))
    await journal.accept(msg(1, at=T0 + 1))  # same time: id breaks the tie
    await journal.accept(msg(2, at=T0))
    await journal.accept(msg(4, at=T0 + 2, partner="shop"))
    await journal.accept(msg(5, at=T0 + 3, channel="api:shipment"))
    everything = await journal.list_messages(MessageFilter())
    assert [m.id for m in everything] == ["m0002", "m0001", "m0003", "m0004", "m0005"]
    acme_orders = MessageFilter(partner="acme", channel="api:order")
    assert [m.id for m in await journal.list_messages(acme_orders)] == ["m0002", "m0001", "m0003"]
    window = MessageFilter(since=T0 + 1, until=T0 + 2)
    assert [m.id for m in await journal.list_messages(window)] == ["m0001", "m0003"]
    keyed = MessageFilter(key=("po_number", "PO-1"))
    assert [m.id for m in await journal.list_messages(keyed)] == ["m0001", "m0004"]
    after = MessageFilter(after=(T0 + 1, "m0001"), limit=2)
    assert [m.id for m in await journal.list_messages(after)] == ["m0003", "m0004"]
    assert await journal.list_messages(MessageFilter(state="done")) == []
    [received] = await journal.list_messages(MessageFilter(state="received", partner="shop"))
    assert received.raw == new_message("x").raw


@pytest.mark.parametrize("name", ["", "a'b", "x) OR 1=1 --", "$.x"])
async def test_odd_key_names_are_refused(journal: Journal, name: str) -> None:
    with pytest.raises(ValueError, match="not a business key name"):
        await journal.list_messages(MessageFilter(key=(name, "v")))


ROWS = st.lists(
    st.tuples(
        st.integers(0, 6),  # received_at offset: many ties
        st.sampled_from(["acme", "shop"]),
        st.sampled_from(["api:order", "api:shipment"]),
        st.sampled_from(["PO-1", "PO-2"]),
    ),
    max_size=25,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    initial=ROWS,
    arriving=ROWS,
    limit=st.integers(1, 5),
    partner=st.sampled_from([None, "acme"]),
    key=st.sampled_from([None, "PO-1"]),
    since=st.sampled_from([None, T0 + 2]),
)
def test_pages_concatenate_to_the_filtered_set_while_messages_arrive(
    backend: Backend,
    initial: list[tuple[int, str, str, str]],
    arriving: list[tuple[int, str, str, str]],
    limit: int,
    partner: str | None,
    key: str | None,
    since: float | None,
) -> None:
    """Paging with a keyset cursor while new rows land before and after the cursor: no row is
    seen twice, every row present at the start is seen, rows come in (received_at, id) order,
    and a row that arrives after the cursor (in key order) is seen too."""
    numbers = itertools.count()

    def build(rows: list[tuple[int, str, str, str]]) -> list[NewMessage]:
        return [msg(next(numbers), at=T0 + t, partner=p, channel=c, po=po) for t, p, c, po in rows]

    async def run() -> None:
        journal = backend.journal(store=f"pages{next(_stores)}")
        await journal.open()
        try:
            before = build(initial)
            later = build(arriving)
            for m in before:
                await journal.accept(m)
            flt = MessageFilter(
                partner=partner,
                channel="api:order",
                since=since,
                key=None if key is None else ("po_number", key),
                limit=limit,
            )
            seen: list[Message] = []
            must_see: set[str] = set()
            while True:
                page = await journal.list_messages(flt)
                assert len(page) <= limit
                seen += page
                if len(page) < limit:
                    break
                cursor = (page[-1].received_at, page[-1].id)
                if later:  # one arrives between two pages, before or after the cursor
                    m = later.pop()
                    await journal.accept(m)
                    if (m.received_at, m.id) > cursor and matches(m, flt):
                        must_see.add(m.id)
                flt = MessageFilter(**{**_fields(flt), "after": cursor})
            ids = [m.id for m in seen]
            assert len(ids) == len(set(ids))
            assert all(matches(m, flt) for m in seen)
            assert [(m.received_at, m.id) for m in seen] == sorted(
                (m.received_at, m.id) for m in seen
            )
            assert {m.id for m in before if matches(m, flt)} | must_see <= set(ids)
        finally:
            await journal.close()

    asyncio.run(run())


def _fields(flt: MessageFilter) -> dict[str, object]:
    return {f: getattr(flt, f) for f in flt.__struct_fields__}
