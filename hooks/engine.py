"""Everything a hook needs that is built once at start-up: criteria, code tables, options."""
from __future__ import annotations

from dataclasses import dataclass, field

from criteria import Criteria, CriteriaError, load_criteria
from criteria.matcher import DEFAULT_WARN_CONFIDENCES
from fhir_mappings.codes import CodeTables, code_tables
from fhir_mappings.parsing import warm_r4_validation


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
        warm_r4_validation()
        criteria = load_criteria(options.criteria_packs)
        return cls(criteria, tables_for(criteria), options)


def tables_for(criteria: Criteria) -> CodeTables:
    """The bundled code tables, with the code files of the loaded packs merged in; every mapped procedure must exist."""
    extra = [f for pack in criteria.packs for f in pack.code_files]
    tables = CodeTables(extra) if extra else code_tables()
    unknown = sorted(set(tables.procedure_ids) - set(criteria.procedures))
    if unknown:
        raise CriteriaError(f"code tables map codes to procedures no criteria pack defines: {', '.join(unknown)}")
    return tables
