"""Finding adapters: the ``debtkit.adapters`` entry-point group plus explicit registration.

Entry points are imported only when their adapter is first asked for. A `Registry` is an
ordinary object; nothing here is process-global, so two registries never see each other's
registrations.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import TypeVar, overload

from debtkit.errors import ConfigurationError, UnknownProviderError
from debtkit.plugin import Adapter

__all__ = ["ENTRY_POINT_GROUP", "Registry", "load_adapter"]

ENTRY_POINT_GROUP = "debtkit.adapters"

AdapterSource = Adapter | type | Callable[[], Adapter]
_A = TypeVar("_A")


def _instantiate(source: object, name: str) -> Adapter:
    adapter = source
    if isinstance(source, type) or (callable(source) and not isinstance(source, Adapter)):
        adapter = source()
    if not isinstance(adapter, Adapter):
        raise ConfigurationError(f"{name!r} does not provide a debtkit adapter")
    return adapter


class Registry:
    def __init__(self, *, use_entry_points: bool = True) -> None:
        self._entry_points: dict[str, EntryPoint] = {}
        if use_entry_points:
            self._entry_points = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
        self._registered: dict[str, AdapterSource] = {}
        self._loaded: dict[str, Adapter] = {}

    def register(self, source: AdapterSource, name: str | None = None) -> None:
        """Make an adapter (instance, class or factory) available under its name."""
        key = name or getattr(source, "name", None)
        if not isinstance(key, str) or not key:
            raise ConfigurationError("an adapter needs a name to be registered")
        self._registered[key] = source
        self._loaded.pop(key, None)

    def names(self) -> list[str]:
        return sorted({*self._entry_points, *self._registered})

    @overload
    def get(self, name: str) -> Adapter: ...

    @overload
    def get(self, name: str, kind: type[_A]) -> _A: ...

    def get(self, name: str, kind: type[object] | None = None) -> object:
        """The adapter called `name`; with `kind` (its class), typed as that class and
        checked to be one, so that its client's own methods type-check too."""
        adapter = self._get(name)
        if kind is not None and not isinstance(adapter, kind):
            raise ConfigurationError(
                f"the {name!r} adapter is a {type(adapter).__name__}, not a {kind.__name__}"
            )
        return adapter

    def _get(self, name: str) -> Adapter:
        if name in self._loaded:
            return self._loaded[name]
        if name in self._registered:
            adapter = _instantiate(self._registered[name], name)
        elif name in self._entry_points:
            try:
                source = self._entry_points[name].load()
            except (ImportError, AttributeError) as exc:
                raise ConfigurationError(
                    f"the {name!r} adapter is installed but cannot be imported: {exc}"
                ) from exc
            adapter = _instantiate(source, name)
        else:
            raise UnknownProviderError(name, self.names())
        self._loaded[name] = adapter
        return adapter


@overload
def load_adapter(name: str, kind: None = None, *, registry: Registry | None = None) -> Adapter: ...


@overload
def load_adapter(name: str, kind: type[_A], *, registry: Registry | None = None) -> _A: ...


def load_adapter(
    name: str, kind: type[object] | None = None, *, registry: Registry | None = None
) -> object:
    """The adapter called `name`, from `registry` or from the installed entry points.

    ``load_adapter("getbill", GetBillAdapter)`` returns it typed as a `GetBillAdapter`, whose
    `connect()` gives a `GetBillClient`; without `kind` it is a plain `Adapter`.
    """
    registry = registry or Registry()
    return registry.get(name) if kind is None else registry.get(name, kind)
