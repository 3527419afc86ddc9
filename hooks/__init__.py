"""One module per CDS hook (order_select, order_sign): request context -> cards and system actions."""


class HookInputError(ValueError):
    """The request is well-formed JSON but its content cannot be used; `field` names the offending part."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class RecordUnavailable(RuntimeError):
    """The answer needs record data that neither prefetch nor the FHIR server could supply (HTTP 412)."""
