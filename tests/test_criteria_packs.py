"""Criteria packs loaded from configuration: overriding one cell, adding codes, refusing malformed packs,
the CSV importer and the `imaging-cds criteria` / `docs` commands."""
import json

import pytest

from builders import condition, pama_rating, service_request as order
from cds_service import cli
from cds_service.app import create_app, engine_options
from cds_service.config import Settings
from cds_service.docs import generate
from criteria import CriteriaError
from criteria.importer import import_csv
from criteria.loader import BUNDLED_PACK
from hooks.engine import Engine
from vcf_records import post

LBP_2 = dict(age=50, conditions=[condition("M54.50", onset_days=120)])
SITE_SOURCE = {"SITE-2026": {"citation": "Local spine committee, 2026", "url": None}}


def write_pack(root, name="site", **files):
    """A pack directory: manifest fields and extra files given as {relative path: JSON data}."""
    root.mkdir(parents=True, exist_ok=True)
    manifest = {"name": name, "version": "1", "title": "Site pack", "licence": "Local", "sources": SITE_SOURCE,
                "topics": []}
    for rel, data in files.items():
        if rel == "manifest":
            manifest.update(data)
        else:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(json.dumps(data))
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def client_with(*packs):
    settings = Settings(criteria_packs=tuple(str(p) for p in packs))
    return create_app(settings, engine=Engine.create(engine_options(settings))).test_client()


OVERRIDE = {"overrides": [{"topic": "low-back-pain", "variant": "LBP-2", "procedure": "xr-lumbar",
                           "cell": {"category": "may-be-appropriate", "confidence": "confirmed",
                                    "sources": ["SITE-2026"]}}]}


def test_a_pack_overriding_one_cell_changes_that_cell_only(tmp_path, client):
    pack = write_pack(tmp_path / "site", manifest={"overrides": "overrides.json"}, **{"overrides.json": OVERRIDE})
    site = client_with(pack)
    xr, mri = order("72100"), order("72148")
    assert pama_rating(post(client, [xr], **LBP_2)[0]) == "not-appropriate"
    assert pama_rating(post(site, [xr], **LBP_2)[0]) == "appropriate"
    # the neighbouring cells of the same variant, and the same study in another variant, are unchanged
    assert pama_rating(post(site, [mri], **LBP_2)[0]) == "not-appropriate"
    acute = dict(age=50, conditions=[condition("M54.50", onset_days=5)])
    assert pama_rating(post(site, [xr], **acute)[0]) == "not-appropriate"


def test_a_pack_can_add_a_site_code_for_a_treatment(tmp_path):
    """The bundled data has no code for a radiation oncology consultation; a site pack adds its own, and the
    painful pathologic fracture variant (VCF-H) then rates it."""
    pack = write_pack(tmp_path / "site", manifest={"codes": {"systems": "codes/systems.json",
                                                             "procedure_codes": "codes/procedures.json"}},
                      **{"codes/systems.json": {"systems": {"urn:example:orderables": "site"}},
                         "codes/procedures.json": {"procedures": {"radiation-oncology-consultation": [
                             {"system": "site", "code": "RADONC", "display": "Radiation oncology consult"}]}}})
    out, _ = post(client_with(pack), [order("RADONC", "urn:example:orderables")],
                  conditions=[condition("M54.50", onset_days=5), condition("M84.58XA", onset_days=5),
                              condition("Z85.3", onset_days=400)])
    assert pama_rating(out) == "appropriate"


@pytest.mark.parametrize("files,expected", [
    ({"manifest": {"topics": [7]}}, "manifest.json: $.topics[0]: 7 is not of type 'string'"),
    ({"manifest": {"overrides": "o.json"},
      "o.json": {"overrides": [{**OVERRIDE["overrides"][0], "cell": {"category": "good", "confidence": "confirmed",
                                                                      "sources": ["SITE-2026"]}}]}},
     "o.json: $.overrides[0].cell.category: 'good' is not one of"),
    ({"manifest": {"overrides": "o.json"},
      "o.json": {"overrides": [{**OVERRIDE["overrides"][0], "variant": "LBP-9"}]}},
     "o.json: $.overrides[0].variant: topic low-back-pain has no variant 'LBP-9'"),
    ({"manifest": {"codes": {"findings": "f.json"}}, "f.json": {"concepts": {"osteoporosis": {"codes": [{}]}}}},
     "f.json: $.concepts.osteoporosis.codes[0]"),
])
def test_a_malformed_pack_stops_the_service_naming_file_and_json_path(tmp_path, monkeypatch, capsys, files,
                                                                       expected):
    pack = write_pack(tmp_path / "bad", **files)
    monkeypatch.setenv("CRITERIA_PACKS", str(pack))
    started = []
    monkeypatch.setattr("gunicorn.app.base.BaseApplication.run", lambda self: started.append(self))
    assert cli.main(["serve", "--port", "1"]) == 2  # refused before any server starts
    assert not started
    err = capsys.readouterr().err
    assert "criteria pack error" in err and expected in err and str(pack) in err


def test_csv_import_builds_a_pack_that_overrides_the_rows_given(tmp_path, client):
    csv = tmp_path / "ratings.csv"
    csv.write_text("Topic,Variant,Procedure,Category,Rating,Adult RRL,Pediatric RRL\n"
                   "Low Back Pain,Variant 2,Radiography lumbar spine,May be appropriate,5,☢☢☢ 1-10 mSv,"
                   "☢☢ 0.03-0.3 mSv [ped]\n", encoding="utf-8")
    result = import_csv(csv, tmp_path / "pack", name="licensed")
    assert result.overrides == 1
    cell = Engine.create(engine_options(Settings(criteria_packs=(str(result.pack_dir),)))).criteria \
        .topics["low-back-pain"].variants[1].cells["xr-lumbar"]
    assert (cell.category.value, cell.rating, cell.rrl_adult, cell.rrl_pediatric, cell.pack) == \
        ("may-be-appropriate", 5, 3, 2, "licensed")
    assert pama_rating(post(client_with(result.pack_dir), [order("72100")], **LBP_2)[0]) == "appropriate"


def test_csv_import_refuses_rows_it_cannot_place_and_writes_nothing(tmp_path):
    csv = tmp_path / "ratings.csv"
    csv.write_text("topic,variant,procedure,category,rating,adult rrl,pediatric rrl\n"
                   "Low Back Pain,Variant 2,Radiography lumbar spine,Usually appropriate,,,\n"
                   "Low Back Pain,Variant 12,Radiography lumbar spine,Usually appropriate,,,\n"
                   "Low Back Pain,Variant 1,Radiography lumbar spine,Rather good,,,\n")
    with pytest.raises(CriteriaError) as exc:
        import_csv(csv, tmp_path / "pack")
    assert "row 3: topic low-back-pain has no variant 'Variant 12'" in str(exc.value)
    assert "row 4: category 'Rather good'" in str(exc.value)
    assert not (tmp_path / "pack").exists()


def test_criteria_commands(tmp_path, capsys):
    pack = write_pack(tmp_path / "site", manifest={"overrides": "overrides.json"}, **{"overrides.json": OVERRIDE})
    assert cli.main(["criteria", "lint", str(pack)]) == 0
    assert "pack site 1 is valid" in capsys.readouterr().out
    assert cli.main(["criteria", "show", "thoracic-back-pain", "TBP-2"]) == 0
    out = capsys.readouterr().out
    assert "May be appropriate (disagreement)" in out and "TBP-1" not in out
    assert cli.main(["criteria", "show", "thoracic-back-pain", "TBP-9"]) == 1
    assert "no variant 'TBP-9'" in capsys.readouterr().err
    csv = tmp_path / "r.csv"
    csv.write_text("topic,variant,procedure,category\nthoracic-back-pain,TBP-3,ct-thoracic-wo,Usually appropriate\n")
    assert cli.main(["criteria", "import", str(csv), str(tmp_path / "imported")]) == 0
    assert cli.main(["criteria", "lint", str(tmp_path / "imported")]) == 0


def test_generated_docs_are_up_to_date(engine):
    """docs/criteria.md and docs/mapping.md are generated from the data: run `make docs` after changing it."""
    from pathlib import Path
    docs = Path(__file__).resolve().parent.parent / "docs"
    for name, text in generate(engine).items():
        assert (docs / name).read_text(encoding="utf-8") == text, f"docs/{name} is stale: run `make docs`"


def test_a_pack_topic_file_replaces_a_variant_by_id_and_adds_new_ones(tmp_path, client):
    """A licensed complete table for thoracic variant 3: the unknown MRI-with-contrast row becomes usually not
    appropriate, so that order now warns; an added variant is listed alongside the bundled ones."""
    bundled = json.loads((BUNDLED_PACK / "topics" / "thoracic-back-pain.json").read_text(encoding="utf-8"))
    tbp3 = next(v for v in bundled["variants"] if v["id"] == "TBP-3")
    tbp3["cells"] = {**tbp3["cells"], "mri-thoracic-w": {"category": "usually-not-appropriate", "rating": 2,
                                                         "confidence": "confirmed", "sources": ["SITE-2026"]}}
    extra = {**tbp3, "id": "SITE-1", "number": 99, "short": "site variant", "displaces": []}
    topic = {**bundled, "variants": [tbp3, extra]}
    pack = write_pack(tmp_path / "site", manifest={"topics": ["topics/tbp.json"]}, **{"topics/tbp.json": topic})
    myelopathy = dict(conditions=[condition("M54.6", onset_days=10), condition("G95.20")])
    assert pama_rating(post(client, [order("72147")], **myelopathy)[0]) is None
    out, card = post(client_with(pack), [order("72147")], **myelopathy)
    assert pama_rating(out) == "not-appropriate"
    variants = Engine.create(engine_options(Settings(criteria_packs=(str(pack),)))).criteria \
        .topics["thoracic-back-pain"].variants
    assert [v.id for v in variants] == ["TBP-1", "TBP-2", "TBP-3", "TBP-fracture-risk", "TBP-5",
                                        "TBP-abnormal-radiograph", "TBP-post-surgery", "SITE-1"]
