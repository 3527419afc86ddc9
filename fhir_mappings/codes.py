"""Code tables loaded once: coded concepts, orderable procedures, and the code systems accepted on the wire."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TABLES = Path(__file__).with_name("tables")
LOOKUP_MEMO_SIZE = 20_000  # (system, code) answers remembered per process; codes seen on the wire repeat


def _load(name: str) -> dict:
    return json.loads((TABLES / name).read_text(encoding="utf-8"))


def normalise(system: str, code: str) -> str:
    code = code.strip().upper()
    return code.replace(".", "") if system in ("icd10cm", "atc") else code


@dataclass(frozen=True, slots=True)
class CodeEntry:
    concept: str
    system: str
    code: str            # as written in the table (prefix for prefix systems)
    display: str
    in_: frozenset[str]  # where this code may establish the concept
    implies: str | None  # 'acute' / 'chronic' for pain codes


@dataclass(frozen=True, slots=True)
class ProcedureCode:
    procedure: str
    system: str
    code: str
    display: str
    preferred: bool


class CodeTables:
    """Indexes built once at start-up; lookups are dict hits (prefix systems try each prefix length)."""

    def __init__(self) -> None:
        systems = _load("systems.json")
        self.system_names: dict[str, str] = systems["systems"]
        self.canonical: dict[str, str] = systems["canonical"]
        self.prefix_systems = frozenset(systems["prefix_systems"])

        findings = _load("findings.json")
        self.concepts: dict[str, dict] = findings["concepts"]
        self.derived: dict = findings["derived"]
        self._findings: dict[tuple[str, str], list[CodeEntry]] = {}
        for concept, spec in self.concepts.items():
            default_in = frozenset(spec["in"])
            for c in spec["codes"]:
                code = c.get("code") or c["prefix"]
                entry = CodeEntry(concept, c["system"], code, c["display"],
                                  frozenset(c.get("in", default_in)), c.get("implies"))
                self._findings.setdefault((c["system"], normalise(c["system"], code)), []).append(entry)
        self.duration_concepts = tuple(k for k, v in self.concepts.items() if v.get("duration"))
        self._memo: dict[tuple[str, str], tuple[CodeEntry, ...]] = {}

        procs = _load("procedure-codes.json")
        self._procedures: dict[tuple[str, str], ProcedureCode] = {}
        self._by_procedure: dict[str, list[ProcedureCode]] = {}
        for pid, codes in procs["procedures"].items():
            for c in codes:
                pc = ProcedureCode(pid, c["system"], c["code"], c["display"], c.get("preferred", False))
                self._procedures[(c["system"], c["code"])] = pc
                self._by_procedure.setdefault(pid, []).append(pc)
        recog = procs["imaging_recognition"]
        self._cpt_ranges = [tuple(r) for r in recog["cpt_ranges"]]
        self._imaging_categories = {(c["system"], c["code"]) for c in recog["categories"]}

    def system_name(self, uri: str | None) -> str | None:
        return self.system_names.get(uri) if isinstance(uri, str) else None

    def findings_for(self, system_uri: str | None, code: str | None) -> tuple[CodeEntry, ...]:
        try:
            return self._memo[(system_uri, code)]
        except KeyError:
            pass
        except TypeError:  # unhashable, so not a string
            return ()
        hits = self._lookup_findings(system_uri, code) if isinstance(system_uri, str) and isinstance(code, str) else ()
        if len(self._memo) < LOOKUP_MEMO_SIZE:
            self._memo[(system_uri, code)] = hits
        return hits

    def _lookup_findings(self, system_uri: str, code: str) -> tuple[CodeEntry, ...]:
        system = self.system_name(system_uri)
        if not system or not code:
            return ()
        norm = normalise(system, code)
        if system not in self.prefix_systems:
            return tuple(self._findings.get((system, norm), ()))
        hits: list[CodeEntry] = []
        for n in range(1, len(norm) + 1):
            hits += self._findings.get((system, norm[:n]), ())
        return tuple(hits)

    def procedure_for(self, system_uri: str | None, code: str | None) -> ProcedureCode | None:
        system = self.system_name(system_uri)
        if not system or not isinstance(code, str):
            return None
        return self._procedures.get((system, code.strip()))

    def code_for_procedure(self, procedure_id: str, prefer_system: str | None = None) -> ProcedureCode | None:
        """The code to suggest for a procedure: the ordered code's system when the table has one, else CPT."""
        codes = self._by_procedure.get(procedure_id, [])
        for system in (prefer_system, "cpt", "loinc", "snomed"):
            pick = [c for c in codes if c.system == system]
            if pick:
                return next((c for c in pick if c.preferred), pick[0])
        return None

    def is_imaging_code(self, system_uri: str | None, code: str | None) -> bool:
        if self.procedure_for(system_uri, code):
            return True
        if self.system_name(system_uri) == "cpt" and isinstance(code, str) and len(code.strip()) == 5:
            c = code.strip()
            return any(lo <= c <= hi for lo, hi in self._cpt_ranges)
        return False

    def is_imaging_category(self, system_uri: str | None, code: str | None) -> bool:
        return isinstance(code, str) and (self.system_name(system_uri), code) in self._imaging_categories


@lru_cache(maxsize=1)
def code_tables() -> CodeTables:
    return CodeTables()
