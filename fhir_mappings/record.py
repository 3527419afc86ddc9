"""The patient's record as the hook received it: which parts were read, what was in them, what could not be read."""
from __future__ import annotations

from dataclasses import dataclass, field

# prefetch key -> the record part it fills; a part counts as read only when every key of it was read
PREFETCH_PARTS = {
    "patient": "patient",
    "conditions": "condition",
    "procedures": "procedure",
    "medicationRequests": "medication",
    "medicationStatements": "medication",
}
PART_TYPES = {  # tuples: membership compares by equality, so a non-string resourceType is simply not found
    "patient": ("Patient",),
    "condition": ("Condition",),
    "procedure": ("Procedure",),
    "medication": ("MedicationRequest", "MedicationStatement"),
}
PART_LABELS = {
    "patient": "patient demographics",
    "condition": "problem list (Conditions)",
    "procedure": "procedure history",
    "medication": "medication history",
}


@dataclass
class PatientRecord:
    resources: dict[str, list[dict]] = field(default_factory=lambda: {p: [] for p in PART_TYPES})
    keys_read: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    @property
    def parts_read(self) -> set[str]:
        unread = {part for key, part in PREFETCH_PARTS.items() if key not in self.keys_read}
        return {part for part in PART_TYPES if part not in unread}

    def missing_keys(self) -> list[str]:
        return [k for k in PREFETCH_PARTS if k not in self.keys_read]

    def add(self, key: str, value: object) -> None:
        """Take one prefetch value (or fetched result): a resource, a searchset Bundle, null, or an OperationOutcome.

        null means the client has no data: the part is read and empty. An OperationOutcome or anything that is
        not a resource counts as absent. A Bundle with a 'next' link is partial: its resources count as evidence,
        but the part is not complete.
        """
        part = PREFETCH_PARTS.get(key)
        if part is None:
            return
        if value is None:
            self.keys_read.add(key)
            return
        if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
            self.notes.append(f"prefetch '{key}' was not a FHIR resource and was not read")
            return
        rtype = value["resourceType"]
        if rtype == "OperationOutcome":
            self.notes.append(f"prefetch '{key}' was an OperationOutcome (the EHR could not supply it)")
            return
        if rtype == "Bundle":
            entries = value.get("entry") or []
            if not isinstance(entries, list):
                self.notes.append(f"prefetch '{key}' Bundle.entry was not a list and was not read")
                return
            self._take_entries(part, entries)
            links = value.get("link") if isinstance(value.get("link"), list) else []
            if any(isinstance(link, dict) and link.get("relation") == "next" for link in links):
                self.notes.append(f"prefetch '{key}' had more pages than were sent; only the first was read")
                return
            self.keys_read.add(key)
            return
        if rtype in PART_TYPES[part]:
            self.resources[part].append(value)
            self.keys_read.add(key)
        else:
            self.notes.append(f"prefetch '{key}' held a {rtype}, not the expected resource type")

    def add_incomplete(self, key: str, entries: list, note: str) -> None:
        """Search results that could be read only in part: evidence, but the key stays unread (absence unknown)."""
        part = PREFETCH_PARTS.get(key)
        if part is not None:
            self._take_entries(part, entries)
            self.notes.append(note)

    def _take_entries(self, part: str, entries: list) -> None:
        types, kept = PART_TYPES[part], self.resources[part]
        for e in entries:
            res = e.get("resource") if isinstance(e, dict) else None
            if isinstance(res, dict) and res.get("resourceType") in types:
                kept.append(res)


def record_from_prefetch(prefetch: object) -> PatientRecord:
    record = PatientRecord()
    if isinstance(prefetch, dict):
        for key, value in prefetch.items():
            record.add(key, value)
    return record
