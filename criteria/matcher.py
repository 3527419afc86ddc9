"""Which variants fit, and how the ordered procedure rates in them.

Rules (all data-independent):
- A variant whose condition is true is *matched*; one whose condition is unknown (facts missing) is *possible*.
  A variant that `requires` a documented finding (a fracture seen on earlier imaging) is only considered when
  that finding is documented: an undocumented imaging finding is not assumed.
- A variant that rates only part of its topic's procedures (imaging vs treatment variants) is not asked about others.
- A matched variant removes the variants it `displaces` (red flags displace the uncomplicated variants).
- The order is judged against every matched and possible variant left (benefit of the doubt):
  warned on only when it is usually not appropriate in every one of them (and each such cell is of a confidence
  allowed to warn); rated appropriate when a matched variant, or every remaining variant, rates it appropriate;
  otherwise the rating is unknown. No variant at all: no criteria apply.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, NamedTuple

from criteria.expressions import FALSE, LEVEL, TRUE, UNKNOWN
from criteria.model import Category, Cell, Criteria, Procedure, Topic, Variant

Outcome = Literal["not-appropriate", "appropriate", "unknown", "no-criteria-apply"]
DEFAULT_WARN_CONFIDENCES = frozenset({"confirmed", "secondary", "inferred"})


# Considered, Alternative and OtherVariant are tuples, not dataclasses: several are built for every order rated,
# and a frozen dataclass costs twice as much to build

class Considered(NamedTuple):
    topic: Topic
    variant: Variant
    procedure_id: str            # the topic's procedure the order resolved to
    status: Literal["matched", "possible"]
    because: frozenset[str]      # concepts documented true that the variant's condition used
    unknown: frozenset[str]      # concepts that could not be checked
    cell: Cell


class Alternative(NamedTuple):
    procedure: Procedure
    category: Category           # worst category across the considered variants
    rating: int | None           # lowest known numeric rating across them
    cells: tuple[Cell, ...]


class OtherVariant(NamedTuple):
    """A variant that does not fit now but would rate the order differently: 'what would change the answer'."""
    topic: Topic
    variant: Variant
    cell: Cell
    displaced_by: str | None


@dataclass(frozen=True, slots=True)
class Assessment:
    procedure: Procedure
    topics: tuple[Topic, ...]
    considered: tuple[Considered, ...]
    outcome: Outcome
    category: Category
    alternatives: tuple[Alternative, ...]
    no_imaging: tuple[str, ...]   # considered variants in which no procedure is rated appropriate
    others: tuple[OtherVariant, ...]

    @property
    def warn(self) -> bool:
        return self.outcome == "not-appropriate"


def concretize(criteria: Criteria, procedure: Procedure, region: str) -> Procedure:
    """An area-of-interest procedure made concrete for the ordered region, when the catalogue has it."""
    if region not in criteria.region_groups.get(procedure.region, ()):
        return procedure
    for p in criteria.procedures.values():
        if (p.modality, p.contrast, p.region, p.kind) == (procedure.modality, procedure.contrast, region, procedure.kind):
            return p
    return procedure


def assess(criteria: Criteria, procedure_id: str, state: Callable[[str], bool | None], *,
           warn_confidences: frozenset[str] = DEFAULT_WARN_CONFIDENCES) -> Assessment:
    ordered = criteria.procedures[procedure_id]
    route = criteria.route(procedure_id)
    levels = {concept: LEVEL[state(concept)] for concept in route.concepts}
    topics, candidates, ruled_out = [], [], []
    for topic, pid in route.topics:
        topics.append(topic)
        for variant in topic.variants_rating[pid]:  # not e.g. a treatment variant, for an imaging order
            level = variant.test(levels)
            if level == FALSE or any(levels[c] != TRUE for c in variant.requires):
                ruled_out.append(OtherVariant(topic, variant, variant.cell(pid), None))
                continue
            candidates.append(Considered(topic, variant, pid, "matched" if level == TRUE else "possible",
                                         frozenset(c for c in variant.supporting if levels[c] == TRUE),
                                         frozenset(c for c in variant.when_concepts if levels[c] == UNKNOWN),
                                         variant.cell(pid)))
    displaced_by = {d: c.variant.id for c in candidates if c.status == "matched" for d in c.variant.displaces}
    considered = [c for c in candidates if c.variant.id not in displaced_by]
    considered.sort(key=lambda c: c.status != "matched")
    ruled_out += [OtherVariant(c.topic, c.variant, c.cell, displaced_by[c.variant.id])
                  for c in candidates if c.variant.id in displaced_by]

    outcome, category = _outcome(considered, warn_confidences)
    alternatives, no_imaging = (), ()
    if outcome == "not-appropriate":
        no_imaging = tuple(c.variant.id for c in considered if not c.variant.rates_some_study_appropriate)
        alternatives = _alternatives(criteria, ordered, [c for c in considered if c.variant.rates_some_study_appropriate])
    others = tuple(o for o in ruled_out
                   if o.cell.category.rank is not None and o.cell.category.rank != category.rank
                   and o.cell.category.is_appropriate != category.is_appropriate)
    return Assessment(ordered, tuple(topics), tuple(considered), outcome, category, alternatives, no_imaging, others)


def _outcome(considered: list[Considered], warn_confidences: frozenset[str]) -> tuple[Outcome, Category]:
    if not considered:
        return "no-criteria-apply", Category.UNKNOWN
    cats = [c.cell.category for c in considered]
    if all(cat is Category.USUALLY_NOT_APPROPRIATE for cat in cats):
        if all(c.cell.confidence in warn_confidences for c in considered):
            return "not-appropriate", Category.USUALLY_NOT_APPROPRIATE
        return "unknown", Category.UNKNOWN
    matched_ok = [cat for c, cat in zip(considered, cats) if c.status == "matched" and cat.is_appropriate]
    if matched_ok or all(cat.is_appropriate for cat in cats):
        pool = matched_ok or cats
        return "appropriate", max(pool, key=lambda cat: cat.rank)
    return "unknown", Category.UNKNOWN


def _alternatives(criteria: Criteria, ordered: Procedure, considered: list[Considered]) -> tuple[Alternative, ...]:
    """Procedures rated best in every given variant: usually appropriate ones if any, else may-be ones.

    Called with the considered variants in which some imaging is appropriate; variants where none is are
    answered by 'no imaging now' instead. Candidates are made concrete for the ordered region and looked up in
    each considered variant's topic the way the order was (so a lumbar MRI counts as the 'MRI spine area of
    interest' of another topic); a candidate some considered variant does not rate is never suggested.
    """
    if not considered:
        return ()
    candidates: dict[str, Procedure] = {}
    for c in considered:
        for pid in c.topic.procedures:
            if c.variant.rates(pid):
                proc = concretize(criteria, criteria.procedures[pid], ordered.region)
                candidates.setdefault(proc.id, proc)
    scored = []
    for proc in candidates.values():
        if proc.id == ordered.id:
            continue
        cells = []
        for c in considered:
            pid = criteria.resolve(c.topic, proc)
            if pid is None or not c.variant.rates(pid):
                break
            cells.append(c.variant.cell(pid))
        if len(cells) != len(considered) or any(cell.category.rank is None for cell in cells):
            continue  # unknown somewhere, or not rated for every considered variant: never suggested
        worst = min((cell.category for cell in cells), key=lambda cat: cat.rank)
        if not worst.is_appropriate:
            continue
        ratings = [cell.rating for cell in cells if cell.rating is not None]
        scored.append(Alternative(proc, worst, min(ratings) if ratings else None, tuple(cells)))
    if not scored:
        return ()
    best_rank = max(a.category.rank for a in scored)
    best = [a for a in scored if a.category.rank == best_rank]

    def rrl_key(a: Alternative) -> int:
        level = a.procedure.rrl_adult
        return level if isinstance(level, int) else 9

    best.sort(key=lambda a: (-(a.rating or 0), rrl_key(a)))
    return tuple(best)
