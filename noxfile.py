"""Developer sessions: `nox -s lint typecheck tests`, and `nox -s bench` for the figures."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", "debtkit", "adapters")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test,redis,cli]", "mypy")
    session.run("mypy", "--strict", "debtkit", "adapters")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    # The official Debitura SDK is the peer baseline; it is installed here and nowhere else.
    session.install("-e", ".[test,redis]", "debitura-debt-collection==1.0.0")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})
