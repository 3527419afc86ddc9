"""Caps on a hook call: body size, draft orders and prefetched resources get a 413 naming what is too big."""
from __future__ import annotations

import orjson
import pytest

from bench.workload import LBP, bundle, condition, hook_request, prefetch, service_request
from cds_service.config import ConfigError, Settings


def _post(client, service_id, body):
    return client.post(f"/cds-services/{service_id}", data=orjson.dumps(body), content_type="application/json")


def test_too_many_draft_orders_is_413_naming_the_field(make_client):
    client = make_client(max_draft_orders=3)
    orders = [service_request(f"sr{i}") for i in range(4)]
    r = _post(client, "imaging-auc-sign", hook_request("order-sign", orders, prefetch(5, 1)))
    assert r.status_code == 413
    assert r.get_json()["field"] == "context.draftOrders.entry" and "at most 3" in r.get_json()["message"]
    assert _post(client, "imaging-auc-sign", hook_request("order-sign", orders[:3], prefetch(5, 1))).status_code == 200


def test_too_many_prefetched_resources_is_413_naming_the_biggest_key(make_client):
    client = make_client(max_prefetch_entries=30)
    body = hook_request("order-select", [service_request("sr1")], prefetch(28, 2))
    r = _post(client, "imaging-auc-select", body)
    assert r.status_code == 413
    assert r.get_json()["field"] == "prefetch.conditions" and "at most 30" in r.get_json()["message"]
    body["prefetch"]["conditions"] = bundle([condition("c1", LBP, 10)])
    assert _post(client, "imaging-auc-select", body).status_code == 200


def test_body_over_the_byte_limit_is_413_json(make_client):
    client = make_client(max_body_bytes=2048)
    r = _post(client, "imaging-auc-select", hook_request("order-select", [service_request("sr1")], prefetch(20, 5)))
    assert r.status_code == 413 and r.get_json()["error"] == "payload-too-large"


def test_limits_come_from_the_environment():
    s = Settings.from_env({"MAX_DRAFT_ORDERS": "7", "MAX_PREFETCH_ENTRIES": "100"})
    assert (s.max_draft_orders, s.max_prefetch_entries) == (7, 100)
    with pytest.raises(ConfigError):
        Settings.from_env({"MAX_DRAFT_ORDERS": "0"})
