"""Properties of the mapping + matcher (the engine without HTTP), over generated patient records.

- any list of Conditions, however odd, never raises;
- adding a red-flag finding never turns a usually-appropriate rating into a warning;
- a resolved or refuted Condition never changes the answer;
and the hot-path shortcuts (the fast R4 check, the assessment memo) answer exactly what the slow code does.
"""
from __future__ import annotations

import copy
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings, strategies as st

from bench.workload import CPT, SNOMED, UNRELATED, bundle, condition, procedure, service_request
from criteria import assess
from criteria.model import Category
from fhir_mappings import parsing
from fhir_mappings.codes import code_tables
from fhir_mappings.facts import build_facts
from fhir_mappings.orders import DraftOrder
from fhir_mappings.record import PatientRecord
from hooks.engine import Engine
from hooks.rating import assess_order, rate

ENGINE = Engine.create()
TODAY = date(2026, 11, 23)
TABLES = code_tables()
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def _codes(predicate) -> list[tuple[str, str, str]]:
    """(system uri, code, display) of the findings table entries whose concept spec passes predicate."""
    out = []
    for concept, spec in TABLES.concepts.items():
        if not predicate(concept, spec):
            continue
        for c in spec["codes"]:
            code = c.get("code") or c["prefix"]
            out.append((TABLES.canonical[c["system"]], code, c["display"]))
    return out


RED_FLAG_CONCEPTS = {k for k, v in ENGINE.criteria.concepts.items() if v.get("red_flag")}
RED_FLAG_CODES = _codes(lambda k, s: k in RED_FLAG_CONCEPTS and "condition" in s["in"])
CONDITION_CODES = _codes(lambda k, s: "condition" in s["in"]) + UNRELATED
THERAPY_CODES = _codes(lambda k, s: k == "conservative-therapy")
STUDY_CODES = sorted({(TABLES.canonical[pc.system], pc.code, pc.display) for pc in TABLES._procedures.values()})
REASONS = [None, (SNOMED, "279039007", "Low back pain")] + _codes(lambda k, s: "reason" in s["in"])[:12]

days_ago = st.integers(0, 4000)


@st.composite
def conditions(draw, codes=CONDITION_CODES, statuses=("active", "recurrence", "relapse", "inactive", "resolved")):
    items = draw(st.lists(st.tuples(st.sampled_from(codes), days_ago, st.sampled_from(statuses),
                                    st.sampled_from(["confirmed", "provisional", "unconfirmed", "differential"])),
                          max_size=12))
    return [condition(f"c{i}", coding, onset, status=status, verification=ver)
            for i, (coding, onset, status, ver) in enumerate(items)]


@st.composite
def records(draw):
    """A record and the selected order: patient age, Conditions, conservative therapy, indication, study."""
    age_days = draw(st.integers(20 * 365, 90 * 365))
    conds = draw(conditions())
    therapy = [procedure(f"pr{i}", coding, start, length) for i, (coding, start, length) in enumerate(
        draw(st.lists(st.tuples(st.sampled_from(THERAPY_CODES), st.integers(0, 400), st.integers(0, 120)), max_size=3)))]
    reason = draw(st.sampled_from(REASONS))
    system, code, display = draw(st.sampled_from(STUDY_CODES))
    order = service_request("sr1", reason=reason)
    order["code"] = {"coding": [{"system": system, "code": code, "display": display}]}
    prefetch = {"patient": {"resourceType": "Patient", "id": "p1",
                            "birthDate": (TODAY - timedelta(days=age_days)).isoformat()},
                "conditions": bundle(conds), "procedures": bundle(therapy),
                "medicationRequests": bundle([]), "medicationStatements": bundle([])}
    return order, prefetch


def answer(order: dict, prefetch: dict):
    record = PatientRecord()
    for key, value in prefetch.items():
        record.add(key, value)
    r = rate(ENGINE, DraftOrder("ServiceRequest/sr1", "ServiceRequest", order), record, TODAY)
    if r is None or r.assessment is None:
        return (r.outcome if r else None, None, ())
    a = r.assessment
    return a.outcome, a.category, tuple((c.variant.id, c.status) for c in a.considered)


def with_conditions(prefetch: dict, extra: list[dict]) -> dict:
    out = copy.deepcopy(prefetch)
    entries = out["conditions"]["entry"]
    entries += [{"resource": dict(c, id=f"extra{i}")} for i, c in enumerate(extra)]
    return out


JUNK = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10)
                    | st.sampled_from(["2020", "2020-02-30", "active", "refuted", SNOMED, CPT, "279039007", "M81"]),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)
CONDITION_FIELDS = ["code", "clinicalStatus", "verificationStatus", "onsetDateTime", "onsetPeriod", "onsetAge",
                    "recordedDate", "id", "subject", "abatementDateTime", "resourceType"]


@st.composite
def odd_conditions(draw):
    """Well-formed Conditions with some fields replaced by arbitrary JSON, and arbitrary objects."""
    out = []
    for c in draw(conditions()):
        for name in draw(st.lists(st.sampled_from(CONDITION_FIELDS), max_size=3)):
            c[name] = draw(JUNK)
        out.append(c)
    out += draw(st.lists(st.dictionaries(st.sampled_from(CONDITION_FIELDS), JUNK, max_size=4), max_size=3))
    return out


@given(records(), odd_conditions())
@PROPS
def test_any_list_of_conditions_never_raises(case, odd):
    order, prefetch = case
    outcome, category, _ = answer(order, with_conditions(prefetch, odd))
    assert outcome in ("not-appropriate", "appropriate", "unknown", "no-criteria-apply", None)
    assert outcome != "not-appropriate" or category is Category.USUALLY_NOT_APPROPRIATE


@given(records(), st.sampled_from(RED_FLAG_CODES), days_ago)
@PROPS
def test_a_red_flag_never_turns_usually_appropriate_into_a_warning(case, flag, onset):
    order, prefetch = case
    before = answer(order, prefetch)
    after = answer(order, with_conditions(prefetch, [condition("flag", flag, onset)]))
    if before[1] is Category.USUALLY_APPROPRIATE:
        assert after[0] != "not-appropriate", (before, after)


@given(records(), conditions(statuses=("inactive", "resolved", "remission")), conditions())
@PROPS
def test_resolved_or_refuted_conditions_never_change_the_answer(case, resolved, refuted):
    order, prefetch = case
    for c in refuted:
        c["verificationStatus"]["coding"][0]["code"] = "refuted"
    before = answer(order, prefetch)
    assert answer(order, with_conditions(prefetch, resolved + refuted)) == before


def test_the_generators_reach_every_outcome():
    """Guards the properties above against vacuity: the generated records do produce warnings and ratings."""
    seen = set()

    @given(records())
    @settings(max_examples=300, deadline=None, derandomize=True)
    def collect(case):
        seen.add(answer(*case)[0])
    collect()
    assert {"not-appropriate", "appropriate", "unknown"} <= seen


# -- the hot-path shortcuts answer exactly what the slow code answers ---------------------------------------------


@given(odd_conditions())
@PROPS
def test_r4_validation_says_valid_exactly_when_the_models_do(odd):
    for resource in odd:
        if isinstance(resource.get("resourceType"), str) and resource["resourceType"] in parsing.MODELS:
            assert (parsing.r4_problem(resource) is None) == (parsing.model_problem(resource) is None)


@given(records())
@PROPS
def test_memoised_assessment_is_the_matchers_answer(case):
    order, prefetch = case
    record = PatientRecord()
    for key, value in prefetch.items():
        record.add(key, value)
    pc = next((TABLES.procedure_for(c["system"], c["code"]) for c in order["code"]["coding"]), None)
    if pc is None or pc.procedure not in ENGINE.criteria.procedures:
        return
    facts = build_facts(TABLES, order, record, TODAY)
    fresh = assess(ENGINE.criteria, pc.procedure, facts.state, warn_confidences=ENGINE.options.warn_confidences)
    assert assess_order(ENGINE, pc.procedure, facts) == fresh
    assert assess_order(ENGINE, pc.procedure, facts) == fresh   # second time from the memo
