"""Load criteria packs from directories, each file checked against criteria/schema/criteria.schema.json."""
from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import jsonschema

from criteria.expressions import compile_expression
from criteria.model import Category, Cell, Criteria, PackInfo, Procedure, Topic, Variant

SCHEMA_PATH = Path(__file__).with_name("schema") / "criteria.schema.json"
BUNDLED_PACK = Path(__file__).with_name("packs") / "acr"


class CriteriaError(ValueError):
    """A pack that cannot be loaded; the message names the file and the JSON path."""


@lru_cache(maxsize=1)
def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def _validator(definition: str) -> jsonschema.Draft202012Validator:
    schema = dict(_schema())
    schema = {**schema, "$ref": f"#/$defs/{definition}"}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _read(path: Path, definition: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CriteriaError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise CriteriaError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    errors = sorted(_validator(definition).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        raise CriteriaError(f"{path}: {err.json_path}: {err.message}")
    return data


def load_criteria(extra_packs: tuple[str, ...] = ()) -> Criteria:
    """Load the bundled pack, then each extra pack directory in order.

    A later pack may add procedures, concepts, sources and topics; a topic whose id is already loaded is extended
    (procedures added, variants added or replaced by id); an overrides file replaces single cells.
    """
    dirs = [BUNDLED_PACK, *(Path(p) for p in extra_packs)]
    procedures: dict[str, Procedure] = {}
    concepts: dict[str, dict] = {}
    sources: dict[str, dict] = {}
    region_groups: dict[str, tuple[str, ...]] = {}
    topics: dict[str, Topic] = {}
    origin: dict[str, Path] = {}
    packs = []
    for pack_dir in dirs:
        manifest_path = pack_dir / "manifest.json"
        manifest = _read(manifest_path, "manifest")
        code_files = tuple((kind, str(pack_dir / rel)) for kind, rel in manifest.get("codes", {}).items())
        packs.append(PackInfo(manifest["name"], manifest["version"], manifest["title"], manifest["licence"],
                              str(pack_dir), code_files))
        sources.update(manifest["sources"])
        if "procedures" in manifest:
            data = _read(pack_dir / manifest["procedures"], "proceduresFile")
            for p in data["procedures"]:
                rrl = p["rrl"]
                procedures[p["id"]] = Procedure(p["id"], p["name"], p.get("kind", "imaging"), p["modality"], p["region"],
                                                p["contrast"], rrl.get("adult"), rrl.get("pediatric"))
            region_groups.update({k: tuple(v) for k, v in data.get("region_groups", {}).items()})
        if "concepts" in manifest:
            concepts.update(_read(pack_dir / manifest["concepts"], "conceptsFile")["concepts"])
        for rel in manifest["topics"]:
            path = pack_dir / rel
            topic = _build_topic(_read(path, "topic"), manifest["name"])
            topics[topic.id] = _extend(topics[topic.id], topic) if topic.id in topics else topic
            origin[topic.id] = path
        if "overrides" in manifest:
            path = pack_dir / manifest["overrides"]
            _apply_overrides(topics, _read(path, "overridesFile")["overrides"], manifest["name"], path)
    criteria = Criteria(procedures, concepts, topics, sources, region_groups, tuple(packs))
    _check_references(criteria, origin)
    return criteria


def _build_topic(raw: dict, pack: str) -> Topic:
    variants = []
    for v in raw["variants"]:
        cells = {pid: _build_cell(c, pack) for pid, c in v["cells"].items()}
        variants.append(Variant(v["id"], raw["id"], v.get("number"), v["title"], v["short"],
                                compile_expression(v["when"]), tuple(v.get("displaces", ())),
                                tuple(v.get("assumptions", ())), cells, tuple(v.get("procedures", ())),
                                tuple(v.get("requires", ()))))
    return Topic(raw["id"], raw["title"], raw["version"], raw["url"], raw.get("citation", ""), raw.get("acr_topic_id"),
                 tuple(raw["procedures"]), tuple(variants), tuple(raw.get("notes", ())))


def _build_cell(c: dict, pack: str) -> Cell:
    rrl = c.get("rrl", {})
    return Cell(Category(c["category"]), c["confidence"], tuple(c["sources"]), c.get("rating"),
                rrl.get("adult"), rrl.get("pediatric"), c.get("note"), pack)


def _extend(old: Topic, new: Topic) -> Topic:
    """A later pack's file for a loaded topic: its header wins, procedures are added, variants added or replaced."""
    procedures = old.procedures + tuple(p for p in new.procedures if p not in old.procedures)
    replaced = {v.id: v for v in new.variants}
    variants = tuple(replaced.pop(v.id, v) for v in old.variants) + tuple(replaced.values())
    return replace(new, procedures=procedures, variants=variants, notes=old.notes + new.notes)


def _apply_overrides(topics: dict[str, Topic], overrides: list[dict], pack: str, path: Path) -> None:
    for i, o in enumerate(overrides):
        where = f"{path}: $.overrides[{i}]"
        topic = topics.get(o["topic"])
        if topic is None:
            raise CriteriaError(f"{where}.topic: no loaded topic '{o['topic']}'")
        variant = next((v for v in topic.variants if v.id == o["variant"]), None)
        if variant is None:
            raise CriteriaError(f"{where}.variant: topic {topic.id} has no variant '{o['variant']}'")
        if o["procedure"] not in topic.procedures or not variant.rates(o["procedure"]):
            raise CriteriaError(f"{where}.procedure: variant {variant.id} does not rate '{o['procedure']}'")
        cells = {**variant.cells, o["procedure"]: _build_cell(o["cell"], pack)}
        variants = tuple(replace(v, cells=cells) if v is variant else v for v in topic.variants)
        topics[topic.id] = replace(topic, variants=variants)


def _check_references(criteria: Criteria, origin: dict[str, Path]) -> None:
    """Cross-file checks a JSON Schema cannot express: every id a topic uses is defined somewhere."""
    for topic in criteria.topics.values():
        where = f"{origin[topic.id]}: topic {topic.id}"
        ids = {v.id for v in topic.variants}
        for pid in topic.procedures:
            if pid not in criteria.procedures:
                raise CriteriaError(f"{where}: procedure '{pid}' is not defined in any procedures file")
        for v in topic.variants:
            for pid, cell in v.cells.items():
                if pid not in topic.procedures or not v.rates(pid):
                    raise CriteriaError(f"{where}: variant {v.id} rates '{pid}', which is not in its procedures")
                for s in cell.sources:
                    if s not in criteria.sources:
                        raise CriteriaError(f"{where}: variant {v.id} cell '{pid}' cites unknown source '{s}'")
            for concept in sorted(v.concepts):
                if concept not in criteria.concepts:
                    raise CriteriaError(f"{where}: variant {v.id} uses undefined concept '{concept}'")
            for pid in v.procedures:
                if pid not in topic.procedures:
                    raise CriteriaError(f"{where}: variant {v.id} lists '{pid}', which is not in the topic's procedures")
            for d in v.displaces:
                if d not in ids:
                    raise CriteriaError(f"{where}: variant {v.id} displaces unknown variant '{d}'")
