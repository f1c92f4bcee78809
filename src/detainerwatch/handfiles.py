"""Locate and read the reviewed hand-decision files shipped in ``detainerwatch/hand/``."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

HAND_DIR = Path(__file__).resolve().parent / "hand"


def hand_path(name: str) -> Path:
    return HAND_DIR / name


@cache
def read_csv(name: str) -> tuple[dict[str, str], ...]:
    with open(hand_path(name), newline="", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def value_sets() -> dict[str, frozenset[str]]:
    sets: dict[str, set[str]] = {}
    for row in read_csv("value_sets.csv"):
        sets.setdefault(row["field"], set()).add(row["value"])
    return {k: frozenset(v) for k, v in sets.items()}
