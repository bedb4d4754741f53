"""`earpiece` lists every command at once but loads a command's module only when it runs."""

from __future__ import annotations

import pytest

from earpiece.cli import COMMANDS, build_parser


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_runs_with_its_modules_parser(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args([name, "--help"])
    assert stop.value.code == 0, capsys.readouterr().err  # a stand-in parser has no --help
    assert capsys.readouterr().out.startswith(f"usage: earpiece {name} ")


def test_the_command_list_gives_each_command_its_help_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    listing = " ".join(capsys.readouterr().out.split())
    for name, command in COMMANDS.items():
        assert f"{name} {command.help}" in listing
