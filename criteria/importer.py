"""CSV in the ACR ratings-appendix shape -> a criteria pack of single-cell overrides.

Columns (header names, case and spacing ignored): topic, variant, procedure, category, rating, adult RRL,
pediatric RRL. Topic, variant and procedure are matched to loaded criteria by id or by title/name (variant also by
'Variant N'); a row that matches nothing is refused, because a new variant needs its clinical condition written as
a topic file first. Nothing is written unless every row matches.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

from criteria.loader import CriteriaError, load_criteria
from criteria.model import Category, Criteria, Topic

COLUMNS = ("topic", "variant", "procedure", "category", "rating", "adult rrl", "pediatric rrl")


@dataclass(frozen=True)
class ImportResult:
    pack_dir: Path
    overrides: int
    topics: tuple[str, ...]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower()).rstrip(".")


_CATEGORIES = {_norm(c.label): c for c in Category} | {c.value: c for c in Category}


def parse_category(text: str) -> Category:
    cat = _CATEGORIES.get(_norm(text))
    if cat is None:
        raise ValueError(f"category '{text}' is not one of: " + ", ".join(c.label for c in Category))
    return cat


def parse_rrl(text: str) -> int | str | None:
    """'☢☢☢ 1-10 mSv' -> 3, 'O 0 mSv' -> 0, 'Varies' -> 'varies', blank -> None."""
    t = text.strip()
    if not t:
        return None
    if t.lower().startswith("varies"):
        return "varies"
    if t.upper().startswith("O"):
        return 0
    level = t.count("☢")
    if not 1 <= level <= 5:
        raise ValueError(f"relative radiation level '{text}' is not O, ☢ to ☢☢☢☢☢ or Varies")
    return level


def parse_rating(text: str) -> int | None:
    t = text.strip()
    if not t:
        return None
    if not t.isdigit() or not 1 <= int(t) <= 9:
        raise ValueError(f"rating '{text}' is not a whole number from 1 to 9")
    return int(t)


def _find_topic(criteria: Criteria, text: str) -> Topic | None:
    key = _norm(text)
    return next((t for t in criteria.topics.values() if key in (t.id, _norm(t.title))), None)


def _find_variant(topic: Topic, text: str):
    key = _norm(text)
    for v in topic.variants:
        if key in (_norm(v.id), _norm(v.title)) or (v.number and key == f"variant {v.number}"):
            return v
    return None


def _find_procedure(criteria: Criteria, topic: Topic, text: str) -> str | None:
    key = _norm(text)
    return next((p for p in topic.procedures if key in (p, _norm(criteria.procedures[p].name))), None)


def _row_override(criteria: Criteria, row: dict, n: int, confidence: str, source: str) -> dict:
    topic = _find_topic(criteria, row["topic"])
    if topic is None:
        raise ValueError(f"no loaded topic '{row['topic']}'")
    variant = _find_variant(topic, row["variant"])
    if variant is None:
        raise ValueError(f"topic {topic.id} has no variant '{row['variant']}' (add it with its condition first)")
    pid = _find_procedure(criteria, topic, row["procedure"])
    if pid is None or not variant.rates(pid):
        raise ValueError(f"variant {variant.id} does not rate a procedure named '{row['procedure']}'")
    category = parse_category(row["category"])
    cell: dict = {"category": category.value, "confidence": confidence if category is not Category.UNKNOWN else "unknown",
                  "sources": [source], "note": f"imported from CSV row {n}"}
    rating = parse_rating(row.get("rating") or "")
    if rating is not None:
        cell["rating"] = rating
    rrl = {k: parse_rrl(row.get(col) or "") for k, col in (("adult", "adult rrl"), ("pediatric", "pediatric rrl"))}
    if any(v is not None for v in rrl.values()):
        cell["rrl"] = rrl
    return {"topic": topic.id, "variant": variant.id, "procedure": pid, "cell": cell}


def read_rows(csv_path: Path) -> list[dict]:
    with csv_path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = {_norm(h or ""): h for h in reader.fieldnames or ()}
        missing = [c for c in COLUMNS[:4] if c not in header]
        if missing:
            raise CriteriaError(f"{csv_path}: missing column(s): {', '.join(missing)} (expected {', '.join(COLUMNS)})")
        return [{c: (row.get(header[c]) or "") for c in COLUMNS if c in header} for row in reader]


def import_csv(csv_path: str | Path, out_dir: str | Path, *, name: str = "imported", version: str = "1",
               licence: str = "", confidence: str = "confirmed", base_packs: tuple[str, ...] = ()) -> ImportResult:
    """Write `out_dir` as a pack of overrides; CriteriaError lists every row that could not be used."""
    csv_path, out = Path(csv_path), Path(out_dir)
    criteria = load_criteria(base_packs)
    source = f"{name}-csv"
    overrides, problems = [], []
    for n, row in enumerate(read_rows(csv_path), start=2):  # row 1 is the header
        try:
            overrides.append(_row_override(criteria, row, n, confidence, source))
        except ValueError as exc:
            problems.append(f"row {n}: {exc}")
    if problems:
        raise CriteriaError(f"{csv_path}: " + "; ".join(problems))
    if not overrides:
        raise CriteriaError(f"{csv_path}: no rows")
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"name": name, "version": version, "title": f"Ratings imported from {csv_path.name}",
                "licence": licence or "As held by the site that imported the ratings.",
                "sources": {source: {"citation": f"Ratings table imported from {csv_path.name}", "url": None}},
                "topics": [], "overrides": "overrides.json"}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "overrides.json").write_text(json.dumps({"overrides": overrides}, indent=1, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    load_criteria((*base_packs, str(out)))  # what was written must load
    return ImportResult(out, len(overrides), tuple(sorted({o["topic"] for o in overrides})))
