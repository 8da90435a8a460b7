"""Envelope checks: ISA/IEA, GS/GE and ST/SE control numbers and counts, streamed.

Sets are yielded as soon as their SE is read, so a 100 MB interchange of small sets keeps one set
in memory. A set with an error is still yielded (rejected, with its issues) and reading goes on:
one bad set must not stop the rest of the interchange. Group and interchange problems are known
only at GE/IEA, so they arrive in the :class:`InterchangeSummary` that follows the sets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import BinaryIO

from connectors.text import is_digits
from connectors.x12._model import (
    GroupHeader,
    GroupSummary,
    InterchangeHeader,
    InterchangeSummary,
    Issue,
    Segment,
    Separators,
    X12Set,
)
from connectors.x12._reader import Reader

TreeBuilder = Callable[[X12Set], None]
# segments that open or close an envelope: never part of the set that is open
_OPENERS = frozenset({"ISA", "GS", "ST", "GE", "IEA"})
_SEGMENT_ID = attrgetter("id")


def _mismatch(
    seg: Segment, element: str, what: str, *, expected: str, found: str, code: str
) -> Issue:
    return Issue(
        "error",
        code,
        f"decode: {element} ({what}) at segment {seg.number} (byte {seg.offset}): "
        f"expected {expected!r}, found {found!r}",
        seg.offset,
        seg.number,
        seg.id,
        element=element,
        expected=expected,
        found=found,
    )


def _same_number(a: str, b: str) -> bool:
    """Control numbers compare as numbers when both are digits ("000003438" == "3438")."""
    a, b = a.strip(), b.strip()
    return a == b or (is_digits(a) and is_digits(b) and int(a) == int(b))


class _State:
    """Open envelopes while reading; reset per interchange."""

    def __init__(self) -> None:
        self.summary: InterchangeSummary | None = None
        self.group: GroupSummary | None = None
        self.set: X12Set | None = None
        self.orphans: list[Issue] = []


def read_sets(  # noqa: PLR0912, PLR0915 - one state machine over the segment stream
    source: bytes | BinaryIO,
    *,
    build_tree: TreeBuilder | None = None,
    chunk_size: int = 1 << 16,
) -> Iterator[X12Set | InterchangeSummary]:
    """Stream transaction sets and, after each interchange's sets, its summary.

    ``build_tree`` (if given) fills ``X12Set.tree`` when a set is complete; sets are yielded with
    their segments so a caller can journal the exact bytes by ``raw_range``.
    """
    reader = Reader(source, chunk_size=chunk_size)
    st = _State()

    def close_set(seg: Segment | None, reason: str) -> X12Set:
        cur = st.set
        assert cur is not None
        st.set = None
        if reason:
            at = seg or cur.segments[-1]
            cur.issues.append(
                Issue(
                    "error",
                    "missing_se",
                    f"decode: transaction set {cur.set_id} {cur.control_number} has no SE; "
                    f"{reason} at segment {at.number} (byte {at.offset})",
                    at.offset,
                    at.number,
                    at.id,
                    expected="SE",
                    found=seg.id if seg else "end of data",
                )
            )
        if cur.segments:
            cur.raw_range = (cur.raw_range[0], cur.segments[-1].end)
        cur.segment_count = len(cur.segments)
        if build_tree is not None:
            build_tree(cur)
        if st.group is not None:
            st.group.set_count += 1
        return cur

    def close_group(seg: Segment | None, reason: str) -> None:
        grp = st.group
        st.group = None
        if grp is not None and reason and st.summary is not None:
            pos = seg.offset if seg else (st.summary.end or grp.header.offset)
            grp.issues.append(
                Issue(
                    "error",
                    "missing_ge",
                    f"decode: functional group {grp.header.control_number} has no GE; {reason}",
                    pos,
                    seg.number if seg else 0,
                    seg.id if seg else "",
                    expected="GE",
                    found=seg.id if seg else "end of data",
                )
            )

    def close_interchange(seg: Segment | None, reason: str) -> InterchangeSummary:
        summ = st.summary
        assert summ is not None
        st.summary = None
        if reason:
            summ.issues.append(
                Issue(
                    "error",
                    "missing_iea",
                    f"decode: interchange {summ.header.control_number} has no IEA; {reason}",
                    seg.offset if seg else summ.end,
                    seg.number if seg else 0,
                    seg.id if seg else "",
                    expected="IEA",
                    found=seg.id if seg else "end of data",
                )
            )
        return summ

    def envelope_event(seg: Segment) -> Iterator[X12Set | InterchangeSummary]:  # noqa: PLR0912
        """Everything but a segment inside an open set: the envelope state machine."""
        sid = seg.id
        if sid == "ISA":
            if st.set is not None:
                yield close_set(seg, "a new ISA started")
            if st.group is not None:
                close_group(seg, "a new ISA started")
            if st.summary is not None:
                yield close_interchange(seg, "a new ISA started")
            assert reader.separators is not None
            st.summary = InterchangeSummary(
                header=_isa_header(seg, reader.separators), segment_count=1, end=seg.end
            )
            st.summary.issues.extend(st.orphans)
            st.orphans = []
            return
        summ = st.summary
        if summ is None:
            st.orphans.append(_outside(seg, "interchange (no ISA before it)"))
            return
        if sid == "ST":
            if st.set is not None:
                yield close_set(seg, "another ST started")
            grp = st.group.header if st.group is not None else None
            st.set = X12Set(
                set_id=seg.get(1),
                control_number=seg.get(2),
                interchange=summ.header,
                group=grp,
                raw_range=(seg.offset, seg.end),
                segment_count=0,
                segments=[seg],
                issues=[],
                envelope_issues=[],
            )
            if grp is None:
                st.set.issues.append(_outside(seg, "functional group (no GS before it)"))
            return
        if st.set is not None:
            yield close_set(seg, f"{sid} came first")
        if sid == "GS":
            if st.group is not None:
                close_group(seg, "a new GS started")
            st.group = GroupSummary(header=_gs_header(seg), issues=[])
            summ.groups.append(st.group)
        elif sid == "GE":
            if st.group is None:
                summ.issues.append(_outside(seg, "functional group (GE without GS)"))
                return
            _check_ge(st.group, seg)
            close_group(None, "")
        elif sid == "IEA":
            if st.group is not None:
                close_group(seg, "IEA came first")
            _check_iea(summ, seg)
            summ.closed = True
            summ.segment_count, summ.end = seg.number, seg.end
            yield close_interchange(None, "")
        elif sid == "TA1" and st.group is None:
            summ.ta1s.append(seg)  # an interchange acknowledgement: kept, never a set
        else:
            where = "transaction set (no ST before it)"
            (st.group.issues if st.group else summ.issues).append(_outside(seg, where))

    for batch in reader.batches():
        # This loop runs once per segment unless it can help it: when the batch holds only
        # segments, a set's body up to its SE moves over as one slice (found with C-level
        # ``index``), and the per-segment branch below takes only envelope segments and
        # anything unusual. ``retry_at`` keeps a failed slice attempt from being repeated for
        # every segment (a body with an ST but no SE would otherwise cost quadratic time).
        try:
            ids: list[str] | None = list(map(_SEGMENT_ID, batch))
        except AttributeError:  # an Issue among the segments: item by item
            ids = None
        cur = st.set
        i, n, retry_at = 0, len(batch), 0
        while i < n:
            if ids is not None and cur is not None and i >= retry_at:
                try:
                    j = ids.index("SE", i)
                except ValueError:
                    j = n
                if _OPENERS.isdisjoint(ids[i:j]):
                    cur.segments.extend(batch[i : j + 1])  # type: ignore[arg-type]
                    if j == n:
                        break
                    se = batch[j]
                    assert isinstance(se, Segment)
                    _check_se(cur, se)
                    yield close_set(None, "")
                    cur, i = None, j + 1
                    continue
                retry_at = j + 1
            item = batch[i]
            i += 1
            if item.__class__ is not Segment:
                assert isinstance(item, Issue)
                target = (
                    st.set.issues
                    if st.set is not None
                    else st.group.issues
                    if st.group is not None
                    else st.summary.issues
                    if st.summary is not None
                    else st.orphans
                )
                target.append(item)
                continue
            seg = item
            assert isinstance(seg, Segment)
            sid = seg.id
            if cur is not None and sid not in _OPENERS:
                cur.segments.append(seg)
                if sid == "SE":
                    _check_se(cur, seg)
                    yield close_set(None, "")
                    cur = None
                continue
            yield from envelope_event(seg)
            cur = st.set
        # the interchange's extent so far: segment numbers count from its ISA
        summ = st.summary
        if summ is not None:
            for item in reversed(batch):
                if item.__class__ is Segment:
                    assert isinstance(item, Segment)
                    summ.segment_count, summ.end = item.number, item.end
                    break
    if st.set is not None:
        yield close_set(None, "the data ended")
    if st.group is not None:
        close_group(None, "the data ended")
    if st.summary is not None:
        yield close_interchange(None, "the data ended")
    if st.orphans:
        yield _orphan_summary(st.orphans)


def _orphan_summary(issues: list[Issue]) -> InterchangeSummary:
    """Issues outside any interchange travel in a summary with an empty header."""
    seps = Separators("*", "~", ">")
    hdr = InterchangeHeader("", "", "", "", "", "", "", "", "", "", seps, issues[0].offset)
    return InterchangeSummary(header=hdr, groups=[], issues=issues, closed=True)


def _outside(seg: Segment, where: str) -> Issue:
    return Issue(
        "error",
        "segment_outside_envelope",
        f"decode: segment {seg.id} at segment {seg.number} (byte {seg.offset}) is outside any "
        f"{where}",
        seg.offset,
        seg.number,
        seg.id,
    )


def _isa_header(seg: Segment, seps: Separators) -> InterchangeHeader:
    e = [v.strip() for v in seg.elements] + [""] * 16
    return InterchangeHeader(
        sender_qualifier=e[4],
        sender_id=e[5],
        receiver_qualifier=e[6],
        receiver_id=e[7],
        date=e[8],
        time=e[9],
        version=e[11],
        control_number=e[12],
        ack_requested=e[13],
        usage=e[14],
        separators=seps,
        offset=seg.offset,
    )


def _gs_header(seg: Segment) -> GroupHeader:
    return GroupHeader(
        functional_id=seg.get(1),
        sender_id=seg.get(2),
        receiver_id=seg.get(3),
        control_number=seg.get(6),
        version=seg.get(8),
        offset=seg.offset,
        segment_no=seg.number,
    )


def _check_se(cur: X12Set, se: Segment) -> None:
    count = len(cur.segments)
    if se.get(1) != str(count):
        cur.issues.append(
            _mismatch(
                se,
                "SE01",
                "number of included segments",
                expected=str(count),
                found=se.get(1),
                code="se01",
            )
        )
    if se.get(2) != cur.control_number:
        cur.issues.append(
            _mismatch(
                se,
                "SE02",
                "must equal ST02",
                expected=cur.control_number,
                found=se.get(2),
                code="se02",
            )
        )


def _check_ge(grp: GroupSummary, ge: Segment) -> None:
    grp.trailer_count = ge.get(1)
    if ge.get(1) != str(grp.set_count):
        grp.issues.append(
            _mismatch(
                ge,
                "GE01",
                "number of transaction sets",
                expected=str(grp.set_count),
                found=ge.get(1),
                code="ge01",
            )
        )
    if not _same_number(ge.get(2), grp.header.control_number):
        grp.issues.append(
            _mismatch(
                ge,
                "GE02",
                "must equal GS06",
                expected=grp.header.control_number,
                found=ge.get(2),
                code="ge02",
            )
        )


def _check_iea(summ: InterchangeSummary, iea: Segment) -> None:
    count = str(len(summ.groups))
    if iea.get(1) != count:
        summ.issues.append(
            _mismatch(
                iea,
                "IEA01",
                "number of functional groups",
                expected=count,
                found=iea.get(1),
                code="iea01",
            )
        )
    if iea.get(2) != summ.header.control_number and _same_number(
        iea.get(2), summ.header.control_number
    ):
        summ.issues.append(
            Issue(
                "warning",
                "iea02_format",
                f"decode: IEA02 {iea.get(2)!r} equals ISA13 {summ.header.control_number!r} "
                "only as a number (ISA13 is 9 digits, zero-padded)",
                iea.offset,
                iea.number,
                "IEA",
                element="IEA02",
                expected=summ.header.control_number,
                found=iea.get(2),
            )
        )
    elif not _same_number(iea.get(2), summ.header.control_number):
        summ.issues.append(
            _mismatch(
                iea,
                "IEA02",
                "must equal ISA13",
                expected=summ.header.control_number,
                found=iea.get(2),
                code="iea02",
            )
        )


def envelope_issues(summary: InterchangeSummary, group: GroupHeader | None) -> list[Issue]:
    """Errors of the interchange and of the set's group: what makes the whole envelope suspect."""
    out = [i for i in summary.issues if i.severity == "error"]
    for g in summary.groups:
        if group is not None and g.header.offset == group.offset:
            out.extend(i for i in g.issues if i.severity == "error")
    return out
