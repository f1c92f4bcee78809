"""Writing a release diff (derive.release_diff) to a folder: index.html, CSV and JSON."""
from __future__ import annotations

import json
from pathlib import Path

from ..derive.facts import OUTCOMES
from .output import environment, write_csv

JM_COLUMNS = ["jurisdiction_id", "jurisdiction", "jurisdiction_type", "state", "month",
              "a_issued", "b_issued", "issued_difference", "a_declined", "b_declined",
              "declined_difference",
              *[f"{s}_{o}" for o in OUTCOMES if o != "declined" for s in "ab"],
              "only_a", "only_b", "moved", "moved_open_to_declined"]


def render_diff_html(diff: dict) -> str:
    return environment().get_template("release_diff.html").render(d=diff)


def write_diff(diff: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text(render_diff_html(diff), encoding="utf-8")
    (out / "diff.json").write_text(json.dumps(diff, indent=1, default=str), encoding="utf-8")
    write_csv(out / "jurisdiction_months.csv", diff["jurisdiction_months"], JM_COLUMNS)
    write_csv(out / "moved.csv", diff["moved"], ["outcome_in_a", "outcome_in_b", "detainers"])
    return sorted(out.iterdir())
