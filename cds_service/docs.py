"""The generated documentation (`imaging-cds docs DIR`, `make docs`): docs/criteria.md and docs/mapping.md."""
from __future__ import annotations

from pathlib import Path

from criteria.docs import criteria_markdown
from fhir_mappings.docs import mapping_markdown
from hooks.engine import Engine


def generate(engine: Engine) -> dict[str, str]:
    criteria = engine.criteria
    names = {pid: p.name for pid, p in criteria.procedures.items()}
    concepts = {k: v["display"] for k, v in criteria.concepts.items()}
    return {"criteria.md": criteria_markdown(criteria),
            "mapping.md": mapping_markdown(engine.tables, names, concepts)}


def write(engine: Engine, out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generate(engine).items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    return written
