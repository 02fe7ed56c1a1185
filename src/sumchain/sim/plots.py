"""Figures of runs: balances (% of start) and accuracy over time, with the all-data baseline, and
under Points each agent's share of all the points held.

:func:`series` turns runs into the lines to draw, shared by the PNG (matplotlib,
:func:`write_png`) and the interactive HTML (:mod:`sumchain.sim.html`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sumchain.errors import SumchainError
from sumchain.sim.record import Run, write_atomic

if TYPE_CHECKING:
    from sumchain.sim.sweep import Outcome

HONEST, ATTACKER, OWNER, ACCURACY, BASELINE = "#2ca02c", "#d62728", "#1f77b4", "#000000", "#7f7f7f"
_HONEST_HUES = (HONEST, "#17becf", "#bcbd22", "#8c564b")
_ATTACKER_HUES = (ATTACKER, "#ff7f0e", "#9467bd", "#e377c2", "#8b0000", "#ffbb78")
_DASHES = ("solid", "dashed", "dotted", "dashdot")
_RUN_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_MARKERS = ("o", "s", "^", "v", "D", "P", "X", "*")
"""Marks that tell apart the agents of one run among several (one colour per run)."""
LEGEND_ROWS = 30
"""Entries in one column of a PNG's legend, which stands beside the plot."""


@dataclass(frozen=True)
class Series:
    """One line of a figure: its label, points (days, percent), colour, dash (``solid``,
    ``dotted``, ``dashed`` or ``dashdot``) and mark on its points (a matplotlib marker; none
    when empty), which tells apart the agents of a run among several runs."""

    label: str
    days: tuple[float, ...]
    percent: tuple[float, ...]
    color: str
    dash: str
    marker: str = ""


def series(runs: list[Run]) -> list[Series]:
    """The lines of a figure of ``runs``: each run's accuracy, baseline and agents' balances, and
    the agents' shares of the points held when the run has points.

    One run: accuracy in black, the baseline in grey, honest agents green (balance dotted,
    share of points solid), attackers red (balance dashed, share of points solid) and the
    model's owner blue (dash-dot); a second honest agent or attacker gets the next hue of its
    side. Several: one colour per run, the kind of line by its dash, each agent of a run its own
    mark, each label prefixed by what tells the run apart (:func:`run_labels`).
    """
    lines = []
    for k, (run, label) in enumerate(zip(runs, run_labels(runs), strict=True)):
        single = len(runs) == 1
        prefix = "" if single else f"{label}: "
        color = _RUN_COLORS[k % len(_RUN_COLORS)]
        times = tuple(run.times)
        span = (0.0, times[-1] if times else run.days)
        lines.append(
            Series(
                f"{prefix}accuracy when trained with all data: {run.baseline:.1%}",
                span,
                (100 * run.baseline,) * 2,
                BASELINE if single else color,
                "dashdot",
            )
        )
        lines.append(
            Series(
                f"{prefix}accuracy", times, tuple(100 * a for a in run.accuracy), ACCURACY if single else color, "solid"
            )
        )
        held = [sum(points) for points in zip(*(a.points for a in run.agents if a.points), strict=True)]
        sides = {True: cycle(_ATTACKER_HUES), False: cycle(_HONEST_HUES)}
        for m, agent in enumerate(run.agents):
            owner = agent.strategy == "owner"
            hue = (OWNER if owner else next(sides[agent.attacks])) if single else color
            dash = "dashdot" if owner else "dashed" if agent.attacks else "dotted"
            marker = "" if single else _MARKERS[m % len(_MARKERS)]
            name = f"{prefix}{agent.name} ({agent.strategy})"
            lines.append(Series(f"{name} balance", times, tuple(agent.balance), hue, dash, marker))
            if agent.points:
                share = tuple(100 * p / total if total else 0.0 for p, total in zip(agent.points, held, strict=True))
                label = f"{name} share of points ({agent.points[-1]:,} at the end)"
                lines.append(Series(label, times, share, hue, "solid", marker))
    return lines


def run_labels(runs: list[Run]) -> list[str]:
    """What tells each of ``runs`` apart in a figure: its name and seed, with its mechanism when
    the runs have several, and its place in the list when that is not enough.

    Examples
    --------
    >>> from sumchain.sim.record import Run
    >>> drt, points = ({"name": "a", "mechanism": {"kind": kind}} for kind in ("deposit-refund-take", "points"))
    >>> run_labels([Run(drt, 0, 1.0, 0.5, []), Run(points, 0, 1.0, 0.5, []), Run(points, 0, 1.0, 0.5, [])])
    ['a (deposit-refund-take, seed 0)', 'a (points, seed 0) #2', 'a (points, seed 0) #3']
    """
    tables = [run.scenario.get("mechanism") for run in runs]
    kinds = [str(t.get("kind", "")) if isinstance(t, dict) else "" for t in tables]  # a run file may lack it
    labels = [
        f"{run.name} ({kind + ', ' if kind and len(set(kinds)) > 1 else ''}seed {run.seed})"
        for run, kind in zip(runs, kinds, strict=True)
    ]
    return [f"{label} #{k + 1}" if labels.count(label) > 1 else label for k, label in enumerate(labels)]


def title(runs: list[Run]) -> str:
    """The figure's title."""
    if len(runs) == 1:
        return f"{runs[0].name}: balances and accuracy on the test set (seed {runs[0].seed})"
    return f"{len(runs)} runs: balances and accuracy on the test set"


def _pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend (no display needed).

    Raises
    ------
    SumchainError
        When matplotlib is not installed (``pip install "sumchain[sim]"``).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
    except ImportError:
        raise SumchainError('PNG figures need matplotlib: pip install "sumchain[sim]"') from None
    return plt


def _png(plt: Any, figure: Any) -> bytes:
    """``figure`` as a PNG (without the software's name, so the same figure is the same bytes); closes it."""
    try:
        if figure.get_layout_engine() is None:
            figure.tight_layout()
        image = io.BytesIO()
        figure.savefig(image, format="png", metadata={"Software": None})
    finally:
        plt.close(figure)
    return image.getvalue()


def _plain(text: str) -> str:
    """``text`` drawn as it is: matplotlib would read ``$...$`` (in an agent's name, say) as mathematics."""
    return text.replace("$", r"\$")


def write_png(runs: list[Run], path: str | Path) -> Path:
    """Draw ``runs`` into a PNG file (matplotlib, no display needed).

    Raises
    ------
    SumchainError
        When matplotlib is not installed (``pip install "sumchain[sim]"``).
    """
    return write_atomic(Path(path), render_png(runs))


def render_png(runs: list[Run]) -> bytes:
    """The PNG of :func:`write_png`, in memory.

    Raises
    ------
    SumchainError
        When matplotlib is not installed (``pip install "sumchain[sim]"``).
    """
    plt = _pyplot()
    from matplotlib.ticker import PercentFormatter

    lines = series(runs)
    columns = -(-len(lines) // LEGEND_ROWS)  # the legend stands beside the plot, never over its lines
    figure, axes = plt.subplots(figsize=(10 + 3.5 * columns, 6), dpi=110, layout="constrained")
    for line in lines:
        axes.plot(
            line.days,
            line.percent,
            color=line.color,
            linestyle=line.dash,
            linewidth=1.8,
            label=_plain(line.label),
            marker=line.marker or None,
            markevery=max(1, len(line.days) // 8),
            markersize=5,
        )
    axes.set_xlabel("time (days)")
    has_points = any(a.points for run in runs for a in run.agents)
    axes.set_ylabel(f"percent (balance: of its start{'; points: share of all' if has_points else ''})")
    axes.yaxis.set_major_formatter(PercentFormatter())
    axes.set_title(_plain(title(runs)))
    axes.grid(alpha=0.3)
    figure.legend(loc="outside right upper", fontsize=8, ncols=columns)
    return _png(plt, figure)


def render_sweep_png(outcomes: Sequence[Outcome]) -> bytes:
    """The sweep's summary as a PNG: per model (a column), the final accuracy (top) and the attacker's
    end balance (bottom) against the bad-data fraction, one line per mechanism and deposit weight.

    Raises
    ------
    SumchainError
        When matplotlib is not installed.
    """
    plt = _pyplot()
    from matplotlib.ticker import PercentFormatter

    from sumchain.sim.sweep import WEIGHT_KEYS

    models = sorted({o.point.model for o in outcomes})
    mechanisms = sorted({o.point.mechanism for o in outcomes})
    weights = sorted({o.point.weight for o in outcomes})
    figure, axes = plt.subplots(2, len(models), figsize=(6 * len(models), 8), dpi=110, squeeze=False)
    for column, model in enumerate(models):
        top, bottom = axes[0][column], axes[1][column]
        for mechanism in mechanisms:
            for weight in weights:
                line = sorted(
                    (
                        o
                        for o in outcomes
                        if (o.point.mechanism, o.point.model, o.point.weight) == (mechanism, model, weight)
                    ),
                    key=lambda o: o.point.fraction,
                )
                if not line:
                    continue
                style = {
                    "color": _RUN_COLORS[mechanisms.index(mechanism) % len(_RUN_COLORS)],
                    "linestyle": _DASHES[weights.index(weight) % len(_DASHES)],
                    "marker": "o",
                    "label": f"{mechanism}, weight {weight:g}" if mechanism in WEIGHT_KEYS else mechanism,
                }
                fractions = [100 * o.point.fraction for o in line]
                top.plot(fractions, [100 * o.accuracy for o in line], **style)
                bottom.plot(fractions, [o.attacker for o in line], **style)
        top.set_title(f"{model}: accuracy at the end")
        bottom.set_title(f"{model}: the attacker's balance at the end (% of its start)")
        for axis in (top, bottom):
            axis.set_xlabel("bad data (% of contributions the attacker would send)")
            axis.xaxis.set_major_formatter(PercentFormatter())
            axis.yaxis.set_major_formatter(PercentFormatter())
            axis.grid(alpha=0.3)
        top.legend(fontsize=8)
    return _png(plt, figure)
