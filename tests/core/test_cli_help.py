"""The command line explains itself: a version, help on every option, the installed
adapters named, and one clear line for an unknown provider or a busy port."""

from __future__ import annotations

import argparse
import socket

import pytest

from debtkit import Registry, __version__
from debtkit.cli import _commands, _parser, main


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"debtkit {__version__}"


def test_every_option_of_every_command_has_help_text() -> None:
    missing = [
        f"{command.prog} {'/'.join(action.option_strings) or action.dest}"
        for command in _commands(_parser(["getbill"]))
        for action in command._actions
        if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction))
        and not (action.help and action.help.strip())
    ]
    assert missing == []


def test_import_help_lists_the_installed_adapters_and_the_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "installed: debitura, getbill" in out
    assert "exit codes: 0" in out
    assert "4 only rows refused locally" in out


def test_an_unknown_provider_is_one_line_listing_the_installed_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["export", "--provider", "nope", "--credential", "a=b"], Registry())
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "installed adapters: debitura, getbill" in err


def test_simulate_on_a_busy_port_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["simulate", "--provider", "getbill", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"debtkit: port {port} is busy: pass another --port\n"
