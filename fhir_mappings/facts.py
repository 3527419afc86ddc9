"""Clinical facts for one order: concept -> documented / absent / unknown, each with the evidence behind it.

Only resources carrying a code the tables know are validated as FHIR R4 (parse only what the rating needs).
A relevant resource that fails validation is skipped, said so in `notes`, and the concepts it carried become
unknown rather than absent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from fhir_mappings.codes import CodeEntry, CodeTables
from fhir_mappings.dates import add_years, age_years, fhir_date, period_bounds
from fhir_mappings.orders import reason_codings, reason_references
from fhir_mappings.parsing import r4_problem
from fhir_mappings.record import PART_LABELS, PatientRecord
from fhir_mappings.wire import dicts

ACTIVE_CLINICAL = {"active", "recurrence", "relapse"}
EXCLUDED_VERIFICATION = {"refuted", "entered-in-error"}
PROCEDURE_DONE = {"completed", "in-progress"}
MEDICATION_TAKEN = {"active", "completed", "intended", "on-hold"}


class Evidence(NamedTuple):  # a tuple, not a dataclass: several are built for every order rated (hot path)
    concept: str
    source: str                 # reason | condition | procedure | medication | patient
    display: str
    system: str | None = None   # short system name (snomed, icd10cm, ...)
    code: str | None = None
    date: date | None = None
    reference: str | None = None

    def describe(self) -> str:
        when = f", {self.date.isoformat()}" if self.date else ""
        if not self.code:  # derived from other facts (durations, courses, age)
            return f"{self.display}{when}"
        coded = f" ({self.system.upper()} {self.code})" if self.system else ""
        return f"{_SOURCE_NAMES[self.source]}: {self.display}{coded}{when}"


_SOURCE_NAMES = {"reason": "order reason", "condition": "Condition", "procedure": "Procedure",
                 "medication": "medication", "patient": "Patient"}


@dataclass
class Facts:
    tables: CodeTables
    today: date
    elderly_age: int
    parts_read: set[str]
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    tainted: set[str] = field(default_factory=set)
    derived: dict[str, bool | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    age: int | None = None

    # -- the three-valued state the criteria matcher asks for ------------------------------------------------
    def state(self, concept: str) -> bool | None:
        if self.evidence.get(concept):
            return True
        if concept in self.derived:
            return self.derived[concept]
        if concept in self.tainted:
            return None
        sources = self.tables.absence_sources.get(concept)
        if sources is None:
            return None  # a concept no code table covers (or no code could rule out) is never absent
        return False if sources <= self.parts_read else None

    def unread_sources(self, concept: str) -> list[str]:
        """Labels of the record parts that would have been needed to rule the concept out."""
        base = concept.split(":")[0]
        spec = self.tables.concepts.get(base) or {}
        sources = set(spec.get("record_sources", ()))
        sources |= _DERIVED_SOURCES.get(concept, set())
        return [PART_LABELS[s] for s in sorted(sources - self.parts_read)]

    @property
    def pediatric(self) -> bool:
        return self.age is not None and self.age < self.tables.derived["age"]["adult_from"]

    def add(self, ev: Evidence) -> None:
        self.evidence.setdefault(ev.concept, []).append(ev)


_DERIVED_SOURCES = {"conservative-therapy-failed": {"procedure", "condition"},
                    "chronic-steroid-use": {"medication", "condition"},
                    "elderly": {"patient"}, "adult": {"patient"}, "pediatric": {"patient"}}


def build_facts(tables: CodeTables, order: dict, record: PatientRecord, today: date, elderly_age: int = 65) -> Facts:
    facts = Facts(tables, today, elderly_age, record.parts_read, notes=list(record.notes))
    onsets: dict[str, list[date]] = {}
    implied: dict[str, set[str]] = {}

    # the order's own indication
    for c in reason_codings(order):
        for entry in tables.findings_for(c.get("system"), c.get("code")):
            if "reason" in entry.in_:
                facts.add(_evidence(entry, "reason", c))
                if entry.implies:
                    implied.setdefault(entry.concept, set()).add(entry.implies)
    reason_refs = set()
    refs = reason_references(order)
    conditions_by_id = {c["id"]: c for c in record.resources["condition"] if isinstance(c.get("id"), str)} if refs else {}
    for ref in refs:
        target = _resolve_reference(ref, order, conditions_by_id)
        if target is None:
            facts.notes.append(f"the order's reasonReference {ref} was not in the record sent")
        else:
            reason_refs.add(id(target))

    patient = record.resources["patient"][0] if record.resources["patient"] else None
    birth = _read_patient(facts, patient)

    # a Condition the order names as its reason may hold reason-only codes: read whatever its problem-list codes
    for cond, hits in _coded(tables, record.resources["condition"], "condition", also=reason_refs):
        _read_condition(facts, cond, hits, id(cond) in reason_refs, birth, onsets, implied)
    for cond in _contained_reason_conditions(order, reason_refs):
        _read_condition(facts, cond, _coded_entries(tables, cond.get("code"), "condition"), True, birth, onsets, implied)

    therapy = _read_procedures(facts, record.resources["procedure"])
    steroid_spans = _read_medications(facts, record.resources["medication"])

    _derive_durations(facts, onsets, implied)
    _derive_conservative_failure(facts, therapy, onsets)
    _derive_steroid_use(facts, steroid_spans)
    return facts


def _evidence(entry: CodeEntry, source: str, coding: dict, when: date | None = None, ref: str | None = None) -> Evidence:
    display = coding.get("display") if isinstance(coding.get("display"), str) else entry.display
    return Evidence(entry.concept, source, display, entry.system, coding.get("code"), when, ref)


def _ref(resource: dict) -> str | None:
    rid = resource.get("id")
    return f"{resource.get('resourceType')}/{rid}" if isinstance(rid, str) else None


def _resolve_reference(ref: str, order: dict, conditions_by_id: dict) -> dict | None:
    if ref.startswith("#"):
        return next((c for c in dicts(order.get("contained")) if c.get("id") == ref[1:]), None)
    rtype, _, rid = ref.rpartition("/")
    return conditions_by_id.get(rid) if rtype.endswith("Condition") else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _contained_reason_conditions(order: dict, reason_refs: set[int]) -> list[dict]:
    if not reason_refs:
        return []
    return [c for c in dicts(order.get("contained")) if id(c) in reason_refs and c.get("resourceType") == "Condition"]


def _coded(tables: CodeTables, resources: list[dict], source: str, field: str = "code",
           also: set[int] = frozenset()) -> list[tuple[dict, list[tuple[CodeEntry, dict]]]]:
    """(resource, [(entry, coding)]) for each resource whose `field` CodeableConcept has a coding that maps to a
    concept `source` may establish, and for each resource whose id() is in `also`, with or without such codes.

    Every Condition and Procedure of the record goes through here, most of them unrelated history: one tight loop
    that reads the code tables' remembered answers directly and asks `findings_for` only for codes not seen yet.
    """
    remembered, findings_for = tables.remembered.get, tables.findings_for
    out = []
    for res in resources:
        concept = res.get(field)
        codings = concept.get("coding") if type(concept) is dict else None  # JSON objects are exactly dicts
        hits = None
        if type(codings) is list:
            for c in codings:
                if type(c) is not dict:
                    continue
                system, code = c.get("system"), c.get("code")
                try:
                    found = remembered((system, code))
                except TypeError:  # unhashable, so not a string: no code
                    continue
                if found is None:
                    found = findings_for(system, code)
                for entry in found:
                    if source in entry.in_:
                        hits = hits or []
                        hits.append((entry, c))
        if hits:
            out.append((res, hits))
        elif also and id(res) in also:
            out.append((res, []))
    return out


def _coded_entries(tables: CodeTables, concept_field: object, source: str) -> list[tuple[CodeEntry, dict]]:
    """(entry, coding) for each coding of one CodeableConcept that maps to a concept `source` may establish."""
    found = _coded(tables, [{"code": concept_field}], source)
    return found[0][1] if found else []


def _status_code(field_value: object) -> str | None:
    codings = field_value.get("coding") if isinstance(field_value, dict) else None
    for c in codings if isinstance(codings, list) else []:
        if isinstance(c, dict) and isinstance(c.get("code"), str):
            return c["code"]
    return None


def _unreadable(facts: Facts, resource: dict, hits: list[tuple[CodeEntry, dict]]) -> bool:
    problem = r4_problem(resource)
    if problem is None:
        return False
    label = _ref(resource) or resource.get("resourceType", "resource")
    facts.notes.append(f"{label} was skipped: not valid FHIR R4 ({problem})")
    facts.tainted.update(e.concept for e, _ in hits)
    return True


def _read_patient(facts: Facts, patient: dict | None) -> date | None:
    if patient is None:
        return None
    birth = fhir_date(patient.get("birthDate"))
    if birth is None:
        facts.notes.append("the Patient resource has no usable birthDate")
        facts.parts_read.discard("patient")
        return None
    if r4_problem(patient) is not None:
        facts.notes.append("the Patient resource was skipped: not valid FHIR R4")
        facts.parts_read.discard("patient")
        return None
    facts.age = age_years(birth, facts.today)
    age_cfg = facts.tables.derived["age"]
    when = f"born {birth.isoformat()}, age {facts.age}"
    flags = {age_cfg["elderly"]: facts.age >= facts.elderly_age,
             age_cfg["adult"]: facts.age >= age_cfg["adult_from"],
             age_cfg["pediatric"]: facts.age < age_cfg["adult_from"]}
    for concept, value in flags.items():
        facts.derived[concept] = value
        if value:
            facts.add(Evidence(concept, "patient", when, reference=_ref(patient)))
    return birth


def _read_condition(facts: Facts, cond: dict, hits: list[tuple[CodeEntry, dict]], as_reason: bool,
                    birth: date | None, onsets: dict[str, list[date]], implied: dict[str, set[str]]) -> None:
    """`hits`: the condition's codes as a problem-list entry; a reason for the order may establish more."""
    if as_reason:
        hits = hits + _coded_entries(facts.tables, cond.get("code"), "reason")
    if not hits or _unreadable(facts, cond, hits):
        return
    if _status_code(cond.get("verificationStatus")) in EXCLUDED_VERIFICATION:
        return
    if _status_code(cond.get("clinicalStatus")) not in ACTIVE_CLINICAL:
        return
    onset = _onset(cond, birth)
    seen = set()
    for entry, coding in hits:
        if entry.concept in seen:
            continue
        seen.add(entry.concept)
        facts.add(_evidence(entry, "reason" if as_reason else "condition", coding, onset, _ref(cond)))
        if entry.concept in facts.tables.duration_concepts and onset:
            onsets.setdefault(entry.concept, []).append(onset)
        if entry.implies:
            implied.setdefault(entry.concept, set()).add(entry.implies)


def _onset(cond: dict, birth: date | None) -> date | None:
    start, _ = period_bounds(cond, "onset")
    if start:
        return start
    onset_age = cond.get("onsetAge")
    if isinstance(onset_age, dict) and isinstance(onset_age.get("value"), (int, float)) and birth:
        return add_years(birth, onset_age["value"])
    return fhir_date(cond.get("recordedDate"))


def _read_procedures(facts: Facts, procedures: list[dict]) -> list[tuple[date | None, date | None, Evidence]]:
    therapy_concept = facts.tables.derived["conservative_therapy"]["therapy_concept"]
    therapy = []
    for proc, hits in _coded(facts.tables, procedures, "procedure"):
        if _unreadable(facts, proc, hits):
            continue
        if _text(proc.get("status")) not in PROCEDURE_DONE:
            continue
        start, end = period_bounds(proc, "performed")
        for entry, coding in hits:
            ev = _evidence(entry, "procedure", coding, start, _ref(proc))
            if entry.concept == therapy_concept:
                therapy.append((start, end or start, ev))
            else:
                facts.add(ev)
    return therapy


def _concept_texts(concept: object) -> list[str]:
    if not isinstance(concept, dict):
        return []
    return [_text(concept.get("text"))] + [_text(c.get("display")) for c in dicts(concept.get("coding"))]


def _medication_text(med: dict) -> str:
    parts = _concept_texts(med.get("medicationCodeableConcept"))
    for dose in dicts(med.get("dosageInstruction")) + dicts(med.get("dosage")):
        parts += _concept_texts(dose.get("route"))
    return " ".join(parts).lower()


def _read_medications(facts: Facts, meds: list[dict]) -> list[tuple[date, date, Evidence]]:
    cfg = facts.tables.derived["steroids"]
    spec = facts.tables.concepts[cfg["medication_concept"]]
    spans = []
    for med in meds:
        concept = med.get("medicationCodeableConcept")
        hits = _coded_entries(facts.tables, concept, "medication")
        text = _medication_text(med)
        named = any(n in text for n in spec.get("names", ()))
        if not hits and not named:
            continue
        if any(x in text for x in spec.get("exclude_names", ())):
            continue  # topical, inhaled or other non-systemic forms
        if _unreadable(facts, med, hits) or _text(med.get("status")) not in MEDICATION_TAKEN:
            continue
        if med.get("resourceType") == "MedicationStatement":
            start, end = period_bounds(med, "effective")
            start = start or fhir_date(med.get("dateAsserted"))
        else:
            start = fhir_date(med.get("authoredOn"))
            dispense = med.get("dispenseRequest")
            validity = dispense.get("validityPeriod") if isinstance(dispense, dict) else None
            end = fhir_date(validity.get("end")) if isinstance(validity, dict) else None
        if start is None:
            continue
        if med.get("status") == "active":
            end = max(end or start, facts.today)  # still being taken
        elif end is None:
            end = start
        display = next((t for t in _concept_texts(concept) if t), "systemic corticosteroid")
        spans.append((start, end, Evidence(cfg["concept"], "medication", display, date=start, reference=_ref(med))))
    return spans


def _derive_durations(facts: Facts, onsets: dict[str, list[date]], implied: dict[str, set[str]]) -> None:
    acute_days = facts.tables.derived["acute_days"]
    for concept in facts.tables.duration_concepts:
        acute, chronic = f"{concept}:acute", f"{concept}:subacute-or-chronic"
        present = facts.state(concept)
        if present is not True:
            facts.derived[acute] = facts.derived[chronic] = present
            continue
        hints = implied.get(concept, set())
        earliest = min(onsets[concept]) if onsets.get(concept) else None
        if "chronic" in hints:
            is_acute = False
        elif earliest is not None:
            is_acute = (facts.today - earliest).days < acute_days
        elif "acute" in hints:
            is_acute = True
        else:
            facts.derived[acute] = facts.derived[chronic] = None
            continue
        facts.derived[acute], facts.derived[chronic] = is_acute, not is_acute
        if earliest is not None:
            days = (facts.today - earliest).days
            facts.add(Evidence(acute if is_acute else chronic, "condition",
                               f"pain since {days} days before the order (earliest documented onset)", date=earliest))
        else:
            facts.add(Evidence(acute if is_acute else chronic, "reason", f"coded as {'acute' if is_acute else 'chronic'}"))


def _derive_conservative_failure(facts: Facts, therapy: list, onsets: dict[str, list[date]]) -> None:
    cfg = facts.tables.derived["conservative_therapy"]
    concept = cfg["concept"]
    pain = [facts.state(c) for c in facts.tables.duration_concepts]
    pain_onset = min((d for c in facts.tables.duration_concepts for d in onsets.get(c, ())), default=None)
    course = [t for t in therapy if t[0] and (pain_onset is None or (t[1] or t[0]) >= pain_onset)]
    if course:
        start = min(t[0] for t in course)
        end = max(t[1] or t[0] for t in course)
        if (end - start).days >= cfg["min_days"] and True in pain:
            facts.derived[concept] = True
            for _, _, ev in course:
                facts.add(Evidence(concept, "procedure", ev.display, ev.system, ev.code, ev.date, ev.reference))
            facts.add(Evidence(concept, "procedure", f"conservative therapy course of {(end - start).days} days"))
            return
    if True not in pain:
        facts.derived[concept] = False if False in pain and None not in pain else None
    else:
        facts.derived[concept] = False if "procedure" in facts.parts_read else None


def _derive_steroid_use(facts: Facts, spans: list[tuple[date, date, Evidence]]) -> None:
    cfg = facts.tables.derived["steroids"]
    concept = cfg["concept"]
    if facts.evidence.get(concept):
        return  # coded on the problem list (e.g. Z79.52)
    if spans:
        start, end = min(s[0] for s in spans), max(s[1] for s in spans)
        if (end - start).days >= cfg["min_days"]:
            facts.derived[concept] = True
            for s in spans:
                facts.add(s[2])
            return
    if concept in facts.tainted:
        facts.derived[concept] = None
    else:
        facts.derived[concept] = False if {"medication", "condition"} <= facts.parts_read else None
