"""An interactive figure of runs as one self-contained HTML file: inline SVG and a few lines of
JavaScript (no CDN, nothing fetched). Hovering shows every line's value on that day; clicking
a legend entry hides or shows its line."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

from sumchain.sim.plots import Series, run_labels, series, title
from sumchain.sim.record import Run, write_atomic

_WIDTH, _HEIGHT = 900, 520
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 20, 20, 45
_DASHES = {"solid": "", "dotted": "2,4", "dashed": "8,5", "dashdot": "8,4,2,4"}

_SCRIPT = """
const svg = document.getElementById("plot"), tip = document.getElementById("tip");
const cursor = document.getElementById("cursor"), A = JSON.parse(svg.dataset.axes);
const S = JSON.parse(document.getElementById("series").textContent);
function nearest(xs, x) {
  let lo = 0, hi = xs.length - 1;
  while (lo < hi) { const m = (lo + hi) >> 1; if (xs[m] < x) lo = m + 1; else hi = m; }
  return lo > 0 && x - xs[lo - 1] < xs[lo] - x ? lo - 1 : lo;
}
function hide() { tip.style.display = "none"; cursor.setAttribute("visibility", "hidden"); }
svg.addEventListener("mousemove", (e) => {
  const box = svg.getBoundingClientRect(), px = (e.clientX - box.left) * A.width / box.width;
  if (px < A.left || px > A.width - A.right) { hide(); return; }
  const day = A.x0 + (px - A.left) / (A.width - A.left - A.right) * (A.x1 - A.x0);
  cursor.setAttribute("x1", px); cursor.setAttribute("x2", px); cursor.setAttribute("visibility", "visible");
  const head = document.createElement("b");
  head.textContent = `day ${day.toFixed(2)}`;
  tip.replaceChildren(head);  // labels come from run files: text, never markup
  S.forEach((s, i) => {
    if (document.getElementById("line" + i).style.display === "none" || !s.days.length) return;
    const k = nearest(s.days, day), mark = document.createElement("span");
    mark.style.color = s.color;
    mark.textContent = "\u25a0";
    tip.append(document.createElement("br"), mark, ` ${s.label}: ${s.percent[k].toFixed(1)}%`);
  });
  tip.style.display = "block";
  tip.style.left = (e.pageX + 14) + "px"; tip.style.top = (e.pageY + 10) + "px";
});
svg.addEventListener("mouseleave", hide);
document.querySelectorAll(".key").forEach((key) => key.addEventListener("click", () => {
  const line = document.getElementById("line" + key.dataset.line), shown = line.style.display !== "none";
  line.style.display = shown ? "none" : ""; key.style.opacity = shown ? 0.35 : 1;
}));
"""


def _step(span: float, count: int) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``count`` ticks over ``span``."""
    raw = max(span, 1e-9) / count
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _svg(lines: list[Series]) -> tuple[str, dict[str, float]]:
    x1 = max((max(s.days) for s in lines if s.days), default=1.0) or 1.0
    y1 = max(110.0, *(max(s.percent) for s in lines if s.percent))
    y0 = min(0.0, *(min(s.percent) for s in lines if s.percent))
    y_step = _step(y1 - y0, 8)
    y0, y1 = math.floor(y0 / y_step) * y_step, math.ceil(y1 / y_step) * y_step  # the lines stay inside
    inner_w, inner_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM

    def x(day: float) -> float:
        return _LEFT + day / x1 * inner_w

    def y(percent: float) -> float:
        return _TOP + (y1 - percent) / (y1 - y0) * inner_h

    parts = [f'<rect x="{_LEFT}" y="{_TOP}" width="{inner_w}" height="{inner_h}" fill="none" stroke="#ccc"/>']
    step = _step(x1, 10)
    for k in range(int(x1 / step) + 1):
        at = x(k * step)
        parts.append(f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{_TOP}" y2="{_TOP + inner_h}" stroke="#eee"/>')
        parts.append(f'<text x="{at:.1f}" y="{_TOP + inner_h + 16}" text-anchor="middle">{k * step:g}</text>')
    for k in range(round(y0 / y_step), round(y1 / y_step) + 1):
        at = y(k * y_step)
        parts.append(f'<line x1="{_LEFT}" x2="{_LEFT + inner_w}" y1="{at:.1f}" y2="{at:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{at + 4:.1f}" text-anchor="end">{k * y_step:g}%</text>')
    parts.append(f'<text x="{_LEFT + inner_w / 2}" y="{_HEIGHT - 8}" text-anchor="middle">time (days)</text>')
    for i, line in enumerate(lines):
        points = " ".join(f"{x(d):.1f},{y(p):.2f}" for d, p in zip(line.days, line.percent, strict=True))
        dash = f' stroke-dasharray="{_DASHES[line.dash]}"' if _DASHES[line.dash] else ""
        parts.append(
            f'<polyline id="line{i}" points="{points}" fill="none" stroke="{line.color}" stroke-width="2"{dash}>'
            f"<title>{html.escape(line.label)}</title></polyline>"
        )
    parts.append(f'<line id="cursor" y1="{_TOP}" y2="{_TOP + inner_h}" stroke="#888" visibility="hidden"/>')
    axes = {"width": _WIDTH, "left": _LEFT, "right": _RIGHT, "x0": 0.0, "x1": x1}
    return "\n".join(parts), axes


def render_html(runs: list[Run]) -> str:
    """The interactive figure of ``runs`` as one HTML document (no external resource)."""
    lines = series(runs)
    body, axes = _svg(lines)
    legend = "".join(
        f'<span class="key" data-line="{i}"><svg width="30" height="10"><line x1="0" x2="30" y1="5" y2="5" '
        f'stroke="{s.color}" stroke-width="2" stroke-dasharray="{_DASHES[s.dash]}"/></svg> '
        f"{html.escape(s.label)}</span>"
        for i, s in enumerate(lines)
    )
    data = json.dumps([{"label": s.label, "days": s.days, "percent": s.percent, "color": s.color} for s in lines])
    payload = data.replace("</", "<\\/")  # no "</script>" inside the JSON
    summary = "".join(
        f"<li>{html.escape(label)}: {run.contributions:,} contributions, "
        f"{run.transactions:,} transactions, final accuracy {run.accuracy[-1]:.1%} "
        f"(all-data baseline {run.baseline:.1%})</li>"
        for run, label in zip(runs, run_labels(runs), strict=True)
        if run.accuracy
    )
    heading = html.escape(title(runs))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{heading}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}
svg text {{ font-size: 12px; fill: #444; }}
#plot {{ width: 100%; max-width: {_WIDTH}px; height: auto; }}
.key {{ cursor: pointer; margin-right: 1.2em; display: inline-block; font-size: 13px; }}
#tip {{ position: absolute; display: none; background: #fff; border: 1px solid #aaa; padding: 6px 8px;
  font-size: 12px; pointer-events: none; box-shadow: 0 2px 6px rgba(0,0,0,.15); }}
</style></head><body>
<h2>{heading}</h2>
<svg id="plot" viewBox="0 0 {_WIDTH} {_HEIGHT}" data-axes='{json.dumps(axes)}' xmlns="http://www.w3.org/2000/svg">
{body}
</svg>
<div>{legend}</div>
<ul>{summary}</ul>
<p>Balances are in percent of each agent's start, points in percent of all the points held; accuracy is on
the held-out test set. Click a legend entry to hide or show its line.</p>
<div id="tip"></div>
<script type="application/json" id="series">{payload}</script>
<script>{_SCRIPT}</script>
</body></html>
"""


def write_html(runs: list[Run], path: str | Path) -> Path:
    """Write :func:`render_html` of ``runs`` to ``path`` (never half-written)."""
    return write_atomic(Path(path), render_html(runs).encode())
