"""What the CLI tests share: an adapter over one in-memory provider, and files of debts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from debtkit import Registry, to_json
from debtkit.sample import sample_debts
from debtkit.testing.fake import FakeProvider
from debtkit.validation import PolicyRule
from tests.core.acme_adapter import AcmeAdapter

__all__ = ["FakeAdapter", "debts_file", "registry_of"]


class FakeAdapter(AcmeAdapter):
    """An adapter whose clients all share one in-memory provider."""

    name = "fake"
    credential_env: Mapping[str, str] = {"api_key": "FAKE_API_KEY"}

    def __init__(self) -> None:
        self.provider = FakeProvider()
        self.connected_with: list[dict[str, Any]] = []

    def policy_rules(self) -> Sequence[PolicyRule]:
        return ()

    def connect(self, credentials: Mapping[str, str], **options: Any) -> FakeProvider:  # type: ignore[override]
        self.connected_with.append({"credentials": dict(credentials), **options})
        return self.provider


def registry_of(adapter: FakeAdapter) -> Registry:
    """A registry holding only `adapter`, under the name "fake"."""
    registry = Registry(use_entry_points=False)
    registry.register(lambda: adapter, name="fake")
    return registry


def debts_file(folder: Path, count: int, *, seed: int) -> Path:
    """`count` valid sample debts as a JSONL file in `folder`."""
    path = folder / "debts.jsonl"
    path.write_text("".join(to_json(d) + "\n" for d in sample_debts(count, seed=seed, broken=0.0)))
    return path
