"""Caps on what one hook call may carry (configurable in config.Settings), answered with 413 naming the part."""
from __future__ import annotations

from cds_service.config import Settings
from cds_service.errors import ApiError


def _resources(value: object) -> int:
    """Resources in one prefetch value: a Bundle's entries, 1 for a single resource, 0 for null."""
    if not isinstance(value, dict):
        return 0
    entries = value.get("entry")
    return len(entries) if isinstance(entries, list) else 1


def check(body: dict, settings: Settings) -> None:
    """body has passed the request schema (context.draftOrders is an object, prefetch an object or null)."""
    entries = body["context"]["draftOrders"].get("entry")
    orders = len(entries) if isinstance(entries, list) else 0
    if orders > settings.max_draft_orders:
        raise ApiError(413, f"context.draftOrders has {orders} entries; at most {settings.max_draft_orders} "
                            "are accepted in one call", "context.draftOrders.entry")
    prefetch = body.get("prefetch") or {}
    sizes = {key: _resources(value) for key, value in prefetch.items()}
    if sum(sizes.values()) > settings.max_prefetch_entries:
        biggest = max(sizes, key=sizes.get)
        raise ApiError(413, f"prefetch holds {sum(sizes.values())} resources ({sizes[biggest]} in '{biggest}'); "
                            f"at most {settings.max_prefetch_entries} are accepted in one call", f"prefetch.{biggest}")
