"""Draft orders: which resources the EHR sent, and what study a ServiceRequest orders."""
from __future__ import annotations

from dataclasses import dataclass

from fhir_mappings.codes import CodeTables, ProcedureCode
from fhir_mappings.wire import codings


@dataclass(frozen=True, slots=True)
class DraftOrder:
    reference: str        # 'ServiceRequest/abc', as selections name it
    resource_type: str
    resource: dict


@dataclass(frozen=True, slots=True)
class OrderedStudy:
    imaging: bool                   # an imaging order at all (else ignored)
    code: ProcedureCode | None      # the coding that mapped to a criteria procedure
    coding: dict | None             # the first coding as sent, for display


def draft_orders(bundle: object) -> list[DraftOrder]:
    """Every entry resource of the draftOrders Bundle, read on its own (Bundle.type is often missing)."""
    orders = []
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
            continue
        rid = res.get("id")
        ref = f"{res['resourceType']}/{rid}" if isinstance(rid, str) and rid else (entry.get("fullUrl") or f"#entry{i}")
        orders.append(DraftOrder(ref, res["resourceType"], res))
    return orders


def ordered_study(tables: CodeTables, sr: dict) -> OrderedStudy:
    coded = codings(sr.get("code"))
    first = next((c for c in coded if c.get("code")), None)
    for c in coded:
        pc = tables.procedure_for(c.get("system"), c.get("code"))
        if pc:
            return OrderedStudy(True, pc, c)
    imaging = any(tables.is_imaging_code(c.get("system"), c.get("code")) for c in coded)
    categories = sr.get("category") if isinstance(sr.get("category"), list) else []
    imaging = imaging or any(tables.is_imaging_category(c.get("system"), c.get("code"))
                             for cat in categories for c in codings(cat))
    return OrderedStudy(imaging and first is not None, None, first)


def reason_codings(sr: dict) -> list[dict]:
    reasons = sr.get("reasonCode")
    return [c for r in (reasons if isinstance(reasons, list) else []) for c in codings(r)]


def reason_references(sr: dict) -> list[str]:
    refs = sr.get("reasonReference")
    out = []
    for r in refs if isinstance(refs, list) else []:
        ref = r.get("reference") if isinstance(r, dict) else None
        if isinstance(ref, str) and ref:
            out.append(ref)
    return out
