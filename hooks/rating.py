"""Rate one draft ServiceRequest: the ordered study, the facts, the ACR assessment."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from criteria import assess
from criteria.matcher import Assessment
from fhir_mappings.facts import Facts, build_facts
from fhir_mappings.orders import DraftOrder, OrderedStudy, ordered_study
from fhir_mappings.parsing import r4_problem
from fhir_mappings.record import PatientRecord
from hooks import HookInputError
from hooks.engine import Engine


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


def check_service_request(order: DraftOrder, field: str) -> None:
    problem = r4_problem(order.resource)
    if problem:
        raise HookInputError(field, f"{order.reference} is not a valid FHIR R4 ServiceRequest: {problem}")


def rate(engine: Engine, order: DraftOrder, record: PatientRecord, today: date) -> OrderRating | None:
    """None for orders that are not imaging (ignored, not an error)."""
    study = ordered_study(engine.tables, order.resource)
    if not study.imaging:
        return None
    consult = f"urn:uuid:{uuid.uuid4()}"
    if study.code is None or study.code.procedure not in engine.criteria.procedures:
        return OrderRating(order, study, "no-criteria-apply", consult)
    facts = build_facts(engine.tables, order.resource, record, today, engine.options.elderly_age)
    assessment = assess(engine.criteria, study.code.procedure, facts.state,
                        warn_confidences=engine.options.warn_confidences)
    return OrderRating(order, study, assessment.outcome, consult, assessment, facts)
