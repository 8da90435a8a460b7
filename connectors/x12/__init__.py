"""X12 EDI: a tolerant streaming reader, envelope checks and document trees per set.

Public surface::

    decode(raw) -> list[X12Set]            # one per ST..SE, envelope errors attached
    read_sets(bytes_or_file) -> iterator   # streaming: X12Set ..., InterchangeSummary
    Reader(bytes_or_file)                  # segments and issues, nothing else
    DuplicateDetector(store, window)       # same sender/receiver + ISA13 within a window
"""

from connectors.x12._decode import analyse_set, as_decoded, decode, decode_with_summaries
from connectors.x12._duplicates import (
    DuplicateDetector,
    InterchangeStore,
    MemoryInterchangeStore,
    interchange_key,
)
from connectors.x12._envelope import read_sets
from connectors.x12._model import (
    GroupHeader,
    GroupSummary,
    InterchangeHeader,
    InterchangeSummary,
    Issue,
    Segment,
    Separators,
    X12Set,
    split_value,
)
from connectors.x12._reader import Reader
from connectors.x12._tree import build_tree

__all__ = [
    "DuplicateDetector",
    "GroupHeader",
    "GroupSummary",
    "InterchangeHeader",
    "InterchangeStore",
    "InterchangeSummary",
    "Issue",
    "MemoryInterchangeStore",
    "Reader",
    "Segment",
    "Separators",
    "X12Set",
    "analyse_set",
    "as_decoded",
    "build_tree",
    "decode",
    "decode_with_summaries",
    "interchange_key",
    "read_sets",
    "split_value",
]
