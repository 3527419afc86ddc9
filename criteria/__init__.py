"""ACR Appropriateness Criteria as versioned data, and the variant matcher.

Knows nothing of FHIR or HTTP: facts come in as concept ids with a three-valued state.
"""
from criteria.loader import load_criteria, CriteriaError
from criteria.matcher import assess
from criteria.model import Category, Criteria

__all__ = ["load_criteria", "CriteriaError", "assess", "Category", "Criteria"]
