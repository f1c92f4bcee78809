"""The hand YAML files read from their JSON form written at install (handfiles.COMPILED_DIR):
the same values as parsing the YAML, never for a file edited since, and no YAML parser loaded
by a report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from detainerwatch import handfiles


@pytest.fixture
def hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "hand"
    shutil.copytree(handfiles.HAND_DIR, folder)
    monkeypatch.setattr(handfiles, "HAND_DIR", folder)
    monkeypatch.setattr(handfiles, "COMPILED_DIR", tmp_path / "compiled")
    monkeypatch.setattr(handfiles, "HAND", handfiles.HandFiles())
    return folder


def test_compiled_values_are_the_yaml_values(hand: Path) -> None:
    parsed = {p.name: handfiles._yaml_value(p.read_bytes()) for p in sorted(hand.glob("*.yaml"))}
    (handfiles.COMPILED_DIR).mkdir()
    (handfiles.COMPILED_DIR / "stale.json").write_text("{}", encoding="utf-8")
    assert handfiles.precompile_yaml() == len(parsed) >= 5
    assert not (handfiles.COMPILED_DIR / "stale.json").exists()
    for name, value in parsed.items():
        assert repr(handfiles.read_yaml(name)) == repr(value), name


def test_an_edited_or_damaged_file_is_parsed(hand: Path) -> None:
    handfiles.precompile_yaml()
    path = hand / "disclosure.yaml"
    compiled = handfiles._compiled_path(path.name, path.read_bytes())
    compiled.write_text('{"small_cell_max": 99', encoding="utf-8")  # damaged: parsed instead
    assert handfiles.read_yaml("disclosure.yaml")["small_cell_max"] == 4
    compiled.write_text(json.dumps({"small_cell_max": 99}), encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert handfiles.read_yaml("disclosure.yaml")["small_cell_max"] == 4  # other bytes


def test_a_report_loads_no_yaml_parser(pa_store: Path, tmp_path: Path) -> None:
    handfiles.precompile_yaml()  # as make install leaves it
    code = (
        "import sys; from detainerwatch.cli import cli\n"
        "cli.main(sys.argv[1:], prog_name='detainerwatch', standalone_mode=False)\n"
        "assert 'yaml' not in sys.modules, 'yaml loaded'\n"
    )
    env = {**os.environ, "DETAINERWATCH_CACHE_DIR": str(tmp_path / "cache")}
    args = ["--db", str(pa_store), "report", "--out", str(tmp_path / "r")]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr


def test_a_precedence_file_that_is_not_yaml_is_one_line(hand: Path) -> None:
    from detainerwatch.derive import releases
    from detainerwatch.errors import UsageError

    (hand / releases.PRECEDENCE_FILE).write_text("rule: [unclosed\n", encoding="utf-8")
    assert handfiles.precompile_yaml() >= 4  # installed all the same, that file left out
    with pytest.raises(UsageError, match="expected YAML"):
        releases.load_rules()
