"""Every kind of failure has its own error code: an operator or a client tells a database
taken over by another process from Redis being down by the code alone."""

from __future__ import annotations

import importlib
import pkgutil

import vtrade
from vtrade.core.errors import VtradeError


def error_classes() -> list[type[VtradeError]]:
    for module in pkgutil.walk_packages(vtrade.__path__, "vtrade."):
        importlib.import_module(module.name)
    found, todo = [], [VtradeError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_no_two_kinds_of_error_share_a_code() -> None:
    """A class that keeps an ancestor's code answers as that ancestor (`OrderOutOfRange` as
    any bad input) and is not counted; every other code belongs to one class."""
    owners: dict[int, list[str]] = {}
    for cls in error_classes():
        if "code" in vars(cls) and not any(
            base.code == cls.code for base in cls.__mro__[1:] if issubclass(base, VtradeError)
        ):
            owners.setdefault(cls.code, []).append(cls.__qualname__)

    assert {code: names for code, names in owners.items() if len(names) > 1} == {}
