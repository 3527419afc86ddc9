"""Human-readable views of loaded criteria: the `criteria show` text and docs/criteria.md."""
from __future__ import annotations

from criteria.model import Category, Cell, Criteria, Topic, Variant, rrl_text

ABBREV = {
    Category.USUALLY_APPROPRIATE: "UA",
    Category.MAY_BE_APPROPRIATE: "MBA",
    Category.MAY_BE_APPROPRIATE_DISAGREEMENT: "MBA(D)",
    Category.USUALLY_NOT_APPROPRIATE: "UNA",
    Category.UNKNOWN: "?",
}
CONFIDENCE_MARK = {"confirmed": "", "secondary": "²", "inferred": "ⁱ", "unknown": ""}


def variant_procedures(topic: Topic, variant: Variant) -> list[str]:
    return [p for p in topic.procedures if variant.rates(p)]


def cell_counts(topic: Topic, variant: Variant) -> tuple[int, int]:
    """(known, unknown) cells of a variant over the procedures it rates."""
    cats = [variant.cell(p).category for p in variant_procedures(topic, variant)]
    unknown = sum(1 for c in cats if c is Category.UNKNOWN)
    return len(cats) - unknown, unknown


def cell_text(cell: Cell) -> str:
    text = ABBREV[cell.category] + CONFIDENCE_MARK[cell.confidence]
    return f"{text} ({cell.rating})" if cell.rating else text


def show(criteria: Criteria, topic_id: str, variant_id: str | None = None) -> str:
    """Plain text for `criteria show TOPIC [VARIANT]`; KeyError names what does not exist."""
    topic = criteria.topics.get(topic_id)
    if topic is None:
        raise KeyError(f"no topic '{topic_id}'; topics: {', '.join(criteria.topics)}")
    variants = [v for v in topic.variants if variant_id in (None, v.id)]
    if not variants:
        raise KeyError(f"topic {topic_id} has no variant '{variant_id}'; variants: "
                       f"{', '.join(v.id for v in topic.variants)}")
    out = [f"{topic.title} ({topic.version}) [{topic.id}]", topic.citation, topic.url, ""]
    for v in variants:
        known, unknown = cell_counts(topic, v)
        out += [f"{v.id} ({v.label}): {v.title}", f"  when: {_expression(v.when)}"]
        out += [f"  only when documented: {', '.join(v.requires)}"] if v.requires else []
        out += [f"  cells: {known} known, {unknown} unknown"]
        for pid in variant_procedures(topic, v):
            cell = v.cell(pid)
            sources = ", ".join(cell.sources)
            out.append(f"  {criteria.procedures[pid].name:<62} {cell.category.label:<34} {cell.confidence:<9}"
                       f" {sources}" + (f" [pack {cell.pack}]" if cell.pack else ""))
        out.append("")
    return "\n".join(out)


def _expression(expr: tuple) -> str:
    op, arg = expr
    if op == "concept":
        return arg
    if op == "not":
        return f"not {_expression(arg)}"
    return f"{op}(" + ", ".join(_expression(a) for a in arg) + ")"


def criteria_markdown(criteria: Criteria) -> str:
    """docs/criteria.md: every topic x variant x procedure, counts of known and unknown cells, sources."""
    out = ["# Criteria", "", "Generated from `criteria/packs` by `make docs`; do not edit by hand.", "",
           "Cells: UA usually appropriate, MBA may be appropriate, MBA(D) may be appropriate (disagreement), "
           "UNA usually not appropriate, ? unknown (never warned on). Evidence: plain = confirmed by an ACR "
           "document, ² = a source quoting ACR, ⁱ = inferred. A number in brackets is the ACR rating (1-9). "
           "A blank cell: the variant does not rate that procedure.", ""]
    for pack in criteria.packs:
        out += [f"Pack **{pack.name}** {pack.version}: {pack.title}", "", f"Licence: {pack.licence}", ""]
    for topic in criteria.topics.values():
        out += _topic_markdown(criteria, topic)
    out += ["## Sources", "", "| id | citation | url |", "|---|---|---|"]
    for sid, src in sorted(criteria.sources.items()):
        out.append(f"| {sid} | {src['citation']} | {src.get('url') or ''} |")
    return "\n".join(out) + "\n"


def _topic_markdown(criteria: Criteria, topic: Topic) -> list[str]:
    totals = [cell_counts(topic, v) for v in topic.variants]
    out = [f"## {topic.title} ({topic.version})", "", f"{topic.citation}  ", f"<{topic.url}>", "",
           f"{len(topic.variants)} variants, {sum(k for k, _ in totals)} known and {sum(u for _, u in totals)} "
           "unknown cells.", ""]
    out += [f"- {note}" for note in topic.notes] + ([""] if topic.notes else [])
    out += ["| variant | title | known | unknown |", "|---|---|---|---|"]
    for v, (known, unknown) in zip(topic.variants, totals):
        out.append(f"| {v.id} | {v.title} | {known} | {unknown} |")
    out += ["", "| procedure | adult RRL | " + " | ".join(v.id for v in topic.variants) + " |",
            "|---|---|" + "---|" * len(topic.variants)]
    for pid in topic.procedures:
        proc = criteria.procedures[pid]
        cells = [cell_text(v.cell(pid)) if v.rates(pid) else "" for v in topic.variants]
        out.append(f"| {proc.name} | {rrl_text(proc.rrl_adult)} | " + " | ".join(cells) + " |")
    return out + [""]
