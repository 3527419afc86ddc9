"""The bundled criteria and code tables: schema-valid, complete, and consistent with each other."""
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from criteria import CriteriaError, load_criteria
from criteria.loader import BUNDLED_PACK, SCHEMA_PATH
from fhir_mappings.codes import code_tables

SCHEMA = json.loads(SCHEMA_PATH.read_text())
DEFINITION_OF = {"manifest.json": "manifest", "procedures.json": "proceduresFile", "concepts.json": "conceptsFile"}


def _pack_files():
    for path in sorted(BUNDLED_PACK.rglob("*.json")):
        yield pytest.param(path, DEFINITION_OF.get(path.name, "topic"), id=str(path.relative_to(BUNDLED_PACK)))


@pytest.mark.parametrize("path,definition", list(_pack_files()))
def test_every_data_file_matches_the_schema(path, definition):
    validator = jsonschema.Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{definition}"})
    assert list(validator.iter_errors(json.loads(path.read_text()))) == []


def test_low_back_pain_has_all_7_variants_by_all_11_procedures():
    topic = load_criteria().topics["low-back-pain"]
    assert [v.id for v in topic.variants] == [f"LBP-{n}" for n in range(1, 8)]
    assert len(topic.procedures) == 11
    for v in topic.variants:
        assert set(v.cells) == set(topic.procedures), v.id


def test_code_tables_and_criteria_agree():
    criteria, tables = load_criteria(), code_tables()
    for pid in tables.procedure_ids:
        assert pid in criteria.procedures, f"code table maps to unknown procedure {pid}"
    for concept, spec in tables.concepts.items():
        assert spec.get("internal") or concept in criteria.concepts, f"{concept} is not a criteria concept"
    derived = {f"{c}:{d}" for c in tables.duration_concepts for d in ("acute", "subacute-or-chronic")}
    derived |= {tables.derived["conservative_therapy"]["concept"], tables.derived["steroids"]["concept"]}
    derived |= {v for k, v in tables.derived["age"].items() if k != "adult_from"}
    for topic in criteria.topics.values():
        for v in topic.variants:
            for concept in v.concepts:
                assert concept in tables.concepts or concept in derived, f"{v.id}: nothing establishes {concept}"


def test_every_suggestable_procedure_has_a_code():
    criteria, tables = load_criteria(), code_tables()
    codeless = {p for p in criteria.procedures if tables.code_for_procedure(p) is None}
    # no single code exists, or acr-content.md gives none: never suggested (a site pack may add codes)
    assert codeless == {"bone-scan-wb-spect-spine", "spect-thoracic", "spect-spine-aoi", "mri-spine-aoi-w",
                        "medical-management", "thermal-ablation", "radiation-oncology-consultation",
                        "surgical-consultation"}


def test_malformed_pack_is_refused_naming_file_and_json_path(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(BUNDLED_PACK, pack)
    topic_file = pack / "topics" / "low-back-pain.json"
    topic = json.loads(topic_file.read_text())
    topic["variants"][2]["cells"]["mri-lumbar-wo"]["category"] = "sometimes-fine"
    topic_file.write_text(json.dumps(topic))
    with pytest.raises(CriteriaError) as err:
        load_criteria((str(pack),))
    assert "low-back-pain.json" in str(err.value) and "$.variants[2].cells['mri-lumbar-wo'].category" in str(err.value)


def test_topic_citing_an_undefined_concept_is_refused(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(BUNDLED_PACK, pack)
    topic_file = pack / "topics" / "low-back-pain.json"
    topic = json.loads(topic_file.read_text())
    topic["variants"][0]["when"] = {"all": ["low-back-pain", "a-typo"]}
    topic_file.write_text(json.dumps(topic))
    with pytest.raises(CriteriaError, match="undefined concept 'a-typo'"):
        load_criteria((str(pack),))
