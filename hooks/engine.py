"""Everything a hook needs that is built once at start-up: criteria, code tables, options."""
from __future__ import annotations

from dataclasses import dataclass, field

from criteria import Criteria, load_criteria
from criteria.matcher import DEFAULT_WARN_CONFIDENCES
from fhir_mappings.codes import CodeTables, code_tables
from fhir_mappings.parsing import warm_models


@dataclass(frozen=True)
class EngineOptions:
    elderly_age: int = 65
    info_cards: bool = False                   # cards for appropriate / unrated orders (off: alert fatigue)
    qcdsm_id: str = "imaging-cds"              # pama-rating-qcdsm-consulted
    warn_confidences: frozenset[str] = DEFAULT_WARN_CONFIDENCES
    criteria_packs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Engine:
    criteria: Criteria
    tables: CodeTables
    options: EngineOptions = field(default_factory=EngineOptions)
    # (procedure, concept states) -> Assessment: the matcher is a pure function of these (see rating.assess_order)
    assessments: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def create(cls, options: EngineOptions | None = None) -> "Engine":
        options = options or EngineOptions()
        warm_models()
        return cls(load_criteria(options.criteria_packs), code_tables(), options)
