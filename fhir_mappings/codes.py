"""Code tables loaded once: coded concepts, orderable procedures, and the code systems accepted on the wire."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import jsonschema

TABLES = Path(__file__).with_name("tables")
LOOKUP_MEMO_SIZE = 20_000  # (system, code) answers remembered per process; codes seen on the wire repeat
TABLE_FILES = {"systems": "systems.json", "procedure_codes": "procedure-codes.json", "findings": "findings.json"}
_DEFINITIONS = {"systems": "systemsFile", "procedure_codes": "procedureCodesFile", "findings": "findingsFile"}


class CodeTableError(ValueError):
    """A code table file (bundled or from a criteria pack) that cannot be used; names the file and JSON path."""


def _load(name: str) -> dict:
    return json.loads((TABLES / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _schema() -> dict:
    return _load("code-tables.schema.json")


def read_table(kind: str, path: str | Path) -> dict:
    """One code table file, checked against code-tables.schema.json."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CodeTableError(f"{path}: cannot be read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise CodeTableError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    validator = jsonschema.Draft202012Validator({**_schema(), "$ref": f"#/$defs/{_DEFINITIONS[kind]}"})
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise CodeTableError(f"{path}: {error.json_path}: {error.message}")
    return data


def _merge(base: dict, kind: str, extra: dict, path: str) -> None:
    """Add a pack's table to the bundled one: new codes are added, a code already mapped is re-mapped."""
    if kind == "systems":
        for key in ("systems", "canonical"):
            base[key].update(extra.get(key, {}))
        base["prefix_systems"] = sorted(set(base["prefix_systems"]) | set(extra.get("prefix_systems", ())))
    elif kind == "procedure_codes":
        for pid, codes in extra["procedures"].items():
            taken = {(c["system"], c["code"]) for c in codes}
            for others in base["procedures"].values():
                others[:] = [c for c in others if (c["system"], c["code"]) not in taken]
            base["procedures"].setdefault(pid, []).extend(codes)
    else:
        for concept, spec in extra["concepts"].items():
            if concept in base["concepts"]:
                base["concepts"][concept]["codes"] = base["concepts"][concept]["codes"] + spec["codes"]
            elif "in" not in spec or "record_sources" not in spec:
                raise CodeTableError(f"{path}: $.concepts.{concept}: a new concept needs 'in' and 'record_sources'")
            else:
                base["concepts"][concept] = spec


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

    def __init__(self, extra_files: Iterable[tuple[str, str]] = ()) -> None:
        """The bundled tables, plus (kind, path) files from criteria packs merged in order."""
        tables = {kind: _load(name) for kind, name in TABLE_FILES.items()}
        for kind, path in extra_files:
            if kind not in TABLE_FILES:
                raise CodeTableError(f"{path}: unknown code table kind '{kind}'")
            _merge(tables[kind], kind, read_table(kind, path), path)
        self.raw = tables  # merged table data, for generated documentation
        systems = tables["systems"]
        self.system_names: dict[str, str] = systems["systems"]
        self.canonical: dict[str, str] = systems["canonical"]
        self.prefix_systems = frozenset(systems["prefix_systems"])

        findings = tables["findings"]
        self.concepts: dict[str, dict] = findings["concepts"]
        self.derived: dict = findings["derived"]
        self._findings: dict[tuple[str, str], tuple[CodeEntry, ...]] = {}
        for concept, spec in self.concepts.items():
            default_in = frozenset(spec["in"])
            for c in spec["codes"]:
                code = c.get("code") or c["prefix"]
                entry = CodeEntry(concept, c["system"], code, c["display"],
                                  frozenset(c.get("in", default_in)), c.get("implies"))
                key = (c["system"], normalise(c["system"], code))
                self._findings[key] = (*self._findings.get(key, ()), entry)
        # concept -> record parts that must be read to call it absent (never_absent concepts: none suffice)
        self.absence_sources = {k: frozenset(v["record_sources"]) for k, v in self.concepts.items()
                                if not v.get("never_absent")}
        self.duration_concepts = tuple(k for k, v in self.concepts.items() if v.get("duration"))
        # (system URI, code) -> findings_for's answer, for the codes seen so far (read directly by the facts scan)
        self.remembered: dict[tuple[str, str], tuple[CodeEntry, ...]] = {}

        procs = tables["procedure_codes"]
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

    @property
    def procedure_ids(self) -> tuple[str, ...]:
        return tuple(self._by_procedure)

    def system_name(self, uri: str | None) -> str | None:
        return self.system_names.get(uri) if isinstance(uri, str) else None

    def findings_for(self, system_uri: str | None, code: str | None) -> tuple[CodeEntry, ...]:
        key = (system_uri, code)
        try:
            hits = self.remembered.get(key)  # not [key]: a KeyError for every code not seen before costs more
        except TypeError:  # unhashable, so not a string
            return ()
        if hits is None:
            hits = self._lookup_findings(system_uri, code) if isinstance(system_uri, str) and isinstance(code, str) else ()
            if len(self.remembered) < LOOKUP_MEMO_SIZE:
                self.remembered[key] = hits
        return hits

    def _lookup_findings(self, system_uri: str, code: str) -> tuple[CodeEntry, ...]:
        system = self.system_names.get(system_uri)
        if not system or not code:
            return ()
        norm = normalise(system, code)
        if system not in self.prefix_systems:
            return self._findings.get((system, norm), ())
        hits: tuple[CodeEntry, ...] = ()
        for n in range(1, len(norm) + 1):
            hits += self._findings.get((system, norm[:n]), ())
        return hits

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
