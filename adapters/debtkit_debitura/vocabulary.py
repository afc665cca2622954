"""Open vocabularies: enums that keep a value Debitura adds tomorrow instead of failing.

Debitura evolves its API additively (new document types, task types, roles), so a response
carrying a value this release does not know must still be read. An unknown value becomes a
pseudo-member carrying that value (``DocumentType("Contract").value == "Contract"``), which is
not among the class's members (``member in DocumentType.known()`` tells them apart).
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

__all__ = ["OpenIntVocabulary", "OpenVocabulary"]

_V = TypeVar("_V", bound="OpenVocabulary")
_I = TypeVar("_I", bound="OpenIntVocabulary")


class OpenVocabulary(str, enum.Enum):
    """A string enum that reads any string, known or not."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @classmethod
    def known(cls: type[_V]) -> frozenset[_V]:
        return frozenset(cls)

    @property
    def is_known(self) -> bool:
        return self._name_ in type(self).__members__


class OpenIntVocabulary(enum.IntEnum):
    """An integer enum that reads any integer, known or not."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return member

    @classmethod
    def known(cls: type[_I]) -> frozenset[_I]:
        return frozenset(cls)

    @property
    def is_known(self) -> bool:
        return self._name_ in type(self).__members__
