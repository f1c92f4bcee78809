"""Writing a release diff (derive.release_diff) to a folder: index.html, CSV and JSON."""

from __future__ import annotations

from typing import Any

import json
from pathlib import Path

from ..derive.facts import OUTCOMES
from .disclosure import protect, require
from .output import environment, write_csv

# Outcome classes that are person attributes (hand/disclosure.yaml: death in custody, U.S.
# citizenship) are never shown per jurisdiction and month: in a diff they are counted with the
# class named here, as reports fold deaths into releases below state-year grain.
FOLDED = {"died": "released", "wrongly_issued": "withdrawn"}

JM_COLUMNS = [
    "jurisdiction_id",
    "jurisdiction",
    "jurisdiction_type",
    "state",
    "month",
    "a_issued",
    "b_issued",
    "issued_difference",
    "a_declined",
    "b_declined",
    "declined_difference",
    *[f"{s}_{o}" for o in OUTCOMES if o != "declined" and o not in FOLDED for s in "ab"],
    "only_a",
    "only_b",
    "moved",
    "moved_open_to_declined",
]


def render_diff_html(diff: dict[str, Any]) -> str:
    return environment().get_template("release_diff.html").render(d=diff)


def protect_diff(diff: dict[str, Any]) -> dict[str, Any]:
    """The diff as published: person-attribute outcome classes folded (FOLDED), then the one
    disclosure function."""
    for row in diff.get("jurisdiction_months") or []:
        for side in "ab":
            for cls, into in FOLDED.items():
                n = row.pop(f"{side}_{cls}", None)
                if isinstance(n, int) and isinstance(row.get(f"{side}_{into}"), int):
                    row[f"{side}_{into}"] += n
    moved: dict[tuple[Any, ...], int] = {}
    for row in diff.get("moved") or []:
        key = (
            FOLDED.get(row["outcome_in_a"], row["outcome_in_a"]),
            FOLDED.get(row["outcome_in_b"], row["outcome_in_b"]),
        )
        moved[key] = moved.get(key, 0) + row["detainers"]
    diff["moved"] = [
        {"outcome_in_a": a, "outcome_in_b": b, "detainers": n}
        for (a, b), n in sorted(moved.items(), key=lambda kv: -kv[1])
        if a != b
    ]
    diff.setdefault("notes", []).append(
        "Deaths in custody and U.S.-citizen (wrongly issued) detainers are person attributes: "
        "per jurisdiction and month they are counted with released and withdrawn detainers."
    )
    return protect(diff, "tables")


def write_diff(diff: dict[str, Any], out: Path) -> list[Path]:
    require(diff, "release diff")
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text(render_diff_html(diff), encoding="utf-8")
    (out / "diff.json").write_text(json.dumps(diff, indent=1, default=str), encoding="utf-8")
    write_csv(out / "jurisdiction_months.csv", diff["jurisdiction_months"], JM_COLUMNS)
    write_csv(out / "moved.csv", diff["moved"], ["outcome_in_a", "outcome_in_b", "detainers"])
    return sorted(out.iterdir())
