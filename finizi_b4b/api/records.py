"""The machinery of the wire models: the :class:`Record` base, and the converter that reads them.

Each record class gets a structure hook generated for it (as cattrs'
``make_dict_structure_fn`` does) with each field's check from
``finizi_b4b.api.fields`` inlined: unknown keys go to ``extra`` first; a known
field whose value fails its check joins them there (as sent) and is left at its
default; a required field that ends up ``None`` or not sent is a bad response.
Unstructuring writes the known fields that were sent, then ``extra``.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs
import cattrs

from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.fields import ABSENT, CHECKS, LIST, Check, has_type
from finizi_b4b.errors import ErrorCode

__all__ = [
    "Record",
    "bad_record",
    "converter",
    "picker",
    "record_name",
    "register",
    "structure",
    "structure_list",
    "unstructure",
]

R = TypeVar("R", bound="Record")
Extra = dict[str, Any]


class Record:
    """What every record shares: ``extra`` (unknown or wrong-typed fields, as sent) and reading by name."""

    __slots__ = ()
    __record_fields__: typing.ClassVar[frozenset[str]] = frozenset()
    extra: Extra

    def get(self, name: str, default: Any = None) -> Any:
        """The field ``name`` as sent (known or not), or ``default`` when it was not sent."""
        if name in self.__record_fields__:
            value = getattr(self, name)
            if value is not ABSENT:
                return value
        return self.extra.get(name, default)

    def pick(self, names: Iterable[str]) -> dict[str, Any]:
        """The named fields the record has, as plain JSON values, in the order given."""
        out: dict[str, Any] = {}
        known, extra = self.__record_fields__, self.extra
        for name in names:
            value = getattr(self, name) if name in known else ABSENT
            if value is not ABSENT:
                out[name] = _plain(value)
            elif name in extra:
                out[name] = extra[name]
        return out


converter = cattrs.Converter()


def bad_record(record: str, problem: str, **facts: Any) -> ApiError:
    """A malformed record; ``problem`` is ``not_object``, ``missing`` or ``wrong_shape``."""
    facts = {"record": record, "problem": problem, **facts}
    return ApiError(ErrorCode.BAD_RESPONSE, "malformed", facts=facts)


def record_name(cls: type) -> str:
    return getattr(cls, "__name__", str(cls)).lower()


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return converter.unstructure(value)
    if type(value) is list:
        return [converter.unstructure(v) if isinstance(v, Record) else v for v in value]
    return value


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in attrs.fields(cls) if f.name != "extra"}


def _without_none(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp):
        args = tuple(a for a in typing.get_args(tp) if a is not type(None))
        return args[0] if len(args) == 1 else typing.Union[args]  # noqa: UP007 (a runtime union of args)
    return tp


def _record_list(tp: Any) -> type | None:
    """The record class of a ``list[SomeRecord]`` field, else ``None``."""
    if typing.get_origin(tp) is list:
        (arg,) = typing.get_args(tp)
        if isinstance(arg, type) and issubclass(arg, Record):
            return arg
    return None


def _list_reader(item_cls: type) -> Callable[[Any], Any]:
    """Reads a list of records; anything else (or a list holding a non-object) is ``ABSENT``."""
    hook = converter.get_structure_hook(item_cls)

    def read(value: Any) -> Any:
        if type(value) is not list:
            return ABSENT
        try:
            return [hook(item, item_cls) for item in value]
        except ApiError:
            return ABSENT

    return read


def _test(check: Check, env: dict[str, Any]) -> str:
    """The check as one inline expression on ``v`` (whose type is ``t``), for the generated hook."""
    terms = []
    for tp, refine in check.items():
        env[tp.__name__] = tp
        if refine is None:
            terms.append(f"t is {tp.__name__}")
        else:
            env[f"_{refine.__name__}"] = refine
            terms.append(f"(t is {tp.__name__} and _{refine.__name__}(v))")
    return " or ".join(terms)


def _structure_factory(cls: type) -> Callable[[Any, type], Any]:
    """The structure hook of ``cls``: generated code, with each field's check inlined."""
    env: dict[str, Any] = {"ABSENT": ABSENT, "cls": cls, "bad": bad_record, "record": record_name(cls)}
    names = _field_types(cls)
    env["NAMES"] = frozenset(names)
    lines = [
        "def structure_record(data, _):",
        "    if type(data) is not dict:",
        "        raise bad(record, 'not_object', got=type(data).__name__)",
        "    extra = {k: v for k, v in data.items() if k not in NAMES}",
        "    get = data.get",
    ]
    args = []
    for number, field in enumerate(attrs.fields(cls)):
        if field.name == "extra":
            args.append("extra")
            continue
        name, tp, var = field.name, _without_none(names[field.name]), f"v{number}"
        args.append(var)
        # Not sent, or sent with the wrong type: the field's default (ABSENT, or None for a refresh token).
        env[f"d{number}"] = ABSENT if field.default is attrs.NOTHING else field.default
        if (item_cls := _record_list(tp)) is not None:
            env[f"read{number}"] = _list_reader(item_cls)
            test = f"t is list and ({var} := read{number}(v)) is not ABSENT"
        elif tp in CHECKS:
            test = _test(CHECKS[tp], env)
        elif typing.get_origin(tp) is list or isinstance(tp, TypeVar):
            test = _test(LIST, env)
        else:
            raise TypeError(f"{cls.__name__}.{name}: no check for {tp!r}")
        lines += [
            f"    v = {var} = get({name!r}, ABSENT)",
            "    if v is ABSENT:",
            f"        {var} = d{number}",
            "    elif v is not None:",
            "        t = type(v)",
            f"        if not ({test}):",
            f"            extra[{name!r}] = v",
            f"            {var} = d{number}",
        ]
        if field.default is attrs.NOTHING:
            lines += [
                f"    if {var} is ABSENT or {var} is None:",
                f"        problem = 'wrong_shape' if {name!r} in extra else 'missing'",
                f"        raise bad(record, problem, field={name!r})",
            ]
    lines.append(f"    return cls({', '.join(args)})")
    exec(compile("\n".join(lines), f"<structure {cls.__name__}>", "exec"), env)  # noqa: S102
    return env["structure_record"]


def _unstructure_factory(cls: type) -> Callable[[Any], dict[str, Any]]:
    fields = _field_types(cls)
    names = tuple(fields)
    # Lists may hold records: line items, and the items of a page once structure_page has read them.
    nested = frozenset(n for n, tp in fields.items() if typing.get_origin(_without_none(tp)) is list)

    def unstructure_record(obj: Any) -> dict[str, Any]:
        out = {}
        for name in names:
            value = getattr(obj, name)
            if value is not ABSENT:
                out[name] = _plain(value) if name in nested else value
        out.update(obj.extra)
        return out

    return unstructure_record


def _is_record(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, Record) and attrs.has(cls)


converter.register_structure_hook_factory(_is_record, _structure_factory)
converter.register_unstructure_hook_factory(_is_record, _unstructure_factory)


def register(*classes: type[Record]) -> None:
    """Make the hooks of ``classes`` now (a field type with no check fails at import, not on an answer)."""
    for cls in classes:
        cls.__record_fields__ = frozenset(_field_types(cls))
        converter.get_structure_hook(cls)
        converter.get_unstructure_hook(cls)


def structure(data: Any, cls: type[R]) -> R:
    """One record from an answer; a record the tools cannot use is a ``bad_response`` :class:`ApiError`."""
    return converter.get_structure_hook(cls)(data, cls)


def structure_list(data: Any, cls: type[R]) -> list[R]:
    """A JSON list of records; anything but a list is a ``bad_response``."""
    if type(data) is not list:
        raise bad_record(record_name(cls) + " list", "not_list", got=type(data).__name__)
    hook = converter.get_structure_hook(cls)
    return [hook(item, cls) for item in data]


def unstructure(obj: Any) -> Any:
    """A record (or a list of them) as the JSON object it came as: known fields, then ``extra``."""
    return converter.unstructure(obj)


def picker(cls: type[R], names: Iterable[str]) -> Callable[[Any], dict[str, Any]]:
    """:func:`_picker` of ``cls`` and ``names``, made once for each (the tools ask for a few field sets)."""
    return _picker(cls, tuple(names))


@functools.lru_cache(maxsize=128)
def _picker(cls: type[R], wanted: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    """What ``structure(item, cls).pick(names)`` gives, without building the record when it need not be.

    A JSON object whose required fields pass their checks is a record that
    ``pick`` would write back as sent, so the named fields are read straight
    from it. Anything else (not an object, a required field missing or of the
    wrong type), and any pick of a list of records (written back from its
    records), goes through the record, with its errors.
    """
    hook = converter.get_structure_hook(cls)

    def typed(item: Any) -> dict[str, Any]:
        return hook(item, cls).pick(wanted)

    types_ = _field_types(cls)
    if any(_record_list(_without_none(types_[n])) is not None for n in wanted if n in types_):
        return typed
    required = []
    for field in attrs.fields(cls):
        if field.name != "extra" and field.default is attrs.NOTHING:
            check = CHECKS.get(_without_none(types_[field.name]))
            if check is None:
                return typed
            required.append((field.name, check))

    def pick(item: Any) -> dict[str, Any]:
        if type(item) is dict and all(has_type(check, item.get(name)) for name, check in required):
            return {name: item[name] for name in wanted if name in item}
        return typed(item)

    return pick
