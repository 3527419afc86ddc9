"""Storage against SQLite and a real PostgreSQL: what is written is read back, concurrent writers lose nothing,
token ids are remembered until they expire, and the export command lists a date range as CSV or JSON."""
import csv
import io
import json
import logging
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Text, cast, event, insert, select
from storage_backends import database_url, postgres_url  # noqa: F401 (fixtures)

from cds_service import cli, storage as storage_module
from cds_service.storage import IssuedCard, Storage, StorageUnavailable, audit, feedback, issued_card, utcnow


def _feedback_row(card: str, comment: str | None = None) -> dict:
    return {"service_id": "imaging-auc-select", "card_uuid": card, "outcome": "overridden",
            "accepted_suggestions": [], "override_reason_system": "urn:x", "override_reason_code": "clinical-judgement",
            "user_comment": comment, "outcome_timestamp": datetime(2026, 11, 23, 15, 0), "issuer": None,
            "tenant": None}


def test_tables_are_created_once_and_reopening_keeps_data(database_url):
    first = Storage.open(database_url)
    first.record_hook([IssuedCard("card-1", "imaging-auc-select", "hi-1", "urn:uuid:c1", ("s-1", "s-2"))], [])
    again = Storage.open(database_url)  # a second worker starting: create_tables must not fail or wipe
    assert again.issued(["card-1", "card-x"]) == {"card-1": ("imaging-auc-select", {"s-1", "s-2"})}


def test_a_card_id_cannot_be_issued_twice(database_url):
    storage = Storage.open(database_url)
    card = IssuedCard("card-1", "imaging-auc-select", "hi-1", "urn:uuid:c1", ())
    storage.record_hook([card], [])
    with pytest.raises(StorageUnavailable):
        storage.record_hook([card], [])
    assert storage.issued(["card-1"])["card-1"][0] == "imaging-auc-select"


def test_concurrent_feedback_writers_lose_nothing(database_url):
    storage = Storage.open(database_url)
    errors = []

    def writer(n: int):
        try:
            for k in range(15):
                storage.add_feedback([_feedback_row(f"card-{n}", f"w{n}-{k}")])
        except Exception as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    comments = {r["user_comment"] for r in storage.export("feedback", datetime(2000, 1, 1), datetime(2100, 1, 1))}
    assert comments == {f"w{n}-{k}" for n in range(6) for k in range(15)}


def test_a_token_id_is_accepted_once_until_it_expires(database_url):
    storage = Storage.open(database_url)
    later = utcnow() + timedelta(minutes=5)
    assert storage.first_use_of_jti("https://ehr.example", "jti-1", later) is True
    assert storage.first_use_of_jti("https://ehr.example", "jti-1", later) is False
    assert storage.first_use_of_jti("https://other.example", "jti-1", later) is True  # ids are per issuer
    storage.first_use_of_jti("https://ehr.example", "jti-old", utcnow() - timedelta(seconds=1))
    assert storage.first_use_of_jti("https://ehr.example", "jti-old", later) is True  # expired entries are forgotten


def test_an_unreachable_database_is_reported_not_crashed(tmp_path):
    for url in ("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", f"sqlite:///{tmp_path}"):  # a directory
        with pytest.raises(StorageUnavailable):
            Storage(url).create_tables()


def _export(monkeypatch, capsys, database_url, *args) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli.main(["export", *args]) == 0
    return capsys.readouterr().out


def test_export_lists_a_date_range_as_csv_and_json(database_url, monkeypatch, capsys):
    storage = Storage.open(database_url)
    storage.add_feedback([_feedback_row("card-1", "today")])
    today = utcnow().date()
    rows = list(csv.DictReader(io.StringIO(_export(monkeypatch, capsys, database_url, "feedback", "--since",
                                                   today.isoformat(), "--until", today.isoformat()))))
    assert [(r["card_uuid"], r["user_comment"], r["outcome"]) for r in rows] == [("card-1", "today", "overridden")]
    assert json.loads(rows[0]["accepted_suggestions"]) == []
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert json.loads(_export(monkeypatch, capsys, database_url, "feedback", "--since", tomorrow,
                              "--format", "json")) == []
    yesterday = (today - timedelta(days=1)).isoformat()
    assert json.loads(_export(monkeypatch, capsys, database_url, "audit", "--until", yesterday,
                              "--format", "json")) == []


def test_export_rejects_a_bad_date(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["export", "audit", "--since", "last tuesday"])
    assert exc.value.code == 2
    assert "--since: not a date" in capsys.readouterr().err


@pytest.mark.parametrize("audit_sync", ["NORMAL", "FULL"])
def test_sqlite_fsyncs_feedback_always_and_the_audit_row_as_configured(tmp_path, audit_sync):
    storage = Storage(f"sqlite:///{tmp_path}/s.sqlite3", audit_sync)
    statements = []  # what the driver runs, seen by SQLite itself
    event.listen(storage.engine, "connect", lambda dbapi_conn, _: dbapi_conn.set_trace_callback(statements.append))
    storage.create_tables()
    statements.clear()
    storage.record_hook([IssuedCard("card-1", "imaging-auc-select", "hi-1", "urn:uuid:c1", ())], [])
    storage.add_feedback([_feedback_row("card-1")])
    assert [" ".join(s.split()[:3]) for s in statements] == [
        f"PRAGMA synchronous={audit_sync}", "BEGIN IMMEDIATE", "INSERT INTO issued_card", "COMMIT",
        "PRAGMA synchronous=FULL", "BEGIN IMMEDIATE", "INSERT INTO feedback", "COMMIT"]
    with storage.engine.connect() as conn:  # and it really is in force inside the transaction
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL (the default)


def _audit_row(hook_instance: str) -> dict:
    return {"consult_id": "urn:uuid:c1", "hook_instance": hook_instance, "service_id": "imaging-auc-select",
            "issuer": None, "tenant": "t-1", "order_reference": "ServiceRequest/sr-1", "order_system": None,
            "order_code": "72148", "procedure_id": None, "variants": [{"variant": "LBP-1", "status": "matched"}],
            "rating": "not-appropriate", "card_uuid": None, "suggestion_uuids": [],
            "fact_codes": [{"concept": "low-back-pain", "source": "condition", "code": "M54.50"}], "latency_ms": 0.8}


def _stored_text(conn, table) -> list[tuple]:
    """A table's rows as the database holds them (every column cast to text: no SQLAlchemy type processing)."""
    columns = [cast(c, Text) for c in table.columns if c is not table.autoincrement_column]
    return [tuple(r) for r in conn.execute(select(*columns).order_by(*table.primary_key.columns))]


def test_hook_records_and_feedback_are_stored_exactly_as_sqlalchemy_stores_them(database_url, monkeypatch):
    # the fast write path hands values to the driver itself; the same rows written through SQLAlchemy Core must
    # leave the same text in the database (JSON, datetimes, NULLs) and read back unchanged
    now = datetime(2026, 11, 23, 15, 0)  # whole seconds: the driver's own datetime format would differ
    monkeypatch.setattr(storage_module, "utcnow", lambda: now)
    storage = Storage.open(database_url)
    row, feedback_row = _audit_row("hi-1"), {**_feedback_row("card-1"), "accepted_suggestions": ["s-1"],
                                             "outcome_timestamp": datetime(2026, 11, 23, 15, 0, 1, 250)}
    storage.record_hook([IssuedCard("card-1", "imaging-auc-select", "hi-1", "urn:uuid:c1", ())], [row])
    storage.add_feedback([feedback_row])
    with storage.engine.begin() as conn:
        conn.execute(insert(issued_card), {"card_uuid": "card-2", "service_id": "imaging-auc-select",
                                           "hook_instance": "hi-1", "consult_id": "urn:uuid:c1", "issued_at": now})
        conn.execute(insert(audit), {"recorded_at": now, **row})
        conn.execute(insert(feedback), {"received_at": now, **feedback_row})
        fast_card, core_card = _stored_text(conn, issued_card)
        fast_audit, core_audit = _stored_text(conn, audit)
        fast_feedback, core_feedback = _stored_text(conn, feedback)
    assert fast_card[1:] == core_card[1:]  # all but the card uuid
    assert fast_audit == core_audit and fast_feedback == core_feedback
    for kind, expected in (("audit", {"recorded_at": now, **row}), ("feedback", {"received_at": now, **feedback_row})):
        exported = [{k: v for k, v in r.items() if k != "id"} for r in storage.export(kind, now, now + timedelta(1))]
        assert exported == [expected, expected]


def test_a_failed_hook_write_stores_nothing_and_logs_no_data(database_url, caplog):
    storage = Storage.open(database_url)
    broken = {**_audit_row("hook-instance-private-7"), "latency_ms": None}  # NOT NULL: fails after the card insert
    with pytest.raises(StorageUnavailable):
        storage.record_hook([IssuedCard("card-private-7", "imaging-auc-select", "hook-instance-private-7",
                                        "urn:uuid:c1", ("s-private-7",))], [broken])
    assert "database error:" in caplog.text
    assert "private-7" not in caplog.text  # PostgreSQL's own message quotes the failing row
    assert storage.issued(["card-private-7"]) == {}  # the card inserted before the failure was rolled back
    storage.record_hook([], [_audit_row("hi-2")])  # and the connection went back to the pool usable
    assert [r["hook_instance"] for r in storage.export("audit", datetime(2000, 1, 1), datetime(2100, 1, 1))] == ["hi-2"]
