"""Storage against SQLite and a real PostgreSQL: what is written is read back, concurrent writers lose nothing,
token ids are remembered until they expire, and the export command lists a date range as CSV or JSON."""
import csv
import io
import json
import threading
from datetime import datetime, timedelta

import pytest
from storage_backends import database_url, postgres_url  # noqa: F401 (fixtures)

from cds_service import cli
from cds_service.storage import IssuedCard, Storage, StorageUnavailable, utcnow


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
    from sqlalchemy import event

    storage = Storage.open(f"sqlite:///{tmp_path}/s.sqlite3", audit_sync)
    pragmas = []
    event.listen(storage.engine, "before_cursor_execute",
                 lambda conn, cur, stmt, *a: pragmas.append(stmt) if stmt.startswith("PRAGMA synchronous") else None)
    storage.record_hook([IssuedCard("card-1", "imaging-auc-select", "hi-1", "urn:uuid:c1", ())], [])
    storage.add_feedback([_feedback_row("card-1")])
    assert pragmas == [f"PRAGMA synchronous={audit_sync}", "PRAGMA synchronous=FULL"]
    with storage.engine.connect() as conn:  # and it really is in force inside the transaction
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL (the default)
