"""Card builders: a warning for usually-not-appropriate orders, optional info cards otherwise."""
from __future__ import annotations

from criteria.matcher import Alternative, Assessment, Considered
from criteria.model import Category, Cell, Procedure, Topic, rrl_text
from hooks.engine import Engine
from hooks.ids import random_uuid
from hooks.pama import rated_resource
from hooks.rating import OrderRating

SUMMARY_LIMIT = 139  # CDS Hooks: summary SHALL be < 140 characters
CODE_SYSTEM = "urn:imaging-cds:CodeSystem:"
TOPIC_CODING = {"system": CODE_SYSTEM + "card-topic", "code": "imaging-appropriateness",
                "display": "Imaging appropriateness"}
OVERRIDE_REASONS = [
    ("red-flag-not-documented", "A red flag is present but not yet documented in the record"),
    ("conservative-therapy-failed", "Conservative therapy has already failed (not documented here)"),
    ("specialist-request", "Requested by a specialist who will act on the result"),
    ("patient-contraindication", "Patient cannot have the suggested study (e.g. MRI contraindicated)"),
    ("clinical-judgement", "Clinical judgement: this guidance does not apply to this patient"),
]


def _clip(text: str, limit: int = SUMMARY_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,;") + "…"


def _source(topics: tuple[Topic, ...]) -> dict:
    topic = topics[0]
    label = "ACR Appropriateness Criteria: " + ", ".join(t.title for t in topics)
    return {"label": _clip(label, 200), "url": topic.url, "topic": TOPIC_CODING}


def _variant_name(c: Considered) -> str:
    return f"{c.topic.title} ({c.topic.version}) {c.variant.label}"


def _summary(a: Assessment) -> str:
    study = a.procedure.name
    if len(a.considered) == 1:
        return _clip(f"{study} is usually not appropriate for {a.considered[0].variant.short} (ACR).")
    return _clip(f"{study} is usually not appropriate in all {len(a.considered)} ACR scenarios that may fit this patient.")


def _facts_section(engine: Engine, r: OrderRating) -> list[str]:
    a, facts = r.assessment, r.facts
    lines = ["**Facts from the record that led here**", ""]
    for concept, ev in r.evidence_used():
        lines.append(f"- {engine.criteria.concept_display(concept)}: {ev.describe()}")
    absent = [k for k in engine.criteria.route(a.procedure.id).red_flags if facts.state(k) is False]
    if absent:
        names = ", ".join(engine.criteria.concept_display(k).lower() for k in absent)
        lines.append(f"- Not documented in the record read: {names}")
    if len(lines) == 2:
        lines.append("- The order's indication only")
    return lines


def _considered_section(engine: Engine, r: OrderRating, heading: str) -> list[str]:
    a, facts = r.assessment, r.facts
    if len(a.considered) == 1 and a.considered[0].status == "matched":
        c = a.considered[0]
        lines = [f"**ACR Appropriateness Criteria: {_variant_name(c)}.** {c.variant.title}"]
    else:
        lines = [f"**ACR scenarios that may fit this patient** ({heading})", ""]
        for c in a.considered:
            how = "fits the record" if c.status == "matched" else "not ruled out"
            lines.append(f"- {_variant_name(c)}: {c.variant.short} ({how})")
        unknown = sorted({k for c in a.considered for k in c.unknown})
        if unknown:
            missing = sorted({p for k in unknown for p in facts.unread_sources(k)})
            names = "; ".join(engine.criteria.concept_display(k).lower() for k in unknown)
            lines += ["", f"Not ruled out because the record did not show whether: {names}"
                      + (f" (not available: {', '.join(missing)})." if missing else ".")]
    for c in a.considered:
        if c.status == "matched":
            lines += [f"Assumed: {note}" for note in c.variant.assumptions]
    return lines + [""]


def _radiation(procedure: Procedure, cell: Cell, pediatric: bool) -> str:
    """The cell's relative radiation level where the table gives one, else the procedure's."""
    level = cell.rrl(pediatric)
    if level is None:
        level = procedure.rrl_pediatric if pediatric else procedure.rrl_adult
    return rrl_text(level, pediatric)


def _ratings_table(r: OrderRating, pediatric: bool) -> list[str]:
    a = r.assessment
    who = "child" if pediatric else "adult"
    lines = [f"| Study | Appropriateness | Radiation ({who}) |", "|---|---|---|"]
    level = _radiation(a.procedure, a.considered[0].cell, pediatric)
    lines.append(f"| {a.procedure.name} (ordered) | {Category.USUALLY_NOT_APPROPRIATE.label} | {level} |")
    for alt in a.alternatives:
        rating = f", rating {alt.rating}" if alt.rating else ""
        level = _radiation(alt.procedure, alt.cells[0], pediatric)
        lines.append(f"| {alt.procedure.name} | {alt.category.label}{rating} | {level} |")
    return lines


def _what_would_change(engine: Engine, r: OrderRating) -> list[str]:
    a = r.assessment
    lines = []
    seen = set()
    for o in a.others:
        if o.variant.id in seen:
            continue
        seen.add(o.variant.id)
        lines.append(f"- {o.variant.short[0].upper()}{o.variant.short[1:]} ({o.topic.title} {o.variant.label}): "
                     f"the ordered study would be rated \"{o.cell.category.label}\".")
    return lines


CONFIDENCE = {"confirmed": "from an ACR document", "secondary": "from a source quoting the ACR",
              "inferred": "inferred: not listed as appropriate by a source that lists the appropriate studies",
              "unknown": "unknown"}


def _provenance(engine: Engine, r: OrderRating) -> str:
    parts = []
    for c in r.assessment.considered:
        srcs = ", ".join(engine.criteria.sources.get(s, {}).get("citation", s) for s in c.cell.sources)
        parts.append(f"{c.variant.id}: {CONFIDENCE[c.cell.confidence]} ({srcs})")
    return "Rating evidence: " + "; ".join(parts) + "."


def warning_card(engine: Engine, r: OrderRating) -> dict:
    a, facts = r.assessment, r.facts
    pediatric = facts.pediatric
    detail: list[str] = []
    detail += _considered_section(engine, r, "the order is usually not appropriate in each")
    detail += _facts_section(engine, r) + [""]
    detail += _ratings_table(r, pediatric) + [""]
    if a.no_imaging:
        detail.append(f"No imaging is rated appropriate for {', '.join(a.no_imaging)}: the usual advice is "
                      "conservative care and re-assessment, imaging only if symptoms persist or red flags appear.")
        detail.append("")
    change = _what_would_change(engine, r)
    if change:
        detail += ["**What would change this answer**", ""] + change + [""]
    if facts.notes:
        detail += ["**Not read from the record**", ""] + [f"- {n}" for n in facts.notes] + [""]
    detail.append(_provenance(engine, r))
    card = {
        "uuid": random_uuid(),
        "summary": _summary(a),
        "indicator": "warning",
        "detail": "\n".join(detail).strip(),
        "source": _source(a.topics),
        "overrideReasons": [{"system": CODE_SYSTEM + "override-reason", "code": code, "display": display}
                            for code, display in OVERRIDE_REASONS],
        "links": [{"label": f"ACR Appropriateness Criteria: {t.title}", "url": t.url, "type": "absolute"}
                  for t in a.topics],
    }
    suggestions = _suggestions(engine, r)
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "at-most-one"
    return card


def _suggestions(engine: Engine, r: OrderRating) -> list[dict]:
    a = r.assessment
    out = []
    ordered_system = r.study.code.system if r.study.code else None
    for alt in a.alternatives:
        s = _alternative_suggestion(engine, r, alt, ordered_system)
        if s:
            out.append(s)
    cancel = None
    if a.no_imaging or not out:
        cancel = {"label": "Cancel this imaging order", "uuid": random_uuid(), "actions": [{
            "type": "delete", "description": "Remove the draft imaging order: no imaging is recommended now",
            "resourceId": r.order.reference}]}
    matched = [c for c in a.considered if c.status == "matched"]
    matched_no_imaging = [c for c in matched if c.variant.id in a.no_imaging]
    if cancel and (not out or (matched and len(matched_no_imaging) == len(matched))):
        cancel["isRecommended"] = True
    elif out and (not a.no_imaging or (matched and not matched_no_imaging)):
        out[0]["isRecommended"] = True
    return out + ([cancel] if cancel else [])


def _alternative_suggestion(engine: Engine, r: OrderRating, alt: Alternative, ordered_system: str | None) -> dict | None:
    code = engine.tables.code_for_procedure(alt.procedure.id, ordered_system)
    if code is None:
        return None
    order = {**r.order.resource, "code": {"coding": [{"system": engine.tables.canonical[code.system],
                                                      "code": code.code, "display": code.display}],
                                          "text": alt.procedure.name}}
    resource = rated_resource(order, "appropriate", f"urn:uuid:{random_uuid()}", engine.options.qcdsm_id,
                              alt.category, r.assessment.topics[0].url)
    return {"label": f"Change to {alt.procedure.name}", "uuid": random_uuid(), "actions": [{
        "type": "update",
        "description": f"Replace the draft order with {alt.procedure.name} ({alt.category.label.lower()} here)",
        "resource": resource}]}


def info_card(engine: Engine, r: OrderRating) -> dict | None:
    """Optional (configured) card for orders that are not warned on."""
    a = r.assessment
    if a is None or not a.considered:
        return None
    name = a.procedure.name
    if r.outcome == "appropriate":
        summary = f"{name}: {a.category.label.lower()} for this patient (ACR)."
    else:
        summary = f"{name}: not enough information in the record to rate this order (ACR)."
    lines = _considered_section(engine, r, "the rating uses every one of them") + _facts_section(engine, r)
    return {"uuid": random_uuid(), "summary": _clip(summary), "indicator": "info", "detail": "\n".join(lines).strip(),
            "source": _source(a.topics)}
