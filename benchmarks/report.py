"""One row per measured figure, printed as one table."""

from __future__ import annotations

import attrs


@attrs.frozen
class Figure:
    benchmark: str
    measure: str
    debtkit: float
    baseline: float
    unit: str
    goal: str
    met: bool
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.debtkit / self.baseline if self.baseline else float("inf")


def table(figures: list[Figure]) -> str:
    header = ("benchmark", "measure", "debtkit", "baseline", "ratio", "goal", "met")
    rows = [
        (
            f.benchmark,
            f.measure,
            f"{f.debtkit:,.4g} {f.unit}",
            f"{f.baseline:,.4g} {f.unit}",
            f"{f.ratio:.2f}x",
            f.goal,
            "yes" if f.met else "NO",
        )
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    notes = [f"- {f.benchmark}: {f.note}" for f in figures if f.note]
    return "\n".join([line, rule, *body, "", *notes])
