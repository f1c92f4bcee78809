"""The CLI surface: query, the store option, help text and the README's command reference."""

from __future__ import annotations

import csv
import io
import json
import re

import click
from click.testing import CliRunner

from conftest import ROOT, run
from detainerwatch.cli import cli


def test_query_formats(pa_store):
    sql = "SELECT lift_reason, count(*) AS n FROM detainers GROUP BY 1 ORDER BY 2 DESC LIMIT 3"
    as_csv = run(pa_store, "query", sql, "--format", "csv")
    assert as_csv.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert len(rows) == 3 and set(rows[0]) == {"lift_reason", "n"}
    as_json = run(pa_store, "query", sql, "--format", "json")
    assert json.loads(as_json.output)[0]["n"] == int(rows[0]["n"])
    assert run(pa_store, "query", sql).exit_code == 0


def test_query_is_read_only(pa_store):
    result = run(pa_store, "query", "DELETE FROM detainers")
    assert result.exit_code == 2 and "read-only" in result.stderr.lower()
    result = run(pa_store, "query", "SELECT count(*) FROM detainers", "--format", "csv")
    assert result.output.splitlines()[1] == "32757"


def test_query_errors_are_one_line(pa_store):
    result = run(pa_store, "query", "SELEC nonsense")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


def test_db_from_environment(pa_store):
    result = CliRunner(env={"DETAINERWATCH_DB": str(pa_store)}).invoke(
        cli, ["query", "SELECT count(*) FROM sources", "--format", "csv"]
    )
    assert result.exit_code == 0 and result.output.splitlines()[1] == "4"


def test_query_without_a_store(tmp_path):
    result = run(tmp_path / "none.duckdb", "query", "SELECT 1")
    assert result.exit_code == 2 and "no store here yet" in result.stderr


def _commands(group: click.Group, prefix=""):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the lazy group's names: each module imported here
        command = group.get_command(ctx, name)
        assert command is not None, f"{prefix}{name} is listed but no module defines it"
        yield prefix + name, command
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + name + " ")


def test_commands_imported_when_run():
    """Only the module of the command run is imported (cli.COMMAND_MODULES); the table names
    every command its modules define, each in the module that defines it."""
    import subprocess
    import sys

    code = (
        "import sys; from detainerwatch.cli import cli; "
        "cli(['--db', sys.argv[1], 'report', '--help'], standalone_mode=False); "
        "print(sorted(m for m in sys.modules if m.startswith('detainerwatch.cli.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "none.duckdb"], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "['detainerwatch.cli.report']"
    from detainerwatch import cli as package

    for module in set(package.COMMAND_MODULES.values()):
        __import__(f"detainerwatch.cli.{module}")
    defined = {name: c.callback.__module__ for name, c in cli.commands.items()}
    assert defined == {
        name: f"detainerwatch.cli.{module}" for name, module in package.COMMAND_MODULES.items()
    }


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name, command in _commands(cli):
        assert (command.help or "").strip(), f"{name} has no help text"
        assert re.search(rf"`detainerwatch {re.escape(name)}\b", readme), (
            f"`detainerwatch {name}` is missing from the README's command reference"
        )
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.help, f"{name} {param.opts[0]} has no help text"


def _listing(path):
    return sorted(p.name for p in path.iterdir()) if path.exists() else None


def test_query_reaches_nothing_but_the_store(pa_store, tmp_path):
    """Issue 18: COPY/EXPORT write nothing, host files cannot be read, the configuration
    cannot be changed, no extension is installed: one line, exit 2, nothing written."""
    target = tmp_path / "x.csv"
    before = _listing(tmp_path)
    for sql in [
        f"COPY (SELECT 1) TO '{target}'",
        "SELECT * FROM read_text('/etc/hostname')",
        "SET autoinstall_known_extensions = true",
        f"EXPORT DATABASE '{tmp_path / 'dump'}'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM glob('/root/*')",
        "INSTALL httpfs",
        "LOAD json",
        f"ATTACH '{tmp_path / 'other.duckdb'}' AS o",
        "PRAGMA memory_limit = '1GB'",
        "CREATE TEMP TABLE t AS SELECT 1",
        "SELECT 1; COPY (SELECT 1) TO '/tmp/never.csv'",
        "RESET lock_configuration",
    ]:
        result = run(pa_store, "query", sql)
        assert result.exit_code == 2, (sql, result.output)
        assert len(result.stderr.strip().splitlines()) == 1, (sql, result.stderr)
        assert "Traceback" not in result.stderr
    assert _listing(tmp_path) == before and not target.exists()


def test_query_still_describes_the_store(pa_store):
    for sql in [
        "DESCRIBE detainers",
        "SHOW TABLES",
        "SUMMARIZE sources",
        "PRAGMA show_tables",
        "PRAGMA table_info('sources')",
        "EXPLAIN SELECT count(*) FROM detainers",
        "WITH s AS (SELECT * FROM sources) SELECT count(*) FROM s",
        "FROM sources",
    ]:
        result = run(pa_store, "query", sql, "--format", "csv")
        assert result.exit_code == 0, (sql, result.stderr)
        assert result.output.strip(), sql


def test_query_csv_escapes_formula_cells(pa_store):
    sql = (
        "SELECT '=HYPERLINK(\"http://x\")' AS f, '-2' AS t, -2 AS n, '@SUM(A1)' AS a, 'plain' AS p"
    )
    result = run(pa_store, "query", sql, "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[1] == ['\'=HYPERLINK("http://x")', "'-2", "-2", "'@SUM(A1)", "plain"]
    as_json = json.loads(run(pa_store, "query", sql, "--format", "json").output)
    assert as_json[0]["f"] == '=HYPERLINK("http://x")'  # JSON keeps the raw text


def test_a_misspelt_command_is_answered_with_the_command_meant():
    # Commands are imported when run (COMMAND_MODULES); click's suggestion still knows them all.
    result = CliRunner().invoke(cli, ["repor"])
    assert result.exit_code == 2
    assert "No such command 'repor'. Did you mean 'report'?" in result.output
