"""docs/mapping.md: every code the service reads and what it means to the matcher."""
from __future__ import annotations

from fhir_mappings.codes import CodeTables

SOURCE_LABELS = {"reason": "order reason", "condition": "Condition", "procedure": "Procedure",
                 "medication": "medication"}


def _code(c: dict) -> str:
    code = f"`{c['code']}`" if "code" in c else f"`{c['prefix']}*`"
    return code + (" (unverified)" if c.get("evidence") == "unverified" else "")


def mapping_markdown(tables: CodeTables, procedure_names: dict[str, str], concept_names: dict[str, str]) -> str:
    raw = tables.raw
    out = ["# Code mapping", "", "Generated from `fhir_mappings/tables` by `make docs`; do not edit by hand.", "",
           "## Code systems", "", "| system URI | short name |", "|---|---|"]
    out += [f"| {uri} | {name} |" for uri, name in raw["systems"]["systems"].items()]
    out += ["", "## Ordered studies and treatments", "",
            "A ServiceRequest coded with one of these codes is rated as the criteria procedure named. "
            "Other CPT codes in the radiology range are imaging orders no criteria apply to.", "",
            "| procedure | system | code | display |", "|---|---|---|---|"]
    for pid, codes in raw["procedure_codes"]["procedures"].items():
        name = procedure_names.get(pid, pid)
        for c in codes:
            preferred = " (suggested)" if c.get("preferred") else ""
            out.append(f"| {name} | {c['system']} | {_code(c)}{preferred} | {c['display']} |")
    out += ["", "## Findings", "",
            "A code establishes the finding when it appears in the places listed (`*` = the code and every code "
            "below it). The finding counts as absent only when every record part listed was read; otherwise it "
            "is unknown.", ""]
    for concept, spec in raw["findings"]["concepts"].items():
        title = concept_names.get(concept) or ("internal: used to derive other findings" if spec.get("internal") else concept)
        out += [f"### {concept}", "", f"{title}. Read from: {', '.join(SOURCE_LABELS[s] for s in spec['in'])}; "
                f"absent only when read: {', '.join(spec['record_sources'])}"
                + ("; its onset gives `:acute` / `:subacute-or-chronic`." if spec.get("duration") else "."), "",
                "| system | code | display | where |", "|---|---|---|---|"]
        for c in spec["codes"]:
            where = ", ".join(SOURCE_LABELS[s] for s in c.get("in", spec["in"]))
            implies = f" (implies {c['implies']})" if c.get("implies") else ""
            out.append(f"| {c['system']} | {_code(c)} | {c['display']}{implies} | {where} |")
        out.append("")
    return "\n".join(out)
