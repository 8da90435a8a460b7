"""Document trees for mappings: segments keyed by reference designators, loops as lists.

``BEG*00*SA*PO1**20240101`` becomes ``{"BEG": {"BEG01": "00", "BEG02": "SA", "BEG03": "PO1",
"BEG05": "20240101"}}`` (empty elements are left out, so a missing value reads as null in a
mapping); a composite is a list of components. Loops are lists under ``<TRIGGER>_loop``. 856 HL
loops are nested by parent id (HL02) under ``HL_loop``, whatever the level order (S/O/P/I or
S/O/I/P). Sets without a definition get a flat tree where every segment is a list.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from connectors.x12._model import Issue, Separators, X12Set
from connectors.x12._sets import HIERARCHICAL, REQUIRED, STRUCTURES, Node, Required

_SINGLE = 1
_MULTI = 2


class _Level:
    """One compiled level: what each segment id does here (single, repeated, starts a loop).

    The level's own trigger is left out, so a second N1 inside an N1 loop closes the loop and
    starts the next one a level up.
    """

    __slots__ = ("actions", "key", "order", "required", "trigger")

    def __init__(self, trigger: str, nodes: list[Node], required: Required) -> None:
        self.trigger = trigger
        self.key = f"{trigger}_loop"
        self.actions: dict[str, int | _Level] = {}
        # segment id -> (first, last) place it is listed at here; a segment listed twice (an
        # NTE in the 940 header and after G62) is in order anywhere between
        self.order: dict[str, tuple[int, int]] = {}
        # (place, key) of each segment id (``X_loop`` for a loop) this level must hold
        self.required: list[tuple[int, str]] = []
        for place, node in enumerate(nodes):
            sid = node[0] if isinstance(node, tuple) else node.removesuffix("+")
            if isinstance(node, tuple):
                self.actions[sid] = _Level(sid, node[1], required)
            elif node.endswith("+"):
                self.actions[sid] = _MULTI
            elif node != trigger:
                self.actions[sid] = _SINGLE
            self.order[sid] = (self.order.get(sid, (place, place))[0], place)
        for key in required.get(trigger, ()):
            sid = key.removesuffix("_loop")
            self.required.append((self.order[sid][0], key))


@cache
def _compiled(set_id: str) -> _Level | None:
    nodes = STRUCTURES.get(set_id)
    return None if nodes is None else _Level("", ["ST", *nodes], REQUIRED.get(set_id, {}))


_NAMES: dict[str, list[str]] = {}


def _names(sid: str, n: int) -> list[str]:
    names = _NAMES.get(sid)
    if names is None or len(names) < n:
        names = [f"{sid}{i:02d}" for i in range(1, max(n, 32) + 1)]
        if len(_NAMES) < 4096:
            _NAMES[sid] = names
    return names


def element_dict(sid: str, elements: list[str], seps: Separators) -> dict[str, Any]:
    """``{"BEG01": "00", ...}``; empty elements omitted, composites split into components."""
    comp = seps.component
    names = _names(sid, len(elements))
    out: dict[str, Any] = {k: v for k, v in zip(names, elements, strict=False) if v}
    if comp in "".join(elements):
        for k, v in out.items():
            if comp in v:
                out[k] = v.split(comp)
    return out


def build_tree(xset: X12Set) -> None:  # noqa: PLR0912, PLR0915 - hot loop, one frame
    """Fill ``xset.tree`` (and append structure warnings to ``xset.issues``)."""
    seps = xset.interchange.separators
    root_level = _compiled(xset.set_id)
    root: dict[str, Any] = {}
    if root_level is None:
        for seg in xset.segments:
            root.setdefault(seg.id, []).append(element_dict(seg.id, seg.elements, seps))
        xset.tree = root
        return
    stack: list[tuple[_Level, dict[str, Any]]] = [(root_level, root)]
    last = [0]  # per stack entry: the furthest place (``_Level.order``) reached there
    hl_flat: list[dict[str, Any]] = []
    hierarchical = xset.set_id in HIERARCHICAL
    comp = seps.component
    for position, seg in enumerate(xset.segments, 1):
        sid = seg.id
        els = seg.elements
        names = _NAMES.get(sid)
        if names is None or len(names) < len(els):
            names = _names(sid, len(els))
        values: dict[str, Any] = {k: v for k, v in zip(names, els, strict=False) if v}
        if comp in "".join(els):
            for k, v in values.items():
                if comp in v:
                    values[k] = v.split(comp)
        depth = len(stack) - 1
        while depth >= 0:
            level, node = stack[depth]
            act = level.actions.get(sid)
            if act is None:
                depth -= 1
                continue
            if depth + 1 < len(stack):
                for closed, (closed_level, closed_node) in enumerate(stack[depth + 1 :]):
                    since = last[depth + 1 + closed]
                    _check_required(closed_level, closed_node, since, xset, seg, position)
                del stack[depth + 1 :]
                del last[depth + 1 :]
            first, latest = level.order[sid]
            if latest < last[depth]:
                xset.issues.append(_out_of_order(level, sid, last[depth], xset, seg, position))
            elif first > last[depth]:
                if level.required:  # a required segment between the two places was skipped
                    _check_required(level, node, last[depth], xset, seg, position, first)
                last[depth] = first
            if act is _MULTI:
                same = node.get(sid)
                if same is None:
                    node[sid] = [values]
                else:
                    same.append(values)
            elif act is _SINGLE:
                _put(node, sid, values, xset=xset, seg=seg, position=position)
            else:
                assert isinstance(act, _Level)
                instance: dict[str, Any] = {sid: values}
                loops = node.get(act.key)
                if loops is None:
                    node[act.key] = [instance]
                else:
                    loops.append(instance)
                stack.append((act, instance))
                last.append(0)
                if hierarchical and sid == "HL":
                    hl_flat.append(instance)
            break
        else:
            root.setdefault("_other", []).append({sid: values})
            xset.issues.append(
                Issue(
                    "warning",
                    "unexpected_segment",
                    f"decode: segment {sid} is not in the {xset.set_id} structure; kept under "
                    "_other",
                    seg.offset,
                    seg.number,
                    sid,
                    set_position=position,
                )
            )
    if xset.segments:
        end = xset.segments[-1]
        for (open_level, open_node), since in zip(stack, last, strict=True):
            _check_required(open_level, open_node, since, xset, end, len(xset.segments))
    if hl_flat:
        _nest_hl(root, hl_flat, xset)
    xset.tree = root


def _out_of_order(  # noqa: PLR0917 - the hot loop's one exit for this error
    level: _Level, sid: str, place: int, xset: X12Set, seg: Any, position: int
) -> Issue:
    after = next(k for k, v in level.order.items() if v[0] == place)
    if isinstance(level.actions.get(after), _Level):
        after = f"the {after} loop"
    where = f"the {level.trigger} loop" if level.trigger else f"the {xset.set_id} set"
    return Issue(
        "warning",
        "segment_out_of_order",
        f"decode: {sid} comes after {after} in {where}; the {xset.set_id} structure puts it "
        "before (kept where it was)",
        seg.offset,
        seg.number,
        sid,
        set_position=position,
    )


def _check_required(  # noqa: PLR0917 - called from the hot loop
    level: _Level,
    node: dict[str, Any],
    since: int,
    xset: X12Set,
    seg: Any,
    position: int,
    before: int = 1 << 30,
) -> None:
    """Add a ``mandatory_segment_missing`` error per required key ``node`` lacks in a range.

    The range is the places after ``since`` and before ``before``.

    Checked when the level moves past the missing segment's place (or closes), so the position
    is that of the segment where it should have come: the first one after its place.
    """
    for place, key in level.required:
        if since < place < before and key not in node:
            sid = key.removesuffix("_loop")
            where = f"the {level.trigger} loop" if level.trigger else f"the {xset.set_id} set"
            xset.issues.append(
                Issue(
                    "error",
                    "mandatory_segment_missing",
                    f"decode: {where} has no {sid}; the {xset.set_id} structure requires one "
                    f"before {seg.id}",
                    seg.offset,
                    seg.number,
                    sid,
                    set_position=position,
                )
            )


def _put(
    node: dict[str, Any],
    sid: str,
    values: dict[str, Any],
    *,
    xset: X12Set,
    seg: Any,
    position: int,
) -> None:
    if sid not in node:
        node[sid] = values
        return
    # a single segment seen twice: keep both (as a list) and say so
    prev = node[sid]
    node[sid] = [*prev, values] if isinstance(prev, list) else [prev, values]
    xset.issues.append(
        Issue(
            "warning",
            "segment_repeated",
            f"decode: {sid} occurs more than once where the {xset.set_id} structure allows "
            "one; kept as a list",
            seg.offset,
            seg.number,
            sid,
            set_position=position,
        )
    )


def _nest_hl(root: dict[str, Any], flat: list[dict[str, Any]], xset: X12Set) -> None:
    """Re-hang HL loops under their parent (HL02) in HL01 order; orphans stay at the top."""
    by_id: dict[str, dict[str, Any]] = {}
    top: list[dict[str, Any]] = []
    hl_segments = [s for s in xset.segments if s.id == "HL"]
    for instance, seg in zip(flat, hl_segments, strict=False):
        hl = instance["HL"]
        own, parent = hl.get("HL01", ""), hl.get("HL02", "")
        if not isinstance(own, str) or not isinstance(parent, str):
            # a component separator inside an id: no parent link can be trusted
            what = "HL01 and HL02 must be simple ids, found a composite (component separator)"
            xset.issues.append(_hl_issue(seg, "hl_composite_id", what))
            top.append(instance)
            continue
        if own in by_id:
            xset.issues.append(_hl_issue(seg, "hl_duplicate_id", f"HL01 {own!r} is used twice"))
        by_id[own] = instance
        if not parent:
            top.append(instance)
        elif parent in by_id:
            by_id[parent].setdefault("HL_loop", []).append(instance)
        else:
            top.append(instance)
            xset.issues.append(
                Issue(
                    "error",
                    "hl_parent_missing",
                    f"decode: HL {own!r} names parent {parent!r} (HL02), which no earlier HL "
                    "has as HL01",
                    seg.offset,
                    seg.number,
                    "HL",
                    element="HL02",
                    expected="an earlier HL01",
                    found=parent,
                )
            )
    root["HL_loop"] = top


def _hl_issue(seg: Any, code: str, what: str) -> Issue:
    return Issue("error", code, f"decode: {what}", seg.offset, seg.number, "HL", element="HL01")


__all__ = ["build_tree", "element_dict"]
