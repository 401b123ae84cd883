"""The contract's single error type."""

from __future__ import annotations


class SchemaError(ValueError):
    """A payload or topic that does not satisfy the contract.

    ``reason`` is a short machine-friendly category (``invalid_json``, ``wrong_type``,
    ``missing_field``, ``unknown_version``, ``too_large``, ``not_utc``, ``bad_topic``...);
    the message says what exactly was wrong, for dead-letter records and logs.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
