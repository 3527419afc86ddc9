"""Input readers: Bundle files, single resources, Bulk Data NDJSON, directories of them, standard input.

Everything is grouped by patient. NDJSON is indexed in one pass that keeps, per patient, only the byte offset and line
number of each line of a type the replay reads (16 bytes each; other types are not kept); a patient's lines are read
back from disk when that patient is replayed. Memory grows with the number of such resources, not with their size.
A Bundle or single-resource JSON file is one JSON document and is parsed whole; its relevant resources stay in memory.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Iterator

import orjson

# the resource types a hook request is built from; other valid FHIR types are counted and skipped
READ_TYPES = ("Patient", "Condition", "Procedure", "MedicationRequest", "MedicationStatement", "ServiceRequest")
JSON_SUFFIXES = (".json",)
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
OFFSET_BITS = 40   # files up to 1 TB; the file number takes the high bits


@dataclass(frozen=True, slots=True)
class Problem:
    where: str      # 'file:line' or 'file entry[i]'
    message: str    # names fields and types, never patient data

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(slots=True)
class PatientGroup:
    """One patient's resources: (where, resource dict or raw NDJSON line) pairs, parsed by whoever replays them."""
    key: str
    items: list[tuple[str, dict | bytes]] = field(default_factory=list)


@lru_cache(maxsize=None)
def is_fhir_type(name: str) -> bool:
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.resource import Resource
    try:
        return issubclass(get_fhir_model_class(name), Resource)
    except (ValueError, KeyError, AttributeError, ImportError):
        return False


def patient_key(resource: dict, full_urls: dict[str, str] | None = None) -> str | None:
    """The patient a resource belongs to: Patient.id, or the id in subject.reference ('Patient/x', absolute, urn)."""
    if resource["resourceType"] == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) and rid else None
    subject = resource.get("subject")
    ref = subject.get("reference") if isinstance(subject, dict) else None
    if not isinstance(ref, str) or not ref:
        return None
    if full_urls and ref in full_urls:
        return full_urls[ref]
    parts = ref.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == "Patient" and parts[-1]:
        return parts[-1]
    return None


def classify(resource: object, where: str, problems: list[Problem], skipped: dict[str, int],
             full_urls: dict[str, str] | None = None) -> str | None:
    """The patient key of a resource the replay reads; None (with a problem or a skip count) otherwise."""
    if not isinstance(resource, dict):
        problems.append(Problem(where, "not a JSON object"))
        return None
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        problems.append(Problem(where, "no resourceType"))
        return None
    if rtype not in READ_TYPES:
        if not is_fhir_type(rtype):
            problems.append(Problem(where, f"unknown resource type '{rtype[:64]}'"))
        else:
            skipped[rtype] = skipped.get(rtype, 0) + 1
        return None
    key = patient_key(resource, full_urls)
    if key is None:
        field_name = "id" if rtype == "Patient" else "subject.reference"
        if rtype != "ServiceRequest":  # orders without a patient are reported when they are replayed, if imaging
            problems.append(Problem(where, f"{rtype} has no usable {field_name} (needed to group it by patient)"))
            return None
        key = ""
    return key


class Index:
    """Patient key -> where its resources are. Bundle/JSON resources are held; NDJSON lines are offsets."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self.held: dict[str, list[tuple[str, dict]]] = {}
        # flat (file no << 40 | byte offset, line no) pairs, 16 bytes each; the line no is negative for ServiceRequests
        self.offsets: dict[str, array] = {}
        self.order_count = 0                     # ServiceRequests seen (the progress bar's total)
        self.problems: list[Problem] = []
        self.skipped: dict[str, int] = {}
        self._handles: dict[int, BinaryIO] = {}
        self._tmp: list[str] = []

    # -- reading ------------------------------------------------------------------------------------------
    def add_path(self, path: str) -> None:
        if path == "-":
            self._add_stdin()
            return
        p = Path(path)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in JSON_SUFFIXES + NDJSON_SUFFIXES)
            if not files:
                self.problems.append(Problem(path, "directory holds no .json or .ndjson files"))
            for f in files:
                self._add_file(f)
        elif p.is_file():
            self._add_file(p)
        else:
            self.problems.append(Problem(path, "no such file or directory"))

    def _add_stdin(self) -> None:
        import sys
        fd, tmp = tempfile.mkstemp(prefix="replay-stdin-", suffix=".input")
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)  # spooled to disk: seekable, bounded memory
        self._tmp.append(tmp)
        self._add_file(Path(tmp), label="<stdin>")

    def _add_file(self, path: Path, label: str | None = None) -> None:
        label = label or str(path)
        if path.suffix.lower() in NDJSON_SUFFIXES or (path.suffix.lower() not in JSON_SUFFIXES and _looks_ndjson(path)):
            self._index_ndjson(path, label)
        else:
            self._read_json(path, label)

    def _read_json(self, path: Path, label: str) -> None:
        try:
            doc = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            self.problems.append(Problem(label, f"not valid JSON ({exc})"))
            return
        except OSError as exc:
            self.problems.append(Problem(label, f"cannot be read ({exc.strerror})"))
            return
        for where, resource, full_urls in _unbundle(doc, label):
            key = classify(resource, where, self.problems, self.skipped, full_urls)
            if key is not None:
                self._count(resource)
                self.held.setdefault(key, []).append((where, _with_id(resource, full_urls)))

    def _index_ndjson(self, path: Path, label: str) -> None:
        fileno = len(self.files)
        self.files.append(str(path))
        with open(path, "rb") as f:
            offset, line_no = 0, 0
            for line in f:
                line_no += 1
                start, offset = offset, offset + len(line)
                if not line.strip():
                    continue
                where = f"{label}:{line_no}"
                try:
                    resource = orjson.loads(line)
                except orjson.JSONDecodeError:
                    self.problems.append(Problem(where, "not valid JSON"))
                    continue
                key = classify(resource, where, self.problems, self.skipped)
                if key is None:
                    continue
                is_order = self._count(resource)
                slots = self.offsets.get(key)
                if slots is None:
                    slots = self.offsets[key] = array("q")
                slots.extend((fileno << OFFSET_BITS | start, -line_no if is_order else line_no))

    def _count(self, resource: dict) -> bool:
        is_order = resource["resourceType"] == "ServiceRequest"
        self.order_count += is_order
        return is_order

    # -- replaying ----------------------------------------------------------------------------------------
    def groups(self) -> Iterator[PatientGroup]:
        """Patients that have at least one ServiceRequest, each with all of its resources."""
        for key in dict.fromkeys([*self.held, *self.offsets]) if self.held else self.offsets:
            held = self.held.get(key, ())
            slots = self.offsets.get(key)
            has_order = any(r["resourceType"] == "ServiceRequest" for _, r in held) or (
                slots is not None and min(slots[1::2]) < 0)
            if has_order:
                yield PatientGroup(key, list(held) + (self._read_lines(slots) if slots is not None else []))

    def _read_lines(self, slots: array) -> list[tuple[str, bytes]]:
        out = []
        for i in range(0, len(slots), 2):
            packed, line_no = slots[i], slots[i + 1]
            fileno, start = packed >> OFFSET_BITS, packed & ((1 << OFFSET_BITS) - 1)
            f = self._handles.get(fileno)
            if f is None:
                f = self._handles[fileno] = open(self.files[fileno], "rb")
            f.seek(start)
            label = "<stdin>" if self.files[fileno] in self._tmp else self.files[fileno]
            out.append((f"{label}:{abs(line_no)}", f.readline()))
        return out

    def close(self) -> None:
        for f in self._handles.values():
            f.close()
        self._handles.clear()
        for tmp in self._tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _looks_ndjson(path: Path) -> bool:
    """Standard input or an unknown suffix: one JSON document, or one resource per line?"""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    first = head.lstrip().split(b"\n", 1)[0]
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return b"\n" in head.strip()


def _unbundle(doc: object, label: str, where: str | None = None) -> Iterator[tuple[str, object, dict[str, str]]]:
    """(where, resource, fullUrl -> patient id) for every resource in a document, Bundles opened (nested too)."""
    where = where or label
    if not (isinstance(doc, dict) and doc.get("resourceType") == "Bundle"):
        yield where, doc, {}
        return
    entries = doc.get("entry") if isinstance(doc.get("entry"), list) else []
    full_urls = {}
    for e in entries:
        res = e.get("resource") if isinstance(e, dict) else None
        if isinstance(res, dict) and res.get("resourceType") == "Patient" and isinstance(e.get("fullUrl"), str):
            full_urls[e["fullUrl"]] = res.get("id") or _urn_id(e["fullUrl"])
    for i, e in enumerate(entries):
        res = e.get("resource") if isinstance(e, dict) else None
        if res is None:
            continue  # batch/transaction request entries without a resource (searches, deletes)
        here = f"{where} entry[{i}]"
        if isinstance(res, dict) and res.get("resourceType") == "Bundle":
            yield from _unbundle(res, label, here)
        else:
            full = e.get("fullUrl") if isinstance(e.get("fullUrl"), str) else None
            if isinstance(res, dict) and full and not res.get("id") and res.get("resourceType") in READ_TYPES:
                res = {**res, "id": _urn_id(full)}
            yield here, res, full_urls


def _urn_id(full_url: str) -> str:
    return full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1][:64]


def _with_id(resource: dict, full_urls: dict[str, str]) -> dict:
    """Subject references to a bundle-local Patient (urn:uuid) rewritten to 'Patient/<id>', as a server would."""
    subject = resource.get("subject")
    ref = subject.get("reference") if isinstance(subject, dict) else None
    if ref in full_urls:
        return {**resource, "subject": {**subject, "reference": f"Patient/{full_urls[ref]}"}}
    return resource
