"""Labels a reader sees for the outcome classes, from the reviewed hand file
``hand/outcome_classes.csv`` (key, column label, meaning): tables show the label, CSV and JSON
keep the key."""

from __future__ import annotations

from ..handfiles import read_csv, read_yaml

FILE = "outcome_classes.csv"


def fmt(value: object) -> str:
    """A count as a reader sees it (1,234; "-" for none). Here, not in output, so a command
    that prints counts loads no template engine (issue 16); output re-exports it."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def outcome_classes() -> tuple[dict[str, str], ...]:
    """The rows of the hand file (handfiles: read again when it changes)."""
    return read_csv(FILE)


def outcome_label(key: str) -> str:
    """The column label of an outcome key; a key the file does not list is shown readably."""
    for row in outcome_classes():
        if row["outcome"] == key:
            return row["label"]
    return key.replace("_", " ")


def outcome_meaning(key: str) -> str:
    for row in outcome_classes():
        if row["outcome"] == key:
            return row["meaning"]
    return ""


def outcome_key(label: str) -> str | None:
    """The outcome key a column label stands for (the disclosure audit reads pages back)."""
    text = " ".join(label.split()).lower()
    for row in outcome_classes():
        if text in (row["label"].lower(), row["outcome"].lower()):
            return row["outcome"]
    return None


def page_rows() -> int:
    """Rows a long table shows on a report page (hand/presentation.yaml, read once while it is
    unchanged: handfiles)."""
    return int(read_yaml("presentation.yaml")["report_page_rows"])
