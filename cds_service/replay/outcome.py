"""One row per hook response: what the service said about one order, read from the response body itself.

The rating is read from the response (the PAMA rating on the order's systemActions update), never from engine
internals, so an in-process run and a run against any CDS Hooks service are compared on the same terms.
Variants and facts come from the engine when it is in-process; a remote service does not report them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from hooks.pama import AUC_APPLIED, existing_rating
from hooks.response import HookResult

UNRATED = "unknown"     # the service answered but attached no rating to the order
FAILED = "error"        # the request failed (HTTP error, timeout, invalid request)


@dataclass
class Row:
    order: str
    patient: str
    authored: str | None
    service: str
    procedure: str
    rating: str
    topic: str = ""
    variants: list[str] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)       # card summaries
    facts: list[str] = field(default_factory=list)
    detail: str = ""                                      # the warning card's detail (markdown)
    hidden: int = 0                                       # record resources dated after the order, not sent
    error: str | None = None
    response: dict | None = None

    @property
    def warned(self) -> bool:
        return any(c for c in self.cards) and self.rating == "not-appropriate"

    def as_json(self, with_response: bool = True) -> dict:
        d = asdict(self)
        if not with_response:
            d.pop("response")
        return d


def read_response(row: Row, body: dict, topic_titles: dict[str, str]) -> Row:
    row.response = body
    order_id = row.order.split("/", 1)[1]
    actions = body.get("systemActions") if isinstance(body.get("systemActions"), list) else []
    for action in actions:
        res = action.get("resource") if isinstance(action, dict) else None
        if isinstance(res, dict) and res.get("resourceType") == "ServiceRequest" and res.get("id") == order_id:
            row.rating = existing_rating(res) or row.rating
            for ext in res.get("extension") or []:
                if isinstance(ext, dict) and ext.get("url") == AUC_APPLIED and isinstance(ext.get("valueUri"), str):
                    row.topic = topic_titles.get(ext["valueUri"], ext["valueUri"])
    cards = body.get("cards") if isinstance(body.get("cards"), list) else []
    row.cards = [c.get("summary", "") for c in cards if isinstance(c, dict)]
    warning = next((c for c in cards if isinstance(c, dict) and c.get("indicator") in ("warning", "critical")), None)
    if warning:
        row.detail = warning.get("detail") or ""
    return row


def read_engine_result(row: Row, result: HookResult) -> Row:
    """Variants considered and the facts behind them, from the in-process engine."""
    for r in result.ratings:
        if r.order.reference != row.order or r.assessment is None:
            continue
        a = r.assessment
        row.topic = row.topic or ", ".join(t.title for t in a.topics)
        row.variants = [c.variant.id + ("" if c.status == "matched" else " (possible)") for c in a.considered]
        used = sorted({concept for c in a.considered for concept in c.because})
        for concept in used:
            row.facts += [ev.describe() for ev in r.facts.evidence.get(concept, ())]
        unknown = sorted({concept for c in a.considered for concept in c.unknown})
        row.facts += [f"unknown: {concept}" for concept in unknown]
        row.facts += [f"note: {n}" for n in r.facts.notes]
    return row
