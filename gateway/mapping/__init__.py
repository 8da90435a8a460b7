"""Declarative mappings: YAML files turn a decoded document tree into a canonical document.

Integrators onboard a partner by writing files, not Python. A mapping file reads like an
implementation guide: target fields on the left, JMESPath expressions on the right. Each file is
compiled once (expressions parsed, function names, argument counts and table names checked) and
then applied to many documents; nothing is ever ``eval``-ed.

Which file maps a message: the channel's explicit ``mapping:`` if it names one, else
``mappings/<partner>/<document_type>.yaml`` when it exists (:func:`selected_name`,
:meth:`MappingRegistry.select`), else none and the document must already be canonical.

File format (``mappings/<partner>/<doctype>.yaml``)::

    source: json                  # json | x12 | soap: the decoder feeding this mapping
    target: v1/order              # contract version / document type it produces
    set: "943"                    # source: x12 only, optional: the set it reads, when the
                                  # target's type belongs to another set (943 -> shipment)
    extends: ../_base/order.yaml  # optional base mapping; this file overrides or adds fields
    examples:                     # cases `crossdock mappings test` and pytest run (not inherited)
      - input: examples/order-1.json             # relative to this file (.edi/.x12: X12)
        expected: examples/order-1.expected.json # the canonical JSON it must map to
        name: one-line-order                     # optional; default: the input's file name
        received_at: "2026-11-20T09:00:00Z"      # optional: what received_at() answers
    codelists:                    # name -> YAML code list, path relative to this file
      uom: ../_codelists/uom.yaml
    crosswalks:                   # name -> CSV with header from,to, relative to this file
      sku: crosswalks/sku.csv
    fields:
      po_number: {value: "order.number", required: true}
      order_date: "iso_date(order.created_at)"
      currency: "order.currency || 'USD'"
      ship_to:                    # a plain nested mapping is a nested object
        name: "order.shipping.name"
      lines:
        each: "order.items"       # one output item per input item; `@` is the item
        fields:
          line_number: "pos()"    # 1-based; idx() is 0-based; root()/parent() reach outside
          item: {sku: "lookup('sku', sku, sku)"}
          quantity:
            value: "dec(qty)"     # `uom` beside it makes this an object with a `value` field
            uom: "code('uom', unit, 'EA')"
      notes: {when: "order.note != null", value: "[order.note]"}
      parties:                    # a YAML list is a fixed list of items
        - {role: {const: buyer}, name: "order.customer.name"}

Field shapes:

- ``"expr"``: a JMESPath expression evaluated against the current value (the document, or the
  ``each`` item). Strings in expressions take single quotes: ``'USD'``; a double-quoted
  ``"DP"`` is a *field name*. A constant is ``{const: ...}`` (any YAML value) or ``"'text'"``.
- a mapping of target names: a nested object.
- a list: a fixed list of items, each of any shape.
- a *directive*, a mapping whose keys are all among ``value``, ``const``, ``fields``, ``each``,
  ``when``, ``required``, ``default``: exactly one of ``value``/``const``/``fields`` (or ``each``
  with ``fields`` or ``value`` per item), plus ``when: "expr"`` (the field is absent unless it is
  truthy), ``required: true`` (absent is a ``map_required_missing`` error) and, with ``value``,
  ``default:`` (a constant used when the expression yields null). A mapping with any other key,
  or whose ``value`` is itself a mapping, is a nested object; to nest an object whose only key is
  ``value``, write ``{fields: {value: ...}}``.

Absent is the rule for optional data: a field whose result is null is left out, and so are
empty objects and lists, so optional contract fields stay absent. ``extends`` merges key by key:
nested plain objects merge, every other shape (expression, directive, list) replaces the base's,
and ``field: ~`` removes a base field. ``source``/``target`` and tables are inherited too.

Functions (JMESPath's built-ins plus ours, see :data:`FUNCTIONS`): ``dec``, ``dadd``, ``dsub``,
``dmul``, ``ddiv``, ``dround``, ``dsum``, ``implied_dec`` (decimals as strings, ROUND_HALF_EVEN,
34 digits), ``x12date``, ``x12time``, ``x12datetime``, ``iso_date``, ``iso_datetime``, ``upper``,
``lower``, ``trim``, ``concat``, ``concat_ws``, ``compact``, ``substr(s, start, length?)``
(0-based; negative start counts from the end), ``left(s, n)``, ``right(s, n)`` (integer arguments
are literals: ``substr(x, `2`)``), ``sscc`` (SSCC-18 from an X12 ``MAN*GM``, the AI ``00``
dropped; not an SSCC: null), ``qual``/``quals`` (pick segments by qualifier:
``qual(REF, 'REF01', 'DP').REF02``), ``idpair`` (X12 qualifier/id element pairs:
``idpair(PO1, 'PO106', 'VN')``), ``lookup(crosswalk, key, default?)``,
``code(codelist, key, default?)``, ``idx()``, ``pos()``, ``root()``, ``parent()``,
``received_at()`` (when the gateway received the message, ISO 8601 in UTC, for documents that
carry no date of their own: ``iso_date(received_at())``; a dry run maps as if received now, an
example case at its ``received_at:``, and without one it is null).

Tooling: :func:`lint_file`/:func:`lint_dir` (``crossdock mappings check``: compile errors, target
fields not in the contract, X12 paths the transaction set's structure cannot have, JSON paths
no example has), :func:`run_examples`
(``crossdock mappings test``) and :func:`dry_run` (``crossdock map`` and
``POST /v1/mappings/dry-run``).

Errors: :class:`MappingFileError` at compile time (file, line, expression, what is wrong);
``connectors.errors.MapError`` from ``apply`` (a :class:`DocumentMapError`: code
``map_expression_failed`` or ``map_required_missing``, ``path`` like ``lines[3].quantity.value``,
``file``, ``line``, ``expression``, and ``found``, a truncated copy of the value found; the
message says all of it).
"""

from gateway.mapping._dry_run import NO_MAPPING, DryRun, DryRunError, dry_run
from gateway.mapping._errors import DocumentMapError, MappingFileError
from gateway.mapping._examples import CaseResult, canonical_json, read_sample, run_examples
from gateway.mapping._functions import SPECS as FUNCTIONS
from gateway.mapping._functions import FunctionSpec
from gateway.mapping._lint import Finding, lint_dir, lint_file
from gateway.mapping._mapping import Example, Mapping, load_mapping
from gateway.mapping._registry import MappingRegistry, mapping_files, selected_name
from gateway.mapping._reverse import canonical_input, map_to_tree, target_set, wire_tree

__all__ = [
    "FUNCTIONS",
    "NO_MAPPING",
    "CaseResult",
    "DocumentMapError",
    "DryRun",
    "DryRunError",
    "Example",
    "Finding",
    "FunctionSpec",
    "Mapping",
    "MappingFileError",
    "MappingRegistry",
    "canonical_input",
    "canonical_json",
    "dry_run",
    "lint_dir",
    "lint_file",
    "load_mapping",
    "map_to_tree",
    "mapping_files",
    "read_sample",
    "run_examples",
    "selected_name",
    "target_set",
    "wire_tree",
]
