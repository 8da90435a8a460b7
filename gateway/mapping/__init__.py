"""Declarative mappings: YAML files turn a decoded document tree into a canonical document.

Integrators onboard a partner by writing files, not Python. A mapping file reads like an
implementation guide: target fields on the left, JMESPath expressions on the right. Each file is
compiled once (expressions parsed, function names, argument counts and table names checked) and
then applied to many documents; nothing is ever ``eval``-ed.

File format (``mappings/<partner>/<doctype>.yaml``)::

    source: json                  # json | x12 | soap: the decoder feeding this mapping
    target: v1/order              # contract version / document type it produces
    extends: ../_base/order.yaml  # optional base mapping; this file overrides or adds fields
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
``lower``, ``trim``, ``concat``, ``concat_ws``, ``compact``, ``qual``/``quals`` (pick segments by
qualifier: ``qual(REF, 'REF01', 'DP').REF02``), ``lookup(crosswalk, key, default?)``,
``code(codelist, key, default?)``, ``idx()``, ``pos()``, ``root()``, ``parent()``.

Errors: :class:`MappingFileError` at compile time (file, line, expression, what is wrong);
``connectors.errors.MapError`` from ``apply`` (code ``map_expression_failed`` or
``map_required_missing``, ``path`` like ``lines[3].quantity.value``, message with the file, line,
expression and a truncated copy of the value found).
"""

from gateway.mapping._errors import MappingFileError
from gateway.mapping._functions import SPECS as FUNCTIONS
from gateway.mapping._functions import FunctionSpec
from gateway.mapping._mapping import Mapping, load_mapping
from gateway.mapping._registry import MappingRegistry

__all__ = [
    "FUNCTIONS",
    "FunctionSpec",
    "Mapping",
    "MappingFileError",
    "MappingRegistry",
    "load_mapping",
]
