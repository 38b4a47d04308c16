"""Batch issues (批量问题): what complaints have in common, as keys.

A batch issue is at least `batch_min_cases` complaints sharing a key within `batch_window_hours`
(config): the same product reference, the same order batch (read from the order reference by
`order_batch_pattern`), or the same category and keyword (the category's triage keywords found
in the complaint). Keys are plain strings so that one index counts any of them; they carry
their kind so a product called "漏水" never meets the keyword.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from deskapp.domain import Category

PRODUCT = "product"
ORDER_BATCH = "order"
TOPIC = "topic"
#: The longest key stored (store.models.BatchKey.key).
MAX_KEY = 120


def keys(
    *,
    product_ref: str,
    order_ref: str,
    category: Category,
    words: Iterable[str],
    order_batch_pattern: str = "",
) -> list[str]:
    """The keys of one complaint, without repeats, in a stable order."""
    found: list[str] = []
    product = " ".join(product_ref.split()).upper()
    if product:
        found.append(f"{PRODUCT}:{product}")
    order = order_ref.strip().upper()
    if order and order_batch_pattern:
        match = re.match(order_batch_pattern, order)
        if match and match.groups() and match.group(1):
            found.append(f"{ORDER_BATCH}:{match.group(1)}")
    if category is not Category.OTHER:
        found += [f"{TOPIC}:{category.value}:{w}" for w in sorted(set(words)) if w]
    return [k[:MAX_KEY] for k in dict.fromkeys(found)]


def describe(key: str) -> tuple[str, str]:
    """(kind, what) of a key: ("product", "WM-200"), ("topic", "quality:漏水")."""
    kind, _, what = key.partition(":")
    return kind, what
