"""A tolerant, streaming X12 tokeniser: bytes in, segments and issues out, memory bounded.

Why our own and not pyx12's: partners send unpadded ISAs, byte-order marks, newline or
multi-byte terminators, doubled terminators and files mixing interchanges with different
separators; pyx12 rejects or silently truncates several of those (see STACK-NOTES). Here every
oddity is tolerated *and reported* as an :class:`Issue` with its byte offset.

Separators are detected per interchange from the ISA by counting element separators (not by
fixed offsets), so an unpadded ISA reads like a padded one. The input is consumed in chunks;
only the current partial segment is kept between chunks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from itertools import accumulate, repeat
from operator import add, delitem, itemgetter
from typing import BinaryIO

from connectors.x12._model import Issue, Segment, Separators

_BOM = b"\xef\xbb\xbf"
_WS = b" \t\r\n\x00"
_ISA_LEN = 106  # "ISA" + 16 padded elements + ISA16 + terminator
_ISA_MAX = 1024  # an ISA longer than this is not an ISA
_MAX_SEGMENT = 1 << 20  # a streamed segment longer than this means a wrong terminator
_JUNK_BATCH = 4096  # data outside interchanges is reported in batches of about this size
# Basic character set punctuation: data may contain these, so ISA11 using one is not taken as
# a repetition separator (a 00406 sender putting "-" in ISA11 would split every ZIP+4).
_BASIC_PUNCT = "!\"&'()+,-./:;?= "


def _utf8_len(lead: int) -> int:
    if lead >= 0xF0:
        return 4
    if lead >= 0xE0:
        return 3
    return 2 if lead >= 0xC0 else 1


_VALID_IDS: set[str] = set()


def _valid_id(sid: str) -> bool:
    """2-3 upper-case ASCII letters/digits starting with a letter; remembered once seen."""
    ok = 2 <= len(sid) <= 3 and sid.isascii() and sid.isalnum() and sid[0].isalpha()
    ok = ok and sid == sid.upper()
    if ok and len(_VALID_IDS) < 4096:
        _VALID_IDS.add(sid)
    return ok


_WS_STR = _WS.decode()


def _empty(term: bytes, off: int, number: int) -> Issue:
    return Issue(
        "warning",
        "empty_segment",
        f"decode: empty segment (two segment terminators {term!r} in a row); skipped",
        off,
        number,
        "",
    )


#: What may sit between a terminator and the next segment unremarked: one line break.
_LAYOUT = frozenset({"", "\n", "\r\n", "\r"})
_PADDING_NAMES = (("\n", "line break"), ("\r", "carriage return"), (" ", "space"),
                  ("\t", "tab"), ("\x00", "NUL"))  # fmt: skip


def _padding_words(padding: str) -> str:
    counts = [(padding.count(ch), name) for ch, name in _PADDING_NAMES]
    return ", ".join(f"{n} {name}{'s' if n > 1 else ''}" for n, name in counts if n)


def _padding(padding: str, off: int, number: int) -> Issue:
    """Whitespace beyond one line break before a segment: skipped, and said where."""
    return Issue(
        "warning",
        "padding_before_segment",
        f"decode: {_padding_words(padding)} before segment {number}, where at most one line "
        "break is layout; skipped",
        off,
        number,
        "",
        found=repr(padding[:20]),
    )


def _bad_id(sid: str, text: str, off: int, number: int) -> Issue:
    return Issue(
        "error",
        "bad_segment_id",
        f"decode: expected a segment id (2-3 upper-case letters/digits), found {sid[:20]!r}; "
        "segment skipped",
        off,
        number,
        sid[:20],
        found=text[:40],
    )


def _line_break(sid: str, term: bytes, off: int, number: int) -> Issue:
    return Issue(
        "warning",
        "line_break_in_segment",
        f"decode: segment {sid} contains a line break before its terminator {term!r}; a "
        "different terminator may have been used inside it",
        off,
        number,
        sid,
    )


def _breaks_inside(region: str, term: str) -> bool:
    """True unless every CR/LF in ``region`` is layout: right after a terminator (or a CR that is).

    Counting substrings is far cheaper than testing each segment, and it is exact in the common
    case (a line break or CRLF after every terminator); anything else (a blank line, a space before
    the break) answers True, and the caller checks segment by segment.
    """
    breaks = region.count("\n") + region.count("\r")
    if not breaks:
        return False
    layout = region.count(term + "\n") + region.count(term + "\r") + region.count("\r\n")
    return breaks != layout + region.startswith(("\n", "\r"))


def _uniform(  # noqa: PLR0911 - each None is a layout the caller must take instead
    text: str, term: str, *, tlen: int, esep: str, start: int, number: int
) -> list[Segment | Issue] | None:
    """Split a region laid out the usual way in C-level passes, or None to go segment by segment.

    Why: a Python loop over every segment costs more than the splitting itself. When the region
    (ASCII text between two terminators, ``start`` its stream offset) has one layout after every
    terminator (nothing, LF or CRLF), every segment id is valid and no ISA starts inside it, the
    segments are built with ``map`` and ``accumulate`` and no per-segment bytecode runs. Anything
    else (a blank line, a stray break, a bad id, a second ISA) answers None and the caller's loop,
    which reports each anomaly, takes the region. An IEA ends the list (the caller re-seeks).
    """
    lead = len(text) - len(text.lstrip(_WS_STR))
    if lead:
        if text[:lead] not in _LAYOUT:
            return None  # the caller's loop reports the padding
        text = text[lead:]
    # the layout is uniform when splitting on it finds every terminator and every break
    terms = text.count(term)
    if "\r" in text:
        layout = term + "\r\n"
        if not text.count("\r") == text.count("\n") == terms:
            return None
    elif "\n" in text:
        layout = term + "\n"
        if text.count("\n") != terms:
            return None
    else:
        layout = term
    parts = text.split(layout)
    if len(parts) != terms + 1:
        return None
    rows = list(map(str.split, parts, repeat(esep)))
    sids = list(map(itemgetter(0), rows))
    if not _VALID_IDS.issuperset(sids) and not all(map(_valid_id, set(sids) - _VALID_IDS)):
        return None
    if "ISA" in sids and (number or sids[0] != "ISA" or sids.count("ISA") > 1):
        return None
    if "IEA" in sids:
        cut = sids.index("IEA") + 1
        del parts[cut:], rows[cut:], sids[cut:]
    deque(map(delitem, rows, repeat(0)), maxlen=0)  # drop each id from its elements
    lens = list(map(len, parts))
    step = tlen + len(layout) - len(term)  # bytes from one segment's start to the next's
    offs = list(accumulate(map(add, lens, repeat(step)), initial=start + lead))
    ends = map(add, offs, map(add, lens, repeat(tlen)))
    numbers = range(number + 1, number + 1 + len(sids))
    segments: list[Segment | Issue] = list(map(Segment, sids, rows, offs, ends, numbers))
    return segments


class Reader:
    """Iterate segments (:class:`Segment`) and anomalies (:class:`Issue`) of an X12 stream.

    ``separators`` holds the current interchange's delimiters while its segments are yielded.
    """

    def __init__(self, source: bytes | BinaryIO, chunk_size: int = 1 << 16) -> None:
        self._source = source
        self._chunk_size = chunk_size
        self.separators: Separators | None = None

    def __iter__(self) -> Iterator[Segment | Issue]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[Segment | Issue]]:  # noqa: PLR0912, PLR0915 - hot loop, one frame
        """The same items as iterating, in lists: a whole chunk's segments at a time.

        Why: a generator resumed once per segment costs as much as tokenising it. The envelope
        reader walks each list in a plain loop. ``separators`` is that of the items in the list
        just yielded (it changes only between lists).
        """
        src = self._source
        if isinstance(src, bytes | bytearray | memoryview):
            buf, eof = bytes(src), True
        else:
            buf, eof = b"", False
        base = 0  # stream offset of buf[0]
        pos = 0
        term = b""
        nl_term = False
        esep = ""
        number = 0
        while True:
            if not term:
                # -- seeking the next ISA --------------------------------------------------
                found = buf.find(b"ISA", pos)
                header_end = -1
                if found >= 0:
                    header_end = self._isa_end(buf, found)
                if found < 0 or (header_end == -1 and not eof):
                    if found < 0 and eof:
                        yield list(self._junk(buf[pos:], base + pos, trailing=True))
                        return
                    if found >= 0:
                        keep = found
                    elif len(buf) - pos < _JUNK_BATCH:
                        keep = pos  # little junk so far: keep it, report it whole later
                    else:
                        keep = len(buf) - 2  # "IS" may continue in the next chunk
                    yield list(self._junk(buf[pos:keep], base + pos, False))
                    chunk = src.read(self._chunk_size)  # type: ignore[union-attr]
                    base += keep
                    buf, pos = buf[keep:] + chunk, 0
                    eof = not chunk
                    continue
                yield list(self._junk(buf[pos:found], base + pos, False))
                if header_end < 0:  # eof inside a truncated ISA
                    yield [
                        Issue(
                            "error",
                            "isa_truncated",
                            "decode: the ISA segment is incomplete; expected 16 elements and a "
                            "segment terminator",
                            base + found,
                            1,
                            "ISA",
                        )
                    ]
                    pos = found + 3
                    continue
                seps, issues = self._separators(buf[found:header_end], base + found)
                if issues:
                    yield list(issues)
                if seps is None:
                    pos = found + 3
                    continue
                self.separators = seps
                term = seps.segment.encode()
                nl_term = term in (b"\n", b"\r")
                esep = seps.element
                number = 0
                pos = found
                continue
            # -- inside an interchange: the fast path splits a whole chunk of ASCII text --------
            last = buf.rfind(term, pos, pos + self._chunk_size)
            if last > pos:
                region = buf[pos:last]
                plain = region.isascii() if term.isascii() else region.replace(term, b"").isascii()
                if plain:
                    out: list[Segment | Issue] = []
                    add = out.append
                    tlen = len(term)
                    cur = base + pos
                    resume = last + tlen
                    text_region = region.decode()
                    if not nl_term:
                        segs = _uniform(
                            text_region,
                            term.decode(),
                            tlen=tlen,
                            esep=esep,
                            start=cur,
                            number=number,
                        )
                        if segs is not None:
                            yield segs
                            final = segs[-1]
                            assert isinstance(final, Segment)
                            number = final.number
                            if final.id == "IEA":
                                term = b""
                                self.separators = None
                                pos = final.end - base
                            else:
                                pos = resume
                            continue
                    # a line break only right after a terminator is layout, not data: when
                    # every break in the region is one of those, no segment needs the check
                    check_breaks = not nl_term and _breaks_inside(text_region, term.decode())
                    ended = False
                    for part in text_region.split(term.decode()):
                        plen = len(part)
                        text = part.lstrip(_WS_STR)
                        off = cur + plen - len(text)
                        if nl_term:
                            text = text.rstrip("\r")
                        if not text:
                            cur += plen + tlen
                            add(_empty(term, off, number + 1))
                            continue
                        if plen != len(text) and part[: off - cur] not in _LAYOUT:
                            add(_padding(part[: off - cur], cur, number + 1))
                        cur += plen + tlen
                        els = text.split(esep)
                        sid = els[0]
                        if (sid not in _VALID_IDS and not _valid_id(sid)) or (
                            sid == "ISA" and number
                        ):
                            if number and text.startswith("ISA") and not text[3:4].isalnum():
                                # a new interchange before this one's IEA: re-detect separators
                                ended = True
                                resume = off - base
                                break
                            add(_bad_id(sid, text, off, number + 1))
                            continue
                        number += 1
                        del els[0]
                        if check_breaks and ("\n" in text or "\r" in text):
                            add(_line_break(sid, term, off, number))
                        add(Segment(sid, els, off, cur, number))
                        if sid == "IEA":
                            ended = True
                            resume = cur - base
                            break
                    if out:
                        yield out
                    if ended:
                        term = b""
                        self.separators = None
                    pos = resume
                    continue
            # -- the general path: one segment per terminator, any bytes ----------------------
            j = buf.find(term, pos)
            if j < 0:
                if not eof and len(buf) - pos > _MAX_SEGMENT:
                    # no terminator for a megabyte: give up on this interchange, find the next
                    yield [
                        Issue(
                            "error",
                            "segment_too_long",
                            f"decode: no segment terminator {term!r} within {_MAX_SEGMENT} bytes; "
                            "looking for the next ISA",
                            base + pos,
                            number + 1,
                            buf[pos : pos + 3].decode("latin-1"),
                        )
                    ]
                    term = b""
                    self.separators = None
                    pos += 1
                    continue
                if not eof:
                    chunk = src.read(self._chunk_size)  # type: ignore[union-attr]
                    base += pos
                    buf, pos = buf[pos:] + chunk, 0
                    eof = not chunk
                    continue
                raw = buf[pos:]
                if not raw.strip(_WS):
                    return
                j = len(buf)
                number += 1
                s = raw.strip(_WS)
                off = base + pos + len(raw) - len(raw.lstrip(_WS))
                seg = self._segment(s, off, base + j, number, esep)
                sid = seg.id if isinstance(seg, Segment) else seg.segment_id
                yield [
                    Issue(
                        "warning",
                        "missing_terminator",
                        f"decode: the last segment ({sid}) has no segment terminator {term!r}; "
                        "read to the end of the data",
                        off,
                        number,
                        sid,
                    )
                ]
                yield [seg]
                return
            raw = buf[pos:j]
            start = pos
            pos = j + len(term)
            s = raw.lstrip(_WS)
            off = base + start + len(raw) - len(s)
            if term == b"\n":
                s = s.rstrip(b"\r")
            if not s:
                yield [_empty(term, off, number + 1)]
                continue
            if len(s) != len(raw):
                padding = raw[: off - base - start].decode("latin-1")
                if padding not in _LAYOUT:
                    yield [_padding(padding, base + start, number + 1)]
            number += 1
            if s.startswith(b"ISA") and number > 1 and len(s) > 3 and not s[3:4].isalnum():
                # a new interchange before this one's IEA: re-detect its separators
                term = b""
                self.separators = None
                pos = off - base
                continue
            seg = self._segment(s, off, base + pos, number, esep)
            if isinstance(seg, Issue):
                number -= 1  # not counted, as on the fast path
                yield [seg]
                continue
            if not nl_term and (b"\n" in s or b"\r" in s):
                yield [_line_break(seg.id, term, off, number)]
            yield [seg]
            if seg.id == "IEA":
                term = b""
                self.separators = None

    @staticmethod
    def _segment(s: bytes, off: int, end: int, number: int, esep: str) -> Segment | Issue:
        try:
            text = s.decode()
        except UnicodeDecodeError:
            text = s.decode("latin-1")
        parts = text.split(esep)
        sid = parts[0]
        if sid not in _VALID_IDS and not _valid_id(sid):
            return _bad_id(sid, text, off, number)
        del parts[0]
        return Segment(sid, parts, off, end, number)

    @staticmethod
    def _isa_end(buf: bytes, i: int) -> int:
        """Index just past the ISA terminator, -1 if not all in ``buf``, -2 if not an ISA."""
        if len(buf) < i + 4:
            return -1
        esep = buf[i + 3]
        k = i + 3
        for _ in range(15):
            k = buf.find(esep, k + 1, i + _ISA_MAX)
            if k < 0:
                return -1 if len(buf) - i < _ISA_MAX else -2
        # after the 16th separator: ISA16 (one byte) then the terminator
        if len(buf) < k + 3:
            return -1
        lead = buf[k + 2]
        n = _utf8_len(lead)
        if lead in b"\r\n":
            n = 2 if buf[k + 2 : k + 4] == b"\r\n" else 1
        if len(buf) < k + 2 + n:
            return -1
        return k + 2 + n

    @staticmethod
    def _separators(isa: bytes, offset: int) -> tuple[Separators | None, list[Issue]]:
        issues: list[Issue] = []
        if isa.endswith(b"\r\n"):
            term_b, body = b"\n", isa[:-2]
        else:
            # walk back to the lead byte of a multi-byte terminator
            n = 1
            while n < 4 and 0x80 <= isa[-n] < 0xC0:
                n += 1
            term_b, body = isa[-n:], isa[:-n]
        esep_b = body[3:4]
        if esep_b.isalnum() or esep_b in (b" ", b"\r", b"\n"):
            issues.append(
                Issue(
                    "error",
                    "isa_bad_separator",
                    f"decode: the byte after 'ISA' ({esep_b!r}) cannot be an element separator; "
                    "expected punctuation such as '*'",
                    offset,
                    1,
                    "ISA",
                )
            )
            return None, issues
        fields = body.decode("latin-1").split(esep_b.decode("latin-1"))
        if len(fields) < 17:
            issues.append(
                Issue(
                    "error",
                    "isa_too_short",
                    f"decode: the ISA has {len(fields) - 1} elements before its terminator; "
                    "expected 16",
                    offset,
                    1,
                    "ISA",
                )
            )
            return None, issues
        comp = fields[16]
        if len(body) != _ISA_LEN - 1:
            issues.append(
                Issue(
                    "warning",
                    "isa_not_fixed_width",
                    f"decode: the ISA is {len(body)} bytes up to its terminator, expected "
                    f"{_ISA_LEN - 1} (padded fixed width); separators found by counting elements",
                    offset,
                    1,
                    "ISA",
                    expected=str(_ISA_LEN - 1),
                    found=str(len(body)),
                )
            )
        version, isa11 = fields[12], fields[11]
        rep: str | None = None
        if version >= "00402" and len(isa11) == 1 and not isa11.isalnum():
            if isa11 in _BASIC_PUNCT:
                issues.append(
                    Issue(
                        "warning",
                        "isa11_basic_character",
                        f"decode: ISA11 {isa11!r} is a basic-character-set character that data "
                        f"may contain; not used as the repetition separator (version {version})",
                        offset,
                        1,
                        "ISA",
                        element="ISA11",
                        found=isa11,
                    )
                )
            else:
                rep = isa11
        try:
            term = term_b.decode()
        except UnicodeDecodeError:
            term = term_b.decode("latin-1")
        seps = Separators(esep_b.decode("latin-1"), term, comp, rep)
        if len({seps.element, seps.segment, seps.component, rep or seps.element}) < 3:
            issues.append(
                Issue(
                    "error",
                    "isa_separators_clash",
                    f"decode: separators are not distinct (element {seps.element!r}, "
                    f"component {comp!r}, terminator {term!r})",
                    offset,
                    1,
                    "ISA",
                )
            )
            return None, issues
        return seps, issues

    @staticmethod
    def _junk(data: bytes, offset: int, trailing: bool) -> Iterator[Issue]:
        if data.startswith(_BOM):
            yield Issue(
                "warning",
                "byte_order_mark",
                "decode: a UTF-8 byte-order mark precedes the data; ignored",
                offset,
            )
            data, offset = data[3:], offset + 3
        stripped = data.lstrip(_WS)
        if not stripped:  # whitespace only: line breaks are layout, anything else is said
            padding = data.decode("latin-1")
            if padding.strip("\r\n"):
                where = "after the last IEA" if trailing else "before an ISA"
                yield Issue(
                    "warning",
                    "padding_outside_interchange",
                    f"decode: {_padding_words(padding)} {where}; skipped",
                    offset,
                    found=repr(padding[:20]),
                )
            return
        if stripped.rstrip(_WS):
            yield Issue(
                "error",
                "data_outside_interchange",
                f"decode: {len(stripped.rstrip(_WS))} bytes of data outside any interchange "
                f"({'after the last IEA' if trailing else 'before an ISA'}): "
                f"{stripped[:30]!r}",
                offset + len(data) - len(stripped),
            )
