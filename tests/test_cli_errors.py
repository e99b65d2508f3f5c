"""Issue 8: every command, given bad arguments, prints exactly one `Error:` line and exits with 2.

The commands are found by walking the typer app, and the bad arguments are made from each
parameter's name and type, so a new command or option is covered without editing this file:
- a database that does not exist (read commands), is not SQLite, or is a folder;
- an unknown theme, a missing input file, an output in a missing folder, a malformed date,
  an unknown format or frequency, a model directory that does not exist.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from nlp.cli import app

# Commands that never open the database, or create it (so a missing database is not an error).
NO_DATABASE = {"tag", "themes", "train", "evaluate", "prices fetch"}
CREATES_DATABASE = {"scrape", "prices load"}
# Required arguments get a valid value so that the parameter under test is what fails.
VALID = {"query": "rates", "theme": "ai_capex", "themes": "ai_capex", "task": "themes", "tickers": "AAPL"}
BAD_BY_NAME = {
    "theme": "no_such_theme", "themes": "no_such_theme",
    "since": "2025-13-45", "start": "2025-13-45", "end": "not-a-date",
    "fmt": "no-such-format", "freq": "fortnightly", "horizons": "1,x",
    "device": "quantum", "model": "{tmp}/no-such-model",
}
OUTPUT_NAMES = {"output", "out"}


def walk_commands() -> list[tuple[str, object]]:
    """("prices load", command) for every leaf command of the app."""
    found = []

    def walk(command, prefix):
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in sorted(subcommands.items()):
                walk(sub, [*prefix, name])
        else:
            found.append((" ".join(prefix), command))

    walk(typer.main.get_command(app), [])
    return found


def annotation(param) -> object:
    return getattr(getattr(param, "type_descriptor", None), "annotation", None)


def is_path(param) -> bool:
    hint = annotation(param)
    return hint is Path or Path in typing.get_args(hint)


def is_flag_or_number(param) -> bool:
    return annotation(param) in (bool, int, float)


@dataclass(frozen=True)
class Case:
    command: str
    why: str
    args: tuple[str, ...]       # after `narrative`; "{tmp}", "{good_feed}", ... are filled in per test

    @property
    def id(self) -> str:
        return f"{self.command}: {self.why}"


def required_args(command, skip: str | None = None) -> list[str]:
    args = []
    for param in command.params:
        if param.name == skip or not param.required:
            continue
        value = VALID.get(param.name, "{good_file}")
        args += [value] if param.param_type_name == "argument" else [param.opts[0], value]
    return args


def param_args(param, value: str) -> list[str]:
    return [value] if param.param_type_name == "argument" else [param.opts[0], value]


def build_cases() -> list[Case]:
    cases = []
    for name, command in walk_commands():
        words = name.split()
        needed = ["{good_feed}"] if name == "scrape" else required_args(command)
        if name not in NO_DATABASE:
            cases.append(Case(name, "database is not SQLite", ("--db", "{garbage_db}", *words, *needed)))
            cases.append(Case(name, "database is a folder", ("--db", "{tmp}", *words, *needed)))
            if name not in CREATES_DATABASE:
                cases.append(Case(name, "no database", ("--db", "{tmp}/none.db", *words, *needed)))
        for param in command.params:
            bad = bad_value(param)
            if bad is None:
                continue
            why, value = bad
            args = ("--db", "{empty_db}", *words, *required_args(command, skip=param.name), *param_args(param, value))
            cases.append(Case(name, f"{param.name}: {why}", args))
    return cases


def bad_value(param) -> tuple[str, str] | None:
    if param.name in BAD_BY_NAME:
        return "bad value", BAD_BY_NAME[param.name]
    if is_path(param):
        if param.name in OUTPUT_NAMES:
            return "output folder missing", "{tmp}/no/such/folder/out.file"
        return "missing file", "{tmp}/missing.file"
    return None


CASES = build_cases()
# Known failures in files owned elsewhere, pinned as strict xfails (the fix turns them red; drop the entry).
KNOWN_BUGS: dict[str, str] = {}
# Known bugs that also start minutes of work before failing: not run (they would stall the suite).
SLOW_KNOWN_BUGS: dict[str, str] = {}
# A guard, not a measurement: a bad argument must be refused before any real work begins.
WORK_GUARD_S = 90


def with_known_bugs(cases: list[Case]) -> list:
    params = []
    for case in cases:
        reason = KNOWN_BUGS.get(case.why) or KNOWN_BUGS.get(case.id)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        if case.id in SLOW_KNOWN_BUGS:
            marks = [pytest.mark.xfail(run=False, reason=SLOW_KNOWN_BUGS[case.id])]
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Files the cases refer to; the network refused (a command must fail before it goes out)."""
    from nlp.store import open_db

    # Commands with default outputs (report.html, timeline_THEME.png) must not write into the checkout.
    monkeypatch.chdir(tmp_path)
    open_db(tmp_path / "empty.db").conn.close()
    (tmp_path / "garbage.db").write_text("this is not a database\n")
    (tmp_path / "feed.xml").write_text('<rss version="2.0"><channel><title>t</title><item><title>x</title>'
                                       "<link>http://example.com/x</link></item></channel></rss>")
    (tmp_path / "AAPL.csv").write_text("date,close\n2025-01-02,10\n")
    real_connect = socket.socket.connect

    def loopback_only(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            raise OSError(f"tests do not touch the network ({address[0]})")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    return {"tmp": str(tmp_path), "empty_db": str(tmp_path / "empty.db"), "garbage_db": str(tmp_path / "garbage.db"),
            "good_feed": str(tmp_path / "feed.xml"), "good_file": str(tmp_path / "AAPL.csv")}


class StillWorking(Exception):
    pass


def invoke(args: tuple[str, ...], places: dict[str, str]):
    """Run the command in-process; one still running after WORK_GUARD_S is stopped and reported."""
    def stop(_signum, _frame):
        raise StillWorking(f"still running after {WORK_GUARD_S}s: the bad argument was not refused up front")

    guarded = hasattr(signal, "SIGALRM")
    if guarded:
        previous = signal.signal(signal.SIGALRM, stop)
        signal.alarm(WORK_GUARD_S)
    try:
        return CliRunner().invoke(app, [arg.format(**places) for arg in args])
    finally:
        if guarded:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)


def assert_one_error_line(result) -> None:
    details = f"exit {result.exit_code}\nstdout: {result.stdout[-500:]}\nstderr: {result.stderr[-1500:]}"
    assert "Traceback" not in result.stderr + result.stdout, details
    assert result.exception is None or isinstance(result.exception, SystemExit), f"{result.exception!r}\n{details}"
    assert result.exit_code == 2, details
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and result.stderr.rstrip().splitlines()[-1] == errors[0], details


def test_every_command_gets_bad_arguments():
    covered = {case.command for case in CASES}
    assert covered == {name for name, _ in walk_commands()}
    assert {"scrape", "feeds", "articles", "search"} <= covered  # the walk finds the commands at all


@pytest.mark.parametrize("case", with_known_bugs(CASES))
def test_bad_argument_gives_one_error_line_and_exit_2(case, places):
    assert_one_error_line(invoke(case.args, places))


# --- a read-only database: every command either works or says so in one line ------------------

READ_ONLY_BUGS: dict[str, str] = {}


def read_only_params() -> list:
    params = []
    for name, command in walk_commands():
        if name in NO_DATABASE:
            continue
        needed = ["{good_feed}"] if name == "scrape" else required_args(command)
        marks = [pytest.mark.xfail(strict=True, reason=READ_ONLY_BUGS[name])] if name in READ_ONLY_BUGS else []
        params.append(pytest.param(name, needed, id=name, marks=marks))
    return params


@pytest.mark.parametrize("name, needed", read_only_params())
def test_read_only_database_works_or_gives_one_error_line(name, needed, places, monkeypatch, tmp_path):
    import sqlite3

    from nlp.scrape import scrape

    scrape([places["good_feed"]], db=places["empty_db"])  # something to read, and to extract
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect",  # how SQLite opens a file it may not write (root ignores chmod)
                        lambda database, *a, **kw: connect(f"file:{database}?mode=ro", *a, **{**kw, "uri": True}))
    result = invoke(("--db", "{empty_db}", *name.split(), *needed), places)
    if result.exit_code == 0:
        assert "Traceback" not in result.stderr
    else:
        assert_one_error_line(result)


# --- usage errors (click's own checks) ----------------------------------------------------
# typer prints these as a multi-line box with a usage line. The fix belongs in nlp/cli/app.py
# (a TyperGroup whose main() catches typer.TyperException and prints `Error: {exc.format_message()}`);
# strict xfail until then, so the fix turns this red and the marker is removed with it.


def usage_cases() -> list[Case]:
    cases = [Case("narrative", "unknown command", ("no-such-command",))]
    for name, command in walk_commands():
        words = name.split()
        cases.append(Case(name, "unknown option", (*words, *required_args(command), "--no-such-option")))
        numbers = [p for p in command.params if annotation(p) in (int, float) and p.param_type_name == "option"]
        if numbers:
            cases.append(Case(name, f"{numbers[0].name}: not a number",
                              (*words, *required_args(command), numbers[0].opts[0], "many")))
    return cases


USAGE_CASES = usage_cases()


def test_usage_errors_give_one_error_line_and_exit_2(tmp_path):
    places = {"good_file": str(tmp_path / "AAPL.csv"), "good_feed": str(tmp_path / "feed.xml"), "tmp": str(tmp_path)}
    failures = []
    for case in USAGE_CASES:
        try:
            assert_one_error_line(invoke(("--db", str(tmp_path / "n.db"), *case.args), places))
        except AssertionError as exc:
            failures.append(f"{case.id}: {str(exc).splitlines()[0]}")
    assert not failures, "\n".join(failures)


def test_cli_silences_only_the_anyio_prestart_cancel_warning():
    code = (
        "import warnings; from nlp.cli import silence_known_shutdown_warnings as s; s(); "
        "warnings.warn(\"coroutine 'connect_tcp.<locals>.try_connect' was never awaited\", RuntimeWarning); "
        "warnings.warn(\"coroutine 'mine' was never awaited\", RuntimeWarning)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert "try_connect" not in result.stderr
    assert "coroutine 'mine' was never awaited" in result.stderr
