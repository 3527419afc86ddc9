"""Variant conditions: concept ids combined with all/any/not, evaluated in three-valued logic.

A concept's state is True (documented), False (looked for in every record source that could show it, and absent)
or None (could not be looked for). `not` of an unknown stays unknown.
"""
from __future__ import annotations

from typing import Callable, Iterable, NamedTuple

State = Callable[[str], "bool | None"]


class Evaluation(NamedTuple):  # a tuple, not a dataclass: built for every node on every rating (hot path)
    value: bool | None
    true: frozenset[str]      # concepts found true along the way (the facts that led here)
    unknown: frozenset[str]   # concepts whose state was unknown


def compile_expression(raw) -> tuple:
    if isinstance(raw, str):
        return ("concept", raw)
    (op, arg), = raw.items()
    if op == "not":
        return ("not", compile_expression(arg))
    return (op, tuple(compile_expression(a) for a in arg))


def concepts_of(expr: tuple) -> Iterable[str]:
    op, arg = expr
    if op == "concept":
        yield arg
    elif op == "not":
        yield from concepts_of(arg)
    else:
        for sub in arg:
            yield from concepts_of(sub)


def evaluate(expr: tuple, state: State) -> Evaluation:
    op, arg = expr
    if op == "concept":
        value = state(arg)
        return Evaluation(value, frozenset((arg,)) if value else _NONE, frozenset((arg,)) if value is None else _NONE)
    if op == "not":
        inner = evaluate(arg, state)
        return Evaluation(None if inner.value is None else not inner.value, _NONE, inner.unknown)
    parts = [evaluate(sub, state) for sub in arg]
    values = [p.value for p in parts]
    if op == "all":
        value = False if False in values else (None if None in values else True)
    else:  # any
        value = True if True in values else (None if None in values else False)
    true, unknown = _NONE, _NONE
    for p in parts:
        if p.true:
            true = true | p.true
        if p.unknown:
            unknown = unknown | p.unknown
    return Evaluation(value, true, unknown)


_NONE: frozenset[str] = frozenset()
