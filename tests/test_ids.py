"""Card, suggestion and consult ids are random version-4 UUIDs in canonical text (EHRs key feedback on them)."""
import uuid

from hooks.ids import random_uuid


def test_random_uuid_is_a_canonical_version_4_uuid():
    texts = [random_uuid() for _ in range(400)]
    for text in texts:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert {t[19] for t in texts} == set("89ab")  # every variant digit occurs: those bits are random too
    assert len(set(texts)) == len(texts)
