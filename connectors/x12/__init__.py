"""X12 EDI: a tolerant streaming reader, envelope checks and document trees per set.

Public surface::

    decode(raw) -> list[X12Set]            # one per ST..SE, envelope errors attached
    read_sets(bytes_or_file) -> iterator   # streaming: X12Set ..., InterchangeSummary
    Reader(bytes_or_file)                  # segments and issues, nothing else
    DuplicateDetector(store, window)       # same sender/receiver + ISA13 within a window
    split_sets(raw) -> list[SetMessage]    # acceptance: one journal message per set or TA1
    decode_set(raw, keys) -> Decoded       # the decode stage for one such message
    build_ack(raw, ...) -> Acknowledgement # 997/999 per group, TA1 per bad interchange
    STRUCTURES, ELEMENT_COUNTS             # loops per set, elements per segment (mappings check)
    encode_interchange(sets, ...) -> bytes # tree -> X12 (encode.py): envelope, counts, checks
"""

from connectors.x12._codes import PRODUCT_ID_QUALIFIER, CodeList, element_codes, qualifier_list
from connectors.x12._decode import analyse_set, as_decoded, decode, decode_with_summaries
from connectors.x12._duplicates import (
    DuplicateDetector,
    InterchangeStore,
    MemoryInterchangeStore,
    interchange_key,
)
from connectors.x12._elements import ELEMENT_COUNTS
from connectors.x12._envelope import read_sets
from connectors.x12._messages import (
    DOCUMENT_TYPES,
    TA1_SET_ID,
    SetMessage,
    decode_set,
    document_type,
    split_sets,
)
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
from connectors.x12._sets import HIERARCHICAL, STRUCTURES
from connectors.x12._tree import build_tree
from connectors.x12.encode import EncodeError, Envelope, encode_interchange, encode_set

__all__ = [
    "DOCUMENT_TYPES",
    "ELEMENT_COUNTS",
    "HIERARCHICAL",
    "PRODUCT_ID_QUALIFIER",
    "STRUCTURES",
    "TA1_SET_ID",
    "CodeList",
    "DuplicateDetector",
    "EncodeError",
    "Envelope",
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
    "SetMessage",
    "X12Set",
    "analyse_set",
    "as_decoded",
    "build_tree",
    "decode",
    "decode_set",
    "decode_with_summaries",
    "document_type",
    "element_codes",
    "encode_interchange",
    "encode_set",
    "interchange_key",
    "qualifier_list",
    "read_sets",
    "split_sets",
    "split_value",
]
