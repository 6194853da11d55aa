"""The command line documents itself: every subcommand and every option of ``python -m core``
and ``python -m core.worker`` has a help text, and README's command-line section lists every
command with every one of its options.

The commands are read from the real parsers: ``core.cli.build_parser`` registers a command group
in full only when it is named, so each entry of ``core.cli.COMMANDS`` is built on its own.

README's reference is one table row per command, its first cell the command's path in backticks
(``| `runs start JOB_ID` | `--wait`, `--key KEY` … |``); an option counts as listed when the row
holds it in backticks (``--wait`` is not found inside ``--wait-for``)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from core import worker
from core.cli import COMMANDS, build_parser
from core.platform.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
WORKER = "python -m core.worker"


@dataclass(frozen=True)
class Command:
    path: str  # "runs start", "costs budget set", "python -m core.worker serve"
    help: str | None  # as its parent's subcommand list shows it
    parser: argparse.ArgumentParser

    @property
    def leaf(self) -> bool:
        return _subcommands(self.parser) is None

    def options(self, *, documented_only: bool = False) -> list[argparse.Action]:
        """Its options (not -h), the hidden ones too unless ``documented_only``."""
        return [a for a in self.parser._actions if a.option_strings
                and not isinstance(a, argparse._HelpAction)
                and not (documented_only and a.help == argparse.SUPPRESS)]


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return found[0] if found else None


def _walk(parser: argparse.ArgumentParser, path: str, help_text: str | None) -> Iterator[Command]:
    yield Command(path, help_text, parser)
    sub = _subcommands(parser)
    if sub is None:
        return
    helps = {choice.dest: choice.help for choice in sub._choices_actions}
    for name, child in sub.choices.items():
        yield from _walk(child, f"{path} {name}".strip(), helps.get(name))


def _core_commands() -> list[Command]:
    found: list[Command] = []
    for name in COMMANDS:  # each group registered in full, as when it is named
        top = _subcommands(build_parser([name]))
        assert top is not None
        helps = {choice.dest: choice.help for choice in top._choices_actions}
        found += _walk(top.choices[name], name, helps.get(name))
    return found


def _worker_commands() -> list[Command]:
    return list(_walk(worker.build_parser(), WORKER, "worker"))[1:]


ALL = _core_commands() + _worker_commands()
LEAVES = [c for c in ALL if c.leaf]


def test_the_walk_sees_every_command() -> None:
    """Guards the walk itself: a group whose module failed to register would show no leaves."""
    paths = {c.path for c in LEAVES}
    assert {"init", "costs budget set", "seo audit-graph", "agent-jobs assign", "worker serve",
            f"{WORKER} serve", f"{WORKER} llm-test"} <= paths
    assert all(c.path.split()[0] in COMMANDS for c in ALL if not c.path.startswith(WORKER))
    assert {c.path.split()[0] for c in ALL} >= set(COMMANDS)


@pytest.mark.parametrize("command", ALL, ids=lambda c: c.path)
def test_every_command_and_option_has_help(command: Command) -> None:
    assert command.help and command.help.strip(), f"`{command.path}` has no help text"
    missing = [a.option_strings[-1] for a in command.options(documented_only=True)
               if not (a.help and a.help.strip())]
    assert not missing, f"`{command.path}`: no help for {', '.join(missing)}"
    command.parser.format_help()  # renders: a lone % in a help text breaks --help


def _rows(path: str) -> list[str]:
    """README reference rows whose first cell is this command (not a longer one)."""
    start = re.compile(r"^\| `" + re.escape(path) + r"[ `]")
    return [line for line in SECTION.splitlines() if start.match(line)]


@pytest.mark.parametrize("command", LEAVES, ids=lambda c: c.path)
def test_readme_lists_every_command_with_its_options(command: Command) -> None:
    rows = _rows(command.path)
    assert rows, f"README's command-line section has no row for `{command.path}`"
    text = "\n".join(rows)
    missing = [option for action in command.options() for option in action.option_strings
               if not re.search(r"`" + re.escape(option) + r"[ `=]", text)]
    assert not missing, f"README's row for `{command.path}` misses {', '.join(missing)}"


def test_readme_lists_the_global_option() -> None:
    parser = build_parser([])
    for action in parser._actions:
        for option in action.option_strings:
            if not isinstance(action, argparse._HelpAction):
                assert re.search(r"`" + re.escape(option) + r"[ `=]", SECTION), option


def _needs_no_user(command: Command) -> bool:
    """What ``core.cli._run`` runs without ``--user``: init, and what sets no_database or
    no_user."""
    defaults = command.parser._defaults
    return command.path == "init" or bool(defaults.get("no_database") or defaults.get("no_user"))


def test_readme_says_which_commands_need_no_user() -> None:
    free = {c.path for c in LEAVES if not c.path.startswith(WORKER) and _needs_no_user(c)}
    assert "init" in free and "worker serve" in free  # the rule above still reads the code
    sentence = re.search(r"acts as a named user \(`--user EMAIL`\), except ([^.]+)\.", SECTION)
    assert sentence, "README's command-line section lost its sentence on --user"
    named = set(re.findall(r"`([^`]+)`", sentence.group(1)))
    assert named == free
