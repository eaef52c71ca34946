"""jsonschema's validator, reading arguments as the server does (the reference for cases and tests)."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["reference_validator"]


@functools.cache
def _reference_class() -> Any:
    from jsonschema import Draft202012Validator, ValidationError, validators

    from finizi_b4b.validation import whole_value

    def pattern(validator: Any, source: str, instance: Any, schema: Any) -> Iterator[Any]:
        if validator.is_type(instance, "string") and not re.search(whole_value(source), instance):
            yield ValidationError(f"{instance!r} does not match {source!r}")

    def finite(checker: Any, instance: Any) -> bool:
        number = Draft202012Validator.TYPE_CHECKER.is_type(instance, "number")
        return number and (not isinstance(instance, float) or math.isfinite(instance))

    checker = Draft202012Validator.TYPE_CHECKER.redefine("number", finite)
    return validators.extend(Draft202012Validator, {"pattern": pattern}, type_checker=checker)


def reference_validator(schema: dict[str, Any]) -> Any:
    """jsonschema's 2020-12 validator (with formats) for arguments, as the server reads them.

    Two rules where the server is stricter than jsonschema's defaults: a pattern
    matches the whole value (jsonschema runs Python's ``re.search``, whose ``$``
    lets a trailing newline through), and a number is finite.
    """
    from jsonschema import Draft202012Validator

    return _reference_class()(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
