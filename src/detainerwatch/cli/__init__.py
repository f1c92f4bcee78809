"""The `detainerwatch` command: a thin layer of click commands over the library."""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path

from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from ..errors import InputError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    err_console: Console
    out_console: Console


def __getattr__(name: str) -> Any:
    """err_console and out_console, made on first use: rich costs about 0.1 s of start-up, and
    a report or profile prints plain lines (issue 16). Command modules take them inside their
    functions (`from . import out_console`)."""
    if name not in ("err_console", "out_console"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from rich.console import Console

    consoles = globals()
    if "err_console" not in consoles:
        consoles["err_console"] = Console(stderr=True)
        # Wide when not a terminal, so piped tables are not folded.
        consoles["out_console"] = Console(width=None if sys.stdout.isatty() else 200)
    return consoles[name]


INTERRUPTED = "interrupted; the store is unchanged"
INTERRUPTED_AFTER_COMMIT = "interrupted after the ingest was committed; the store holds it"


# Each command -> the module of this package that defines it (registering itself on `cli`).
# Only the module of the command run is imported (click's lazy group): a weekly report no longer
# imports ingest, serve, publish, resolve ... (issue 16); `--help` imports them all to list
# every command with its help. tests/test_cli.py checks this table against the modules.
COMMAND_MODULES = {
    "audit": "audit",
    "check-disclosure": "check_disclosure",
    "diff": "releases",
    "ingest": "ingest",
    "outcomes": "outcomes",
    "policies": "policies",
    "profile": "report",
    "publish": "publish",
    "query": "query",
    "releases": "releases",
    "report": "report",
    "resolve": "resolve",
    "serve": "serve",
    "synth": "synth",
}


class _CLIGroup(click.Group):
    """Turns user errors into one line on stderr and exit status 2, never a traceback; Ctrl-C
    into one line and exit 130 (an ingest rolls back first: nothing was committed, unless the
    interrupt came after its COMMIT, which the line then says). Commands are imported when
    asked for (COMMAND_MODULES)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if cmd_name not in self.commands and module is not None:
            import_module(f"{__name__}.{module}")
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.NoSuchCommand:
            # click suggests from the commands imported so far (none yet): from all of them
            raise click.NoSuchCommand(
                str(args[0]), possibilities=self.list_commands(ctx), ctx=ctx
            ) from None

    def invoke(self, ctx):
        _forget_commit()  # an ingest of an earlier command of this process says nothing here
        try:
            return super().invoke(ctx)
        except (InputError, UsageError) as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            _interrupted(ctx)
        except Exception as exc:
            if _is_interrupt(exc):  # DuckDB stopped a query on Ctrl-C
                _interrupted(ctx)
            raise

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, _options_where_they_belong(self, ctx, list(args)))


def _is_interrupt(exc: BaseException) -> bool:
    try:
        import duckdb
    except ImportError:  # pragma: no cover
        return False
    # DuckDB reports Ctrl-C during a query as RuntimeError("Query interrupted")
    return isinstance(exc, duckdb.InterruptException) or (
        isinstance(exc, (duckdb.Error, RuntimeError)) and "query interrupted" in str(exc).lower()
    )


def _forget_commit() -> None:
    ingest = sys.modules.get("detainerwatch.store.ingest")
    if ingest is not None:
        ingest.forget_commit()


def _interrupted(ctx):
    # A Ctrl-C just after an ingest's COMMIT (or while its load report prints): say so.
    ingest = sys.modules.get("detainerwatch.store.ingest")
    committed = ingest is not None and ingest.committed()
    click.echo(INTERRUPTED_AFTER_COMMIT if committed else INTERRUPTED, err=True)
    ctx.exit(130)


def _options_where_they_belong(
    group: click.Group, ctx: click.Context, args: list[str]
) -> list[str]:
    """Global options (--db) after the subcommand move before it, and a subcommand's options
    (--quiet, --format) given before it move after it, so both orders work as the README
    promises. Arguments after `--` are never moved."""
    group_opts = {
        opt: p
        for p in group.params
        if isinstance(p, click.Option)
        for opt in p.opts + p.secondary_opts
    }
    names = set(group.list_commands(ctx))
    # find the subcommand: the first token that is not a group option or its value
    i, before = 0, []
    while i < len(args):
        token = args[i]
        name = token.split("=", 1)[0]
        if token == "--" or not token.startswith("-"):
            break
        if name in group_opts:
            before.append(token)
            if "=" not in token and not group_opts[name].is_flag and i + 1 < len(args):
                before.append(args[i + 1])
                i += 1
            i += 1
            continue
        before.append(token)  # maybe the subcommand's: decided once it is known
        if (
            "=" not in token
            and i + 1 < len(args)
            and not args[i + 1].startswith("-")
            and args[i + 1] not in names
        ):
            before.append(args[i + 1])  # its value (`--format csv query ...`)
            i += 1
        i += 1
    if i >= len(args) or args[i] == "--" or args[i] not in names:
        return args
    command = group.get_command(ctx, args[i])
    if command is None:
        return args
    sub_opts = {
        opt: p
        for p in command.params
        if isinstance(p, click.Option)
        for opt in p.opts + p.secondary_opts
    }
    head, moved = [], []
    j = 0
    while j < len(before):  # subcommand options given before the subcommand
        token = before[j]
        name = token.split("=", 1)[0]
        if name not in group_opts and name in sub_opts:
            moved.append(token)
            if "=" not in token and not sub_opts[name].is_flag and j + 1 < len(before):
                moved.append(before[j + 1])
                j += 1
        else:
            head.append(token)
        j += 1
    rest, tail = args[i + 1 :], []
    k = 0
    while k < len(rest):  # global options given after the subcommand
        token = rest[k]
        if token == "--":
            tail.extend(rest[k:])
            break
        name = token.split("=", 1)[0]
        if (
            name in group_opts
            and name not in sub_opts
            and name.startswith("--")
            and name not in ("--help", "--version")
        ):
            head.append(token)
            if "=" not in token and not group_opts[name].is_flag and k + 1 < len(rest):
                head.append(rest[k + 1])
                k += 1
        else:
            tail.append(token)
        k += 1
    return head + [args[i]] + moved + tail


@click.group(cls=_CLIGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DETAINERWATCH_DB",
    default="detainerwatch.duckdb",
    show_default=True,
    help="The store (a DuckDB file). Also set by DETAINERWATCH_DB.",
)
@click.version_option(__version__, prog_name="detainerwatch")
@click.pass_context
def cli(ctx, db):
    """detainerwatch: ICE detainer records, traced to their source rows."""
    ctx.obj = {"db": db}


# The cyclic garbage collector, for a command run from the console (not for tests, which run
# commands in one long process through click's runner): a command builds tens of thousands of
# dicts and tuples that live until it ends, and the default first threshold (700 allocations)
# had the collector trace them again and again (30-110 ms a command: the demo audit 113 ms in
# 149 collections), then once more at exit. Rarer collections, and none of what is left at exit.
# Not for the commands whose peak memory is a goal of its own (ingest, synth): they keep Python's
# thresholds. (A token naming one of them anywhere in the arguments is enough: a wrong guess
# changes only how often the collector runs.)
GC_THRESHOLD = (10_000, 10, 10)
GC_DEFAULT_FOR = {"ingest", "synth"}
# True when run from the console (main), not through click's runner in a test's long process:
# `report` then forks its PNG helper (publish/pngworker.py)
CONSOLE = False


def main() -> None:  # console-script entry point
    import gc

    global CONSOLE
    CONSOLE = True
    if not GC_DEFAULT_FOR & set(sys.argv[1:]):
        gc.set_threshold(*GC_THRESHOLD)
    try:
        cli(prog_name="detainerwatch")
    finally:
        gc.freeze()  # exiting: the objects left are freed with the process, not traced first
