"""What `pip install` brings: the extras promised in the README, and every package."""

from __future__ import annotations

import re
from importlib.metadata import requires
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_testing_extra_brings_what_the_pytest_fixtures_need() -> None:
    testing = {
        re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0]
        for requirement in requires("debtkit") or []
        if 'extra == "testing"' in requirement
    }
    assert {"pytest", "pytest-asyncio", "aioresponses"} <= testing


def test_every_package_directory_is_installed() -> None:
    block = re.search(r"^packages = \[(.*?)\]", (ROOT / "pyproject.toml").read_text(), re.S | re.M)
    assert block is not None
    listed = set(re.findall(r'"([\w.]+)"', block[1]))
    found = {
        ".".join(init.parent.relative_to(base).parts)
        for base, top in ((ROOT, "debtkit"), (ROOT / "adapters", "debtkit_getbill"),
                          (ROOT / "adapters", "debtkit_debitura"))
        for init in (base / top).rglob("__init__.py")
    }  # fmt: skip
    assert found - listed == set()
