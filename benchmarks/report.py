"""Turns both sides' timings into one table of per-op times and MLflow/modelreg ratios."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

SIDES = ("modelreg", "mlflow")
TARGET_RATIO = 20.0
TARGET_IMPORT_SECONDS = 0.15
# Opening the store (create + migrate the database) is shown but kept out of phase totals.
EXCLUDED_FROM_TOTAL = {"setup"}
# The import phase's two rows overlap (the second imports more); its verdict uses the first.
IMPORT_OP = "import package"

Results = dict[str, dict[str, dict[str, dict[str, Any]]]]  # phase -> side -> op -> entry


def seconds(entry: dict[str, Any] | None) -> float | None:
    if entry and "seconds" in entry and entry.get("ops"):
        return float(entry["seconds"])
    return None


def ratio(modelreg: float | None, mlflow: float | None) -> float | None:
    if modelreg is None or mlflow is None or modelreg <= 0:
        return None
    return mlflow / modelreg


def _cell(entry: dict[str, Any] | None, per_op: bool) -> str:
    if entry is None:
        return "[dim]not run[/]"
    if "unavailable" in entry:
        return "n/a"
    if "error" in entry:
        return "[red]error[/]"
    value = entry["seconds"] / entry["ops"] * 1000 if per_op else entry["seconds"]
    return f"{value:.3f}"


def ratio_cell(value: float | None) -> str:
    if value is None:
        return ""
    colour = "green" if value >= TARGET_RATIO else "yellow" if value >= 1 else "red"
    return f"[{colour}]{value:.1f}x[/]"


def ops_in_order(sides: dict[str, dict[str, Any]]) -> list[str]:
    """Every op either side reported, in the order they ran; "_" names are not ops."""
    ops: dict[str, None] = {}
    for side in SIDES:
        ops.update(dict.fromkeys(op for op in sides.get(side, {}) if not op.startswith("_")))
    return list(ops)


def phase_total(phase: str, sides: dict[str, dict[str, Any]]) -> tuple[float, float, bool] | None:
    """Sums the ops both sides measured; the flag says whether some op was left out."""
    mr_total = ml_total = 0.0
    partial = False
    counted = 0
    for op in ops_in_order(sides):
        if op in EXCLUDED_FROM_TOTAL or (phase == "import" and op != IMPORT_OP):
            continue
        mr = seconds(sides.get("modelreg", {}).get(op))
        ml = seconds(sides.get("mlflow", {}).get(op))
        if mr is None or ml is None:
            partial = True
            continue
        mr_total += mr
        ml_total += ml
        counted += 1
    if not counted:
        return None
    return mr_total, ml_total, partial


def ratios(results: Results) -> dict[str, dict[str, float | None]]:
    """``{phase: {op: MLflow/modelreg}}`` plus a ``total`` per phase, for the JSON file."""
    out: dict[str, dict[str, float | None]] = {}
    for phase, sides in results.items():
        out[phase] = {
            op: ratio(
                seconds(sides.get("modelreg", {}).get(op)), seconds(sides.get("mlflow", {}).get(op))
            )
            for op in ops_in_order(sides)
        }
        total = phase_total(phase, sides)
        out[phase]["total"] = ratio(total[0], total[1]) if total else None
    return out


def table(results: Results, title: str) -> Table:
    t = Table(title=title)
    t.add_column("phase")
    t.add_column("op")
    t.add_column("ops", justify="right")
    t.add_column("modelreg ms/op", justify="right")
    t.add_column("MLflow ms/op", justify="right")
    t.add_column("modelreg s", justify="right")
    t.add_column("MLflow s", justify="right")
    t.add_column("MLflow/modelreg", justify="right")
    for phase, sides in results.items():
        mr_side, ml_side = sides.get("modelreg", {}), sides.get("mlflow", {})
        for i, op in enumerate(ops_in_order(sides)):
            mr, ml = mr_side.get(op), ml_side.get(op)
            count = next((e["ops"] for e in (mr, ml) if e and e.get("ops")), "")
            t.add_row(
                phase if i == 0 else "",
                op,
                str(count),
                _cell(mr, per_op=True),
                _cell(ml, per_op=True),
                _cell(mr, per_op=False),
                _cell(ml, per_op=False),
                ratio_cell(ratio(seconds(mr), seconds(ml))),
            )
        total = phase_total(phase, sides)
        if total and phase != "import":
            mr_total, ml_total, partial = total
            label = "[bold]total[/] (excl. setup" + (", common ops only)" if partial else ")")
            t.add_row(
                "",
                label,
                "",
                "",
                "",
                f"[bold]{mr_total:.3f}[/]",
                f"[bold]{ml_total:.3f}[/]",
                ratio_cell(ratio(mr_total, ml_total)),
            )
        t.add_section()
    return t


def problems(results: Results) -> list[str]:
    """One line per failed or unavailable op, naming phase, side and the message."""
    lines = []
    for phase, sides in results.items():
        for side in SIDES:
            for op, entry in sides.get(side, {}).items():
                if op.startswith("_"):
                    continue
                if "error" in entry:
                    lines.append(f"[red]{phase}/{side}/{op}: {escape(entry['error'])}[/]")
                elif "unavailable" in entry:
                    lines.append(f"{phase}/{side}/{op}: n/a ({escape(entry['unavailable'])})")
    return lines


def verdicts(results: Results) -> list[str]:
    """The project's targets: MLflow/modelreg >= 20x per phase, import modelreg <= 0.15 s."""
    lines = []
    for phase, sides in results.items():
        total = phase_total(phase, sides)
        if total:
            r = ratio(total[0], total[1])
            if r is not None:
                ok = r >= TARGET_RATIO
                mark = "[green]meets[/]" if ok else "[red]misses[/]"
                lines.append(f"{phase}: {r:.1f}x {mark} the {TARGET_RATIO:.0f}x target")
    imported = seconds(results.get("import", {}).get("modelreg", {}).get(IMPORT_OP))
    if imported is not None:
        ok = imported <= TARGET_IMPORT_SECONDS
        mark = "[green]meets[/]" if ok else "[red]misses[/]"
        lines.append(
            f"import modelreg: {imported:.3f} s {mark} the {TARGET_IMPORT_SECONDS} s target"
        )
    return lines
