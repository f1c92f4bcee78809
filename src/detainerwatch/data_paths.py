"""Where packaged data lives."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
LISTS_DIR = DATA_DIR / "lists"
