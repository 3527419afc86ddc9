"""Variant conditions: concept ids combined with all/any/not, evaluated in three-valued logic.

A concept's state is True (documented), False (looked for in every record source that could show it, and absent)
or None (could not be looked for). `not` of an unknown stays unknown.

Conditions are evaluated in Kleene's logic with the states as levels, FALSE < UNKNOWN < TRUE: `all` is the lowest
level of its parts, `any` the highest, `not` mirrors. An expression is compiled once, at load, into a test: one
Python function of the levels of its concepts. What evaluation found along the way needs no walk either: the facts
that led to a match are the expression's `supporting` concepts at TRUE, the gaps are any of its concepts at UNKNOWN.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

FALSE, UNKNOWN, TRUE = 0, 1, 2
LEVEL = {False: FALSE, None: UNKNOWN, True: TRUE}  # a concept state -> its level

Test = Callable[[Mapping[str, int]], int]  # concept -> level, to the condition's level


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


def supporting_concepts(expr: tuple) -> Iterable[str]:
    """The concepts not under a `not`: documented, they are the facts that put a record in the variant."""
    op, arg = expr
    if op == "concept":
        yield arg
    elif op != "not":
        for sub in arg:
            yield from supporting_concepts(sub)


def compile_test(expr: tuple) -> Test:
    """The expression as one function, e.g. all(a, not b) -> lambda levels: min(levels['a'], 2 - (levels['b'])).

    Built from the operators above and repr() of concept ids only; rating a record then costs one call a variant.
    """
    return eval(f"lambda levels: {_source(expr)}", {"__builtins__": {}, "min": min, "max": max})


def _source(expr: tuple) -> str:
    op, arg = expr
    if op == "concept":
        return f"levels[{arg!r}]"
    if op == "not":
        return f"{TRUE} - ({_source(arg)})"
    if len(arg) == 1:
        return _source(arg[0])
    return f"{'min' if op == 'all' else 'max'}({', '.join(_source(sub) for sub in arg)})"
