"""Values that must travel through code but never into a log, repr or traceback."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Masked(Generic[T]):
    """Holds a personal or secret value; its repr and str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        return self._value

    def __repr__(self) -> str:
        return "Masked(***)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Masked) and bool(self._value == other._value)

    def __hash__(self) -> int:
        return hash(self._value)
