"""Errors a user can cause and fix. The CLI prints them as one line and exits 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: names the file, sheet, row and column, and what was expected there."""

    def __init__(
        self,
        file: object,
        expected: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        found: object = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.sheet = sheet
        self.row = row
        self.column = column
        self.expected = expected
        self.found = found
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.file or "<input>"]
        if self.sheet is not None:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where) + f": expected {self.expected}"
        if self.found is not None:
            found = str(self.found)
            if len(found) > 80:
                found = found[:77] + "..."
            text += f", found {found!r}"
        return text.replace("\n", " ")


class UsageError(Exception):
    """A command was asked for something that cannot be done (unknown jurisdiction, no data)."""
