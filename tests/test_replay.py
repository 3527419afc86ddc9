"""`imaging-cds replay` in-process: the fixture directory, outputs, the clock, hidden later data, bad input."""
from __future__ import annotations

import csv
import io
import json

import orjson
import pytest

from cds_service.replay.synthetic import SCENARIOS, patient_resources, write_export
from replay_support import FIXTURES, json_rows, replay

# the ACR Low Back Pain cells for the synthetic orders (MRI lumbar without contrast, X-ray for LBP-6)
EXPECTED = {"LBP-1": "not-appropriate", "LBP-1-later-malignancy": "not-appropriate", "LBP-2": "not-appropriate",
            "LBP-3": "appropriate", "LBP-4": "appropriate", "LBP-5": "appropriate", "LBP-6": "appropriate",
            "LBP-7": "appropriate"}


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    report = tmp_path_factory.mktemp("report") / "report.html"
    table = replay(str(FIXTURES), "--report", str(report))
    as_json = replay(str(FIXTURES), "--json")
    return table, json_rows(as_json), report


def test_fixture_directory_prints_the_table_and_exits_zero(fixture_run):
    table, rows, _ = fixture_run
    assert table.returncode == 0, table.stderr.decode()
    lines = table.stdout.decode().splitlines()
    assert lines[0].split() == ["ORDER", "PATIENT", "PROCEDURE", "VARIANT", "RATING", "CARD"]
    assert len(lines) == 1 + len(rows)
    assert any("lbp7-o1" in line and "LBP-7" in line and "appropriate" in line for line in lines)
    assert b"0 input problems" in table.stderr


def test_every_lbp_variant_is_hit_with_the_acr_rating(fixture_run):
    _, rows, _ = fixture_run
    synthetic = {r["patient"]: r for r in rows if r["patient"].startswith("lbp")}
    for n, scenario in enumerate(sorted(SCENARIOS)):
        row = synthetic[f"lbp{n}"]
        assert row["variants"] == [scenario.split("-later")[0]], scenario
        assert row["rating"] == EXPECTED[scenario], scenario
        assert bool(row["cards"]) == (EXPECTED[scenario] == "not-appropriate")


def test_clock_is_the_order_date_and_later_data_is_hidden(fixture_run):
    _, rows, _ = fixture_run
    synthetic = {r["patient"]: r for r in rows}
    # acute pain 10 days before a 2024-06-15 order: acute only if durations are computed as of the order date
    assert synthetic["lbp0"]["variants"] == ["LBP-1"]
    # a malignancy recorded 30 days after the order is not visible to it: LBP-1, not LBP-7, and warned on
    later = synthetic["lbp1"]
    assert later["variants"] == ["LBP-1"] and later["rating"] == "not-appropriate" and later["hidden"] == 1
    assert not any("malignan" in f.lower() for f in later["facts"])


def test_real_hl7_patients_are_replayed_with_their_own_record(fixture_run):
    _, rows, _ = fixture_run
    real = {r["order"].rsplit("-", 1)[-1]: r for r in rows if not r["patient"].startswith("lbp")}
    assert len(real) == 5
    # HL7 example f201: the malignancy (Condition f202) and fever are resolved, so acute LBP without red flags
    assert real["2f4d1d6a0001"]["patient"] == "f201" and real["2f4d1d6a0001"]["variants"] == ["LBP-1"]
    # IPS patient born 1956-09-30: 65 at a 2022 order (elderly, LBP-6) ...
    assert real["2f4d1d6a0003"]["variants"] == ["LBP-6"] and real["2f4d1d6a0003"]["rating"] == "appropriate"
    # ... while at a 2015 order every Condition (recorded 2016) is hidden and the duration is unknown
    assert set(real["2f4d1d6a0004"]["variants"]) == {"LBP-1 (possible)", "LBP-2 (possible)"}
    # the IPS document Bundle's urn:uuid patient is found from a plain 'Patient/<id>' reference
    assert real["2f4d1d6a0005"]["patient"] == "2b90dd2b-2dab-4c75-9bb9-a355e07401e8"


def test_report_counts_match_the_responses(fixture_run):
    _, rows, report = fixture_run
    html = report.read_text()
    warned = sum(r["rating"] == "not-appropriate" for r in rows)
    assert f"{warned} ({100 * warned / len(rows):.1f}%)" in html
    assert '<svg id="rating-chart"' in html
    assert html.count("<details>") == warned
    assert "src=" not in html and "<link" not in html and "<script" not in html  # self-contained


def test_json_lines_carry_the_whole_response(fixture_run):
    _, rows, _ = fixture_run
    warned = next(r for r in rows if r["rating"] == "not-appropriate")
    assert warned["response"]["cards"][0]["indicator"] == "warning"
    assert warned["response"]["systemActions"][0]["resource"]["status"] == "draft"


def test_csv_and_sign(tmp_path):
    proc = replay(str(FIXTURES / "synthetic"), "--csv", "--sign", "--progress")
    assert proc.returncode == 0, proc.stderr.decode()
    assert f"{len(SCENARIOS)}/{len(SCENARIOS)} orders".encode() in proc.stderr  # the progress bar finished
    rows = list(csv.DictReader(io.StringIO(proc.stdout.decode())))
    assert len(rows) == 2 * len(SCENARIOS)
    for order in {r["order"] for r in rows}:
        ratings = {r["service"]: r["rating"] for r in rows if r["order"] == order}
        assert set(ratings) == {"imaging-auc-select", "imaging-auc-sign"}
        assert ratings["imaging-auc-select"] == ratings["imaging-auc-sign"]


def test_standard_input_takes_a_bundle_or_ndjson(tmp_path):
    resources = patient_resources("stdin1", "LBP-4", __import__("datetime").date(2024, 2, 1))
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}
    rows = json_rows(replay("-", "--json", stdin=orjson.dumps(bundle)))
    assert [(r["patient"], r["variants"], r["rating"]) for r in rows] == [("stdin1", ["LBP-4"], "appropriate")]
    ndjson = b"\n".join(orjson.dumps(r) for r in resources) + b"\n"
    rows = json_rows(replay("-", "--json", stdin=ndjson))
    assert [(r["patient"], r["variants"]) for r in rows] == [("stdin1", ["LBP-4"])]


def test_workers_give_the_same_rows(tmp_path):
    write_export(tmp_path / "export", 40)
    one = json_rows(replay(str(tmp_path / "export"), "--json"))
    two = json_rows(replay(str(tmp_path / "export"), "--json", "-j", "2"))
    strip = lambda rows: [(r["order"], r["variants"], r["rating"], r["cards"]) for r in rows]  # noqa: E731
    assert len(one) == 40 and strip(one) == strip(two)


def test_bad_export_finishes_reports_every_problem_and_exits_non_zero(tmp_path):
    export = tmp_path / "export"
    write_export(export, 8)
    with open(export / "Condition.ndjson", "ab") as f:
        f.write(b'{"resourceType": "Condition", "id": "broken", "subject": {"reference": "Pat\n')
        f.write(orjson.dumps({"resourceType": "Condition", "id": "bad-status", "clinicalStatus": "active",
                              "subject": {"reference": "Patient/syn0000002"}}) + b"\n")
    (export / "Foo.ndjson").write_bytes(b'{"resourceType": "Foo", "id": "f1"}\n')
    orphan = patient_resources("nobody", "LBP-1", __import__("datetime").date(2024, 3, 1))[-1]
    with open(export / "ServiceRequest.ndjson", "ab") as f:
        f.write(orjson.dumps(orphan) + b"\n")
    lines = {name: len((export / name).read_bytes().splitlines()) for name in ("Condition.ndjson",
                                                                               "ServiceRequest.ndjson")}
    proc = replay(str(export), "--json")
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert f"Condition.ndjson:{lines['Condition.ndjson'] - 1}: not valid JSON" in err
    assert "Foo.ndjson:1: unknown resource type 'Foo'" in err
    assert f"ServiceRequest.ndjson:{lines['ServiceRequest.ndjson']}: ServiceRequest for an unknown patient" in err
    assert f"Condition.ndjson:{lines['Condition.ndjson']}: invalid Condition, skipped: clinicalStatus" in err
    rows = json_rows(proc)
    assert len(rows) == 8 and all(r["rating"] in EXPECTED.values() for r in rows)  # the run went on
    assert "4 input problems" in err


def test_missing_input_and_bad_jobs_are_reported():
    proc = replay("/nonexistent/export")
    assert proc.returncode == 1 and b"/nonexistent/export: no such file or directory" in proc.stderr
    proc = replay(str(FIXTURES), "-j", "0")
    assert proc.returncode == 2 and b"-j must be at least 1" in proc.stderr
