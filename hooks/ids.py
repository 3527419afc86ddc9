"""Random identifiers: card and suggestion uuids, PAMA consult ids."""
from __future__ import annotations

import os


def random_uuid() -> str:
    """A random (version 4) UUID in its usual text form, as str(uuid.uuid4()) gives at over twice the cost (a
    warned order takes four)."""
    h = os.urandom(16).hex()
    variant = "89ab"[int(h[16], 16) & 3]  # RFC 4122: the top two bits of the clock sequence are 10
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"
