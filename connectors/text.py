"""Character tests shared by the parsers, where ``str`` methods accept more than a standard does.

``'²'.isdigit()`` and ``'٣'.isdigit()`` are true, so a value that passes ``isdigit()`` can still
make ``int()`` raise (superscripts) or parse digits X12 and HTTP do not allow (other scripts).
Control numbers, counts, numeric elements and ``Retry-After`` seconds are ASCII digits only.
"""

from __future__ import annotations


def is_digits(text: str) -> bool:
    """True when ``text`` is one or more ASCII digits ``0``-``9`` and nothing else."""
    return text.isascii() and text.isdigit()
