"""Rate one draft ServiceRequest: the ordered study, the facts, the ACR assessment."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from criteria import assess
from criteria.matcher import Assessment
from fhir_mappings.facts import Evidence, Facts, build_facts
from fhir_mappings.orders import DraftOrder, OrderedStudy, ordered_study
from fhir_mappings.parsing import r4_problem
from fhir_mappings.record import PatientRecord
from hooks import HookInputError
from hooks.engine import Engine
from hooks.ids import random_uuid


@dataclass(frozen=True)
class OrderRating:
    order: DraftOrder
    study: OrderedStudy
    outcome: str                       # not-appropriate | appropriate | unknown | no-criteria-apply
    consult_id: str                    # urn:uuid, also the audit correlation id
    assessment: Assessment | None = None
    facts: Facts | None = None

    @property
    def rated(self) -> bool:
        """Whether a PAMA rating is attached (never for an unknown rating)."""
        return self.outcome != "unknown"

    def evidence_used(self) -> list[tuple[str, Evidence]]:
        """(concept, evidence) for the documented facts that put the order in its considered variants: what the
        card shows and the audit records."""
        if self.assessment is None or self.facts is None:
            return []
        used = sorted({concept for c in self.assessment.considered for concept in c.because})
        return [(concept, ev) for concept in used for ev in self.facts.evidence.get(concept, ())]


def check_service_request(order: DraftOrder, field: str) -> None:
    problem = r4_problem(order.resource)
    if problem:
        raise HookInputError(field, f"{order.reference} is not a valid FHIR R4 ServiceRequest: {problem}")


ASSESSMENT_MEMO_SIZE = 10_000


def assess_order(engine: Engine, procedure_id: str, facts: Facts) -> Assessment:
    """The matcher's answer, remembered per (procedure, states of the concepts its variants look at): it reads
    nothing else, and its Assessment is immutable, so records that agree on those states share one answer."""
    concepts = engine.criteria.route(procedure_id).concepts  # fixed order: the memo key
    states = tuple(map(facts.state, concepts))
    key = (procedure_id, states)
    hit = engine.assessments.get(key)
    if hit is None:
        hit = assess(engine.criteria, procedure_id, dict(zip(concepts, states)).__getitem__,
                     warn_confidences=engine.options.warn_confidences)
        if len(engine.assessments) < ASSESSMENT_MEMO_SIZE:
            engine.assessments[key] = hit
    return hit


def rate(engine: Engine, order: DraftOrder, record: PatientRecord, today: date) -> OrderRating | None:
    """None for orders that are not imaging (ignored, not an error)."""
    study = ordered_study(engine.tables, order.resource)
    if not study.imaging:
        return None
    consult = f"urn:uuid:{random_uuid()}"
    if study.code is None or study.code.procedure not in engine.criteria.procedures:
        return OrderRating(order, study, "no-criteria-apply", consult)
    facts = build_facts(engine.tables, order.resource, record, today, engine.options.elderly_age)
    assessment = assess_order(engine, study.code.procedure, facts)
    return OrderRating(order, study, assessment.outcome, consult, assessment, facts)
