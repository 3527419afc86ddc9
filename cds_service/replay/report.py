"""The self-contained HTML report: counts by topic, variant and rating, share warned, an inline SVG chart, and a
drill-down of warned orders with their facts. No scripts, fonts or images from anywhere else."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from html import escape

from cds_service.replay.writers import Tally

RATING_COLOURS = {"not-appropriate": "#c0392b", "appropriate": "#2e7d32", "no-criteria-apply": "#607d8b",
                  "unknown": "#b7950b", "error": "#6c3483"}
PROBLEM_LIMIT = 500
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1b1b1b;max-width:72rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.tiles{display:flex;gap:1rem;flex-wrap:wrap}.tile{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:9rem}
.tile b{display:block;font-size:1.6rem}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}details{border:1px solid #ddd;border-radius:4px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}pre{white-space:pre-wrap;background:#fafafa;padding:.5rem;font-size:.85rem}
.muted{color:#666;font-size:.9rem}.problems li{font-family:monospace;font-size:.85rem}
"""


def render(tally: Tally, title: str, inputs: list[str], target: str) -> str:
    orders = tally.orders
    warned = tally.warned_orders
    share = f"{100 * warned / orders:.1f}%" if orders else "n/a"
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">Inputs: {escape(", ".join(inputs))} &middot; target: {escape(target)} &middot; {now}</p>',
        '<div class="tiles">',
        _tile("Orders replayed", orders), _tile("Responses", tally.responses),
        _tile("Orders warned on", f"{warned} ({share})", "share-warned"),
        _tile("Failed requests", tally.errors), _tile("Input problems", len(tally.problems)),
        "</div>",
        "<h2>Ratings</h2>", _chart(tally.by_rating), _table("Rating", tally.by_rating),
        "<h2>By topic</h2>", _table("Topic", tally.by_topic),
        "<h2>By variant</h2>",
        '<p class="muted">A response may consider several variants (possible ones are marked); each is counted.</p>',
        _table("Variant", tally.by_variant),
        "<h2>By service</h2>", _table("Service", tally.by_service),
        f"<h2>Warned orders ({warned})</h2>", _warned(tally),
        f"<h2>Input problems ({len(tally.problems)})</h2>", _problems(tally),
        "</body></html>",
    ]
    return "\n".join(parts)


def _tile(label: str, value: object, ident: str | None = None) -> str:
    attr = f' id="{ident}"' if ident else ""
    return f'<div class="tile"{attr}><b>{escape(str(value))}</b>{escape(label)}</div>'


def _table(label: str, counts: Counter) -> str:
    if not counts:
        return '<p class="muted">none</p>'
    total = sum(counts.values())
    rows = "".join(f'<tr><td>{escape(str(k))}</td><td class="n">{v}</td><td class="n">{100 * v / total:.1f}%</td></tr>'
                   for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))
    return f"<table><tr><th>{escape(label)}</th><th>Responses</th><th>Share</th></tr>{rows}</table>"


def _chart(counts: Counter) -> str:
    """Horizontal bars, one per rating, as inline SVG."""
    if not counts:
        return ""
    items = sorted(counts.items(), key=lambda kv: -kv[1])
    peak = max(counts.values())
    bar_h, gap, label_w, width = 26, 8, 150, 420
    height = len(items) * (bar_h + gap) + gap
    out = [f'<svg id="rating-chart" role="img" aria-label="Responses by rating" xmlns="http://www.w3.org/2000/svg" '
           f'width="{label_w + width + 60}" height="{height}">']
    for i, (rating, n) in enumerate(items):
        y = gap + i * (bar_h + gap)
        w = max(2, int(width * n / peak))
        colour = RATING_COLOURS.get(rating, "#888")
        out.append(f'<text x="0" y="{y + 18}" font-size="14">{escape(rating)}</text>'
                   f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}"></rect>'
                   f'<text x="{label_w + w + 6}" y="{y + 18}" font-size="14">{n}</text>')
    out.append("</svg>")
    return "".join(out)


def _warned(tally: Tally) -> str:
    if not tally.warned:
        return '<p class="muted">No order was warned on.</p>'
    out = []
    if len(tally.warned) < tally.warned_orders:
        out.append(f'<p class="muted">The first {len(tally.warned)} of {tally.warned_orders} are listed.</p>')
    for row in tally.warned:
        facts = "".join(f"<li>{escape(f)}</li>" for f in row.facts) or "<li>(facts not reported by the service)</li>"
        out.append(
            f"<details><summary><b>{escape(row.order)}</b> &middot; patient {escape(row.patient)} &middot; "
            f"{escape(row.procedure)} &middot; {escape(row.authored or 'no date')} &middot; "
            f"{escape(', '.join(row.variants) or row.topic)}</summary>"
            f"<p>{escape('; '.join(row.cards))}</p><p><b>Facts</b></p><ul>{facts}</ul>"
            f"<pre>{escape(row.detail)}</pre></details>")
    return "\n".join(out)


def _problems(tally: Tally) -> str:
    if not tally.problems:
        return '<p class="muted">none</p>'
    items = "".join(f"<li>{escape(str(p))}</li>" for p in tally.problems[:PROBLEM_LIMIT])
    more = len(tally.problems) - PROBLEM_LIMIT
    tail = f'<p class="muted">and {more} more (see the run\'s standard error)</p>' if more > 0 else ""
    return f'<ul class="problems">{items}</ul>{tail}'
