"""Variant conditions compiled at load answer as three-valued logic read straight from the expression would, for
every combination of documented / absent / unknown facts (the compiled form is what rates every order)."""
import itertools

import pytest

from criteria import load_criteria
from criteria.expressions import LEVEL, compile_expression, compile_test, concepts_of, supporting_concepts

STATES = (True, False, None)


def direct(expr, states):
    """The condition's value, evaluated node by node: all/any/not with unknown (None) propagating."""
    op, arg = expr
    if op == "concept":
        return states[arg]
    if op == "not":
        value = direct(arg, states)
        return None if value is None else not value
    values = [direct(sub, states) for sub in arg]
    decisive, other = (False, True) if op == "all" else (True, False)
    return decisive if decisive in values else (None if None in values else other)


def every_state_combination(expr):
    names = sorted(set(concepts_of(expr)))
    for combo in itertools.product(STATES, repeat=len(names)):
        yield dict(zip(names, combo))


VARIANTS = [pytest.param(v, id=v.id) for t in load_criteria().topics.values() for v in t.variants]
SHAPES = [{"all": ["a"]}, {"any": ["a"]}, {"not": {"not": "a"}}, {"any": [{"not": "a"}, {"all": ["b", {"not": "c"}]}]},
          {"not": {"all": ["a", "b"]}}, {"all": [{"any": ["a", "b"]}, {"not": {"any": ["b", "c"]}}]}]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_condition_compiles_to_its_three_valued_meaning(variant):
    for states in every_state_combination(variant.when):
        levels = {k: LEVEL[v] for k, v in states.items()}
        assert variant.test(levels) == LEVEL[direct(variant.when, states)], states


@pytest.mark.parametrize("raw", SHAPES, ids=str)
def test_nested_and_single_item_shapes_compile_to_their_three_valued_meaning(raw):
    expr = compile_expression(raw)
    test = compile_test(expr)
    for states in every_state_combination(expr):
        assert test({k: LEVEL[v] for k, v in states.items()}) == LEVEL[direct(expr, states)], states


def test_facts_under_a_not_never_count_as_the_facts_that_led_to_a_match():
    expr = compile_expression({"all": ["a", {"not": "b"}, {"any": ["c", {"not": {"not": "d"}}]}]})
    assert set(supporting_concepts(expr)) == {"a", "c"}
