"""Property tests: encode -> decode round trips with random separators; fuzzed samples."""

from __future__ import annotations

import io
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
from _x12_build import interchange, sample_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import DecodeError
from connectors.x12 import Reader, Segment, decode, decode_with_summaries
from connectors.x12.ack import build_acks, sequence

# (element, component, terminator): distinct, the terminator possibly multi-byte or a newline
ELEMENT = st.sampled_from(list("*|+^"))
COMPONENT = st.sampled_from(list(":>{\\"))
TERMINATOR = st.sampled_from(["~", "\n", "\r\n", "$", "!", "'", "\u2026", "\u00a7"])
AFTER = st.sampled_from(["", "\n", "\r\n"])
TEXT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-/", max_size=12)
SEGMENT = st.tuples(
    st.sampled_from(["REF", "DTM", "N9", "MSG", "ZZ1"]), st.lists(TEXT, min_size=1, max_size=6)
).map(lambda t: [t[0], *t[1]])
SETS = st.lists(st.lists(SEGMENT, min_size=0, max_size=8), min_size=1, max_size=4)


@given(SETS, ELEMENT, COMPONENT, TERMINATOR, AFTER, st.booleans(), st.integers(1, 999999999))
@settings(max_examples=150, deadline=None)
def test_round_trip(
    sets: list[list[list[str]]],
    e: str,
    c: str,
    t: str,
    after: str,
    padded: bool,
    control: int,
) -> None:
    if t in ("\n", "\r\n"):
        after = ""  # a newline terminator followed by another newline is an empty segment
    ctl = f"{control:09d}"
    raw = interchange(sets, e=e, c=c, t=t, after=after, padded=padded, control=ctl).encode()
    out, summaries = decode_with_summaries(raw)
    assert len(out) == len(sets)
    for xset, body in zip(out, sets, strict=True):
        got = [[s.id, *s.elements] for s in xset.segments[1:-1]]
        assert got == [[s[0], *s[1:]] for s in body]
        # the bodies are random segments, not an 850's structure: only the tokens must survive
        structure = ("unexpected_segment", "syntax_note", "mandatory_segment_missing")
        assert not [i for i in xset.issues if i.code not in (*structure, "segment_out_of_order")]
    (summary,) = summaries
    assert summary.header.control_number == ctl
    assert summary.closed
    codes = {i.code for i in summary.issues}
    assert codes <= {"isa_not_fixed_width"}
    assert ("isa_not_fixed_width" in codes) == (not padded and len(raw) > 0)


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def _alarm(signum: int, frame: object) -> None:
        raise TimeoutError(f"decode took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


SAMPLES = [p.read_bytes() for p in sample_files()] or [interchange([[["REF", "A", "B"]]]).encode()]
MUTATION = st.tuples(st.integers(0, 10_000), st.integers(0, 8), st.binary(max_size=8))


@given(st.sampled_from(SAMPLES), st.lists(MUTATION, min_size=1, max_size=6))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzzed_samples_never_crash_or_hang(
    raw: bytes, mutations: list[tuple[int, int, bytes]]
) -> None:
    data = bytearray(raw)
    for where, drop, insert in mutations:
        at = where % (len(data) + 1)
        data[at : at + drop] = insert
    started = time.perf_counter()
    with _time_limit(2.0), suppress(DecodeError):
        decode(bytes(data))
    assert time.perf_counter() - started < 2.0


@given(
    st.sampled_from(SAMPLES),
    st.lists(MUTATION, min_size=1, max_size=6),
    st.sampled_from(["997", "999"]),
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzzed_samples_always_get_an_acknowledgement_we_can_read_back(
    raw: bytes, mutations: list[tuple[int, int, bytes]], kind: str
) -> None:
    """Whatever a partner sends, the 997/999/TA1 is written (never an EncodeError) and is sound.

    Sound: our own reader finds no error in it, and it says as many sets as the input had. The
    errors allowed are an unknown code or a short value in the elements that echo the partner's
    own GS01, ST01, ST02 and broken segment id (AK101, AK201, AK202, AK301/IK301): it must
    name what it answers as that was sent.
    """
    data = bytearray(raw)
    for where, drop, insert in mutations:
        at = where % (len(data) + 1)
        data[at : at + drop] = insert
    try:
        acks = build_acks(bytes(data), kind=kind, ta1="always", counter=sequence())  # type: ignore[arg-type]
    except DecodeError:
        return
    for ack in acks:
        sets, summaries = decode_with_summaries(ack.text.encode())
        problems = [i for s in sets for i in s.issues if i.severity == "error"]
        problems += [i for summary in summaries for i in summary.issues if i.severity == "error"]
        problems += [i for summary in summaries for g in summary.groups for i in g.issues]
        problems = [p for p in problems if p.severity == "error"]
        echoed = {"AK101", "AK201", "AK202", "AK301", "IK301"}
        problems = [
            p
            for p in problems
            if not (p.code in ("bad_code", "bad_length") and p.element in echoed)
        ]
        assert not problems, (ack.text, problems)
        assert len(sets) == len(ack.groups)


@pytest.mark.parametrize("junk", [b"", b"ISA", b"ISA*", b"ISA*" * 40, b"\xef\xbb\xbf", b"~~~"])
def test_degenerate_inputs_raise_only_decode_error(junk: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(junk)


@given(
    st.sampled_from(SAMPLES),
    st.lists(MUTATION, min_size=0, max_size=4),
    st.integers(min_value=1, max_value=200),
)
@settings(max_examples=200, deadline=None)
def test_chunked_reading_matches_whole_reading(
    raw: bytes, mutations: list[tuple[int, int, bytes]], chunk_size: int
) -> None:
    data = bytearray(raw)
    for where, drop, insert in mutations:
        at = where % (len(data) + 1)
        data[at : at + drop] = insert
    whole = list(Reader(bytes(data)))
    with _time_limit(2.0):
        chunked = list(Reader(io.BytesIO(bytes(data)), chunk_size=chunk_size))
    assert chunked == whole


_ISA = (
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401"
    "*000000001*0*T*>"
)


@given(
    st.lists(SEGMENT, min_size=1, max_size=40),
    st.lists(AFTER, min_size=1, max_size=8),
    ELEMENT,
    st.sampled_from(["~", "$", "'", "\u2026"]),
    st.integers(min_value=8, max_value=400),
)
@settings(max_examples=200, deadline=None)
def test_every_segment_keeps_its_elements_and_byte_range_whatever_the_layout(
    body: list[list[str]], afters: list[str], element: str, terminator: str, chunk_size: int
) -> None:
    # layouts mixed segment by segment (the whole-region fast path must notice and step aside)
    segments = [_ISA.split("*"), ["GS", "PO", "S", "R"], *body, ["IEA", "1", "000000001"]]
    parts: list[bytes] = []
    expected = []
    at = 0
    for n, seg in enumerate(segments):
        text = element.join(seg).encode()
        tail = terminator.encode()
        expected.append((seg[0], seg[1:], at, at + len(text) + len(tail), n + 1))
        gap = afters[n % len(afters)].encode()
        parts += [text, tail, gap]
        at += len(text) + len(tail) + len(gap)
    raw = b"".join(parts)
    for reader in (Reader(raw), Reader(io.BytesIO(raw), chunk_size=chunk_size)):
        items = list(reader)
        assert [i for i in items if not isinstance(i, Segment)] == []
        got = [(s.id, s.elements, s.offset, s.end, s.number) for s in items]
        assert got == expected
