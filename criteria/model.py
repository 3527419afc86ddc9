"""Immutable in-memory form of a criteria pack."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

from criteria.expressions import Test, compile_test, concepts_of, supporting_concepts


class Category(str, Enum):
    USUALLY_APPROPRIATE = "usually-appropriate"
    MAY_BE_APPROPRIATE = "may-be-appropriate"
    MAY_BE_APPROPRIATE_DISAGREEMENT = "may-be-appropriate-disagreement"
    USUALLY_NOT_APPROPRIATE = "usually-not-appropriate"
    UNKNOWN = "unknown"

    # cached per member: read for every cell the matcher looks at, and a dict lookup keyed on a member is slow
    @cached_property
    def rank(self) -> int | None:
        """Higher is better; None for unknown (never compared as if known)."""
        return _RANK[self]

    @cached_property
    def label(self) -> str:
        return _LABEL[self]

    @cached_property
    def is_appropriate(self) -> bool:
        return self.rank is not None and self.rank >= 2


_RANK = {
    Category.USUALLY_APPROPRIATE: 4,
    Category.MAY_BE_APPROPRIATE: 3,
    Category.MAY_BE_APPROPRIATE_DISAGREEMENT: 2,
    Category.USUALLY_NOT_APPROPRIATE: 1,
    Category.UNKNOWN: None,
}
_LABEL = {
    Category.USUALLY_APPROPRIATE: "Usually appropriate",
    Category.MAY_BE_APPROPRIATE: "May be appropriate",
    Category.MAY_BE_APPROPRIATE_DISAGREEMENT: "May be appropriate (disagreement)",
    Category.USUALLY_NOT_APPROPRIATE: "Usually not appropriate",
    Category.UNKNOWN: "Unknown",
}

RRL_ADULT_BANDS = {0: "0 mSv", 1: "<0.1 mSv", 2: "0.1-1 mSv", 3: "1-10 mSv", 4: "10-30 mSv", 5: "30-100 mSv"}
RRL_PEDIATRIC_BANDS = {0: "0 mSv", 1: "<0.03 mSv", 2: "0.03-0.3 mSv", 3: "0.3-3 mSv", 4: "3-10 mSv", 5: "10-30 mSv"}


def rrl_text(level: int | str | None, pediatric: bool = False) -> str:
    """Human text for a relative radiation level, e.g. '☢☢☢ (1-10 mSv)'."""
    if level is None:
        return "not stated"
    if level == "varies":
        return "varies with region"
    if level == 0:
        return "O (no ionising radiation)"
    bands = RRL_PEDIATRIC_BANDS if pediatric else RRL_ADULT_BANDS
    return f"{'☢' * level} ({bands[level]})"


@dataclass(frozen=True, slots=True)
class Procedure:
    id: str
    name: str
    kind: str
    modality: str
    region: str
    contrast: str
    rrl_adult: int | str | None
    rrl_pediatric: int | str | None


@dataclass(frozen=True, slots=True)
class Cell:
    category: Category
    confidence: str
    sources: tuple[str, ...]
    rating: int | None = None
    rrl_adult: int | str | None = None
    rrl_pediatric: int | str | None = None
    note: str | None = None
    pack: str = ""

    def rrl(self, pediatric: bool) -> int | str | None:
        return self.rrl_pediatric if pediatric else self.rrl_adult


UNKNOWN_CELL = Cell(Category.UNKNOWN, "unknown", ("none",))


@dataclass(frozen=True, slots=True)
class Variant:
    id: str
    topic_id: str
    number: int | None
    title: str
    short: str
    when: object  # compiled expression, see criteria.expressions
    displaces: tuple[str, ...]
    assumptions: tuple[str, ...]
    cells: dict[str, Cell]
    procedures: tuple[str, ...] = ()  # empty: the variant rates every procedure of its topic
    requires: tuple[str, ...] = ()    # concepts that must be documented for the variant to be considered
    # derived once, here, so that rating a record does no more than read them:
    concepts: frozenset[str] = field(init=False)         # every concept the variant looks at
    test: Test = field(init=False, repr=False, compare=False)  # `when` as a function of the concept levels
    when_concepts: tuple[str, ...] = field(init=False, repr=False)  # the concepts `when` looks at
    supporting: tuple[str, ...] = field(init=False, repr=False)     # those that, documented, support a match
    rates_some_study_appropriate: bool = field(init=False, repr=False)
    # how people see it named: 'variant 3', or its id where the ACR number is not confirmed
    label: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        when_concepts = tuple(dict.fromkeys(concepts_of(self.when)))
        object.__setattr__(self, "concepts", frozenset((*when_concepts, *self.requires)))
        object.__setattr__(self, "test", compile_test(self.when))
        object.__setattr__(self, "when_concepts", when_concepts)
        object.__setattr__(self, "supporting", tuple(dict.fromkeys(supporting_concepts(self.when))))
        object.__setattr__(self, "rates_some_study_appropriate",
                           any(cell.category.is_appropriate for cell in self.cells.values()))
        object.__setattr__(self, "label", f"variant {self.number}" if self.number else self.id)

    def cell(self, procedure_id: str) -> Cell:
        return self.cells.get(procedure_id, UNKNOWN_CELL)

    def rates(self, procedure_id: str) -> bool:
        """Whether the variant is a question about this procedure at all (imaging vs treatment variants)."""
        return not self.procedures or procedure_id in self.procedures


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: str
    version: str
    url: str
    citation: str
    acr_topic_id: int | None
    procedures: tuple[str, ...]
    variants: tuple[Variant, ...]
    notes: tuple[str, ...] = ()
    concepts: frozenset[str] = field(init=False)  # every concept its variants look at (derived)
    # procedure id -> the variants that rate it (derived)
    variants_rating: dict[str, tuple[Variant, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "concepts", frozenset().union(*(v.concepts for v in self.variants)))
        object.__setattr__(self, "variants_rating",
                           {pid: tuple(v for v in self.variants if v.rates(pid)) for pid in self.procedures})


@dataclass(frozen=True, slots=True)
class PackInfo:
    name: str
    version: str
    title: str
    licence: str
    path: str
    code_files: tuple[tuple[str, str], ...] = ()  # (table kind, file path) for fhir_mappings to merge


@dataclass(frozen=True, slots=True)
class Route:
    """How an ordered procedure is asked about: in which topics, as which of their procedures."""
    topics: tuple[tuple[Topic, str], ...]  # (topic, the topic's procedure the ordered one counts as)
    concepts: tuple[str, ...]              # every concept the variants rating it there look at
    red_flags: tuple[str, ...]             # the red-flag concepts those topics look at, sorted


@dataclass(frozen=True)
class Criteria:
    procedures: dict[str, Procedure]
    concepts: dict[str, dict]
    topics: dict[str, Topic]
    sources: dict[str, dict]
    region_groups: dict[str, tuple[str, ...]]
    packs: tuple[PackInfo, ...]

    def concept_display(self, concept: str) -> str:
        return self._displays.get(concept, concept)

    @cached_property
    def _displays(self) -> dict[str, str]:
        return {k: spec.get("display", k) for k, spec in self.concepts.items()}

    def resolve(self, topic: Topic, ordered: Procedure) -> str | None:
        """The topic's procedure that an ordered procedure counts as (exact, or an area-of-interest procedure)."""
        if ordered.id in topic.procedures:
            return ordered.id
        for pid in topic.procedures:
            p = self.procedures[pid]
            if (p.modality == ordered.modality and p.contrast == ordered.contrast
                    and ordered.region in self.region_groups.get(p.region, ())):
                return pid
        return None

    def route(self, procedure_id: str) -> Route:
        return self._routes[procedure_id]

    @cached_property
    def _routes(self) -> dict[str, Route]:
        """resolve() for every procedure and topic, worked out once."""
        routes = {}
        for procedure in self.procedures.values():
            resolved = ((topic, self.resolve(topic, procedure)) for topic in self.topics.values())
            topics = tuple((topic, pid) for topic, pid in resolved if pid is not None)
            concepts = {c: None for topic, pid in topics for v in topic.variants_rating[pid] for c in v.concepts}
            red_flags = {c for topic, _ in topics for c in topic.concepts if self.concepts[c].get("red_flag")}
            routes[procedure.id] = Route(topics, tuple(concepts), tuple(sorted(red_flags)))
        return routes
