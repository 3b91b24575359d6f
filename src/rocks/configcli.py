"""A frozen config dataclass IS the command line: one flag per field, help from its docstring.

Follows cleanrl's convention (one ``Args`` dataclass per entry point, each field documented,
parsed by tyro): every ``rocks`` command and every experiment's run.py builds its parser from
its config class, so a field cannot lack a flag, a flag cannot lack a field, and the defaults
live in one place (the dataclass).

    parser = argparse.ArgumentParser(prog="rocks train loop")
    add_config_arguments(parser, LoopConfig)
    cfg = config_from_args(LoopConfig, parser.parse_args(argv))

Field -> option (``field.name`` with ``_`` as ``-``; the name as written, ``--batch_size``, is
accepted too, unlisted, so commands recorded in older ledgers still run):

==========================  ==============================  ==============================
annotation                  command line                    value
==========================  ==============================  ==============================
``int``, ``float``, ``str``  ``--batch-size 256``            ``1_000`` and ``3e-4`` work
``bool``                    ``--bf16`` / ``--no-bf16``      argparse BooleanOptionalAction
``X | None``                ``--init none``                 ``none`` (or ``null``) is None
``Literal["a", "b"]``       ``--mode a``                    one of the choices
``tuple[X, ...]``           ``--levels 1,5,10``             comma separated; ``""`` is ()
``Path``                    ``--out runs/x``                a ``pathlib.Path``
a nested config dataclass   ``--selfplay.full-visits 64``   one flag per nested field
==========================  ==============================  ==============================

Help comes from the class docstring's Google-style ``Attributes:`` section (``name: text``, or
``a, b: text`` for several fields), else from a trailing ``# comment`` on the field, and shows
the default.  Field metadata may add, rarely:

- ``field(default=..., metadata={"flag": "--out"})``: a short alias, only where it keeps a
  documented command short;
- ``field(default=(), metadata={"positional": True})``: a positional argument (a tuple field
  takes one or more values, ``rocks data import A B C``);
- ``field(default=(), metadata={"repeat": True})``: a tuple field whose flag is given once per
  item (``--engine gnugo:10 --engine gnugo:1``; items may contain commas).

Departures from tyro:
  1. argparse only, and only the types above; any other type is refused when the parser is
     built (a :class:`ConfigError`), never misparsed.
  2. An option absent from the command line is absent from the namespace (``SUPPRESS``), so the
     dataclass default is the only default and cannot drift from a restated one.
  3. The same text conversion (:func:`parse_value`, :func:`format_value`) serves ``rocks lab run
     --set key=value``, which checks a run.py's annotations read from its source as text.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import io
import pathlib
import re
import textwrap
import tokenize
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

_SCALARS: dict[Any, str] = {int: "int", float: "float", str: "str", bool: "bool", Path: "path"}
# The names a run.py annotation read from source (``"tuple[int, ...] | None"``) may use.
_ANNOTATION_NAMES: dict[str, Any] = {
    "int": int, "float": float, "str": str, "bool": bool, "tuple": tuple, "None": None,
    "Path": Path, "pathlib": pathlib, "Literal": Literal, "Optional": typing.Optional,
    "typing": typing,
}


class ConfigError(ValueError):
    """A config field the command line cannot set, or a value that is not of its type."""


# ------------------------------------------------------------------ values as text
def parse_value(text: str, annotation: Any, name: str = "value") -> Any:
    """``text`` as a value of ``annotation`` (a type, or its source text such as ``"int"``).

    ConfigError, naming ``name``, when the text is not such a value or the type is one the
    command line cannot set.
    """
    tp = resolve_annotation(annotation)
    try:
        return _parse(text, tp)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def format_value(value: Any) -> str:
    """The command-line text of a value (the inverse of :func:`parse_value`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, tuple | list):
        return ",".join(map(format_value, value))
    return str(value)


def check_type(annotation: Any, name: str = "a field") -> None:
    """ConfigError unless the command line can set a value of this type."""
    tp = resolve_annotation(annotation)
    base, _ = _strip_optional(tp)
    if base in _SCALARS or get_origin(base) is Literal:
        return
    item = _tuple_item(base)
    if item is not None and item is not bool and (item in _SCALARS or get_origin(item) is Literal):
        return
    raise ConfigError(f"{name} of type {_type_name(tp)!r} cannot be set from the command line; "
                      "use int, float, str, bool, Path, Literal[...], tuple[X, ...] or X | None")


def resolve_annotation(annotation: Any) -> Any:
    """A type from an annotation that may be source text (``"tuple[int, ...] | None"``)."""
    if not isinstance(annotation, str):
        return annotation
    try:
        # Only the names above are visible: this reads a type, it runs nothing else.
        return eval(annotation, {"__builtins__": {}}, dict(_ANNOTATION_NAMES))
    except Exception:
        raise ConfigError(f"the type {annotation!r} cannot be set from the command line") from None


def to_argv(values: Mapping[str, Any]) -> list[str]:
    """Command-line options for field values, as :func:`add_config_arguments` reads them.

    ``{"batch_size": 8, "bf16": False, "levels": (1, 5)}`` ->
    ``["--batch-size", "8", "--no-bf16", "--levels", "1,5"]``.
    """
    argv: list[str] = []
    for name, value in values.items():
        flag = _flag(name)
        if isinstance(value, bool):
            argv.append(flag if value else "--no-" + flag[2:])
        else:
            argv += [flag, format_value(value)]
    return argv


def _parse(text: str, tp: Any) -> Any:
    base, optional = _strip_optional(tp)
    if optional and text.strip().lower() in ("none", "null"):
        return None
    item = _tuple_item(base)
    if item is not None:
        return tuple(_scalar(p.strip(), item) for p in text.split(",") if p.strip())
    return _scalar(text, base)


def _scalar(text: str, tp: Any) -> Any:
    if get_origin(tp) is Literal:
        for choice in get_args(tp):
            if text == str(choice):
                return choice
        raise ValueError(f"{text!r} is not one of {', '.join(map(str, get_args(tp)))}")
    if tp is bool:
        low = text.strip().lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"{text!r} is not a valid bool: use true or false")
    if tp not in _SCALARS:
        raise ValueError(f"the type {_type_name(tp)!r} cannot be set from the command line")
    try:
        return tp(text.strip()) if tp in (int, float) else tp(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid {_type_name(tp)} ({exc})") from None


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    if get_origin(tp) in (Union, types.UnionType):
        rest = [a for a in get_args(tp) if a is not type(None)]
        if len(rest) == 1:
            return rest[0], True
    return tp, False


def _tuple_item(tp: Any) -> Any:
    args = get_args(tp)
    if get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None


def _type_name(tp: Any) -> str:
    if tp in _SCALARS:
        return _SCALARS[tp]
    return str(tp).replace("typing.", "").replace("pathlib.", "")


def _metavar(tp: Any) -> str:
    base, optional = _strip_optional(tp)
    item = _tuple_item(base)
    one = item if item is not None else base
    text = ("{" + ",".join(map(str, get_args(one))) + "}" if get_origin(one) is Literal
            else "TEXT" if one is str else _type_name(one).upper())
    text = f"{text},..." if item is not None else text
    return f"{text}|none" if optional else text


# ------------------------------------------------------------------ the parser
@dataclasses.dataclass(frozen=True)
class _Option:
    """One field as a command-line argument."""

    dest: str  # dotted field path: ``selfplay.full_visits``
    flags: tuple[str, ...]  # empty for a positional
    hidden: tuple[str, ...]  # the field's own spelling, ``--full_visits``: accepted, not shown
    type: Any
    default: Any  # dataclasses.MISSING when the field has none
    help: str
    repeat: bool = False  # a tuple given one item per flag


def add_config_arguments(parser: argparse.ArgumentParser, cls: type, *,
                         exclude: Iterable[str] = (), prefix: str = "") -> None:
    """Add one argument per field of ``cls`` (nested config dataclasses: one per their fields).

    ``exclude`` names fields (dotted for nested ones) that stay at their defaults; ``prefix``
    (``"selfplay."``) puts the flags under a name.  ConfigError for a type the command line
    cannot set.
    """
    for opt in _options(cls, prefix, None, set(exclude)):
        base, _ = _strip_optional(opt.type)
        default = "" if opt.default in (dataclasses.MISSING, ()) else \
            f" (default: {format_value(opt.default)})"
        repeat = " (repeatable)" if opt.repeat else ""
        help_ = (opt.help + repeat + default).strip().replace("%", "%%") or None
        if not opt.flags:
            item = _tuple_item(base)
            required = opt.default is dataclasses.MISSING or opt.default == ()
            nargs = ("+" if required else "*") if item is not None else (None if required else "?")
            parser.add_argument(opt.dest, metavar=opt.dest.rsplit(".", 1)[-1].upper(),
                                nargs=nargs, type=_argtype(item if item is not None else opt.type),
                                help=help_, **({} if required else {"default": argparse.SUPPRESS}))
        else:
            for flags, shown in ((opt.flags, help_), (opt.hidden, argparse.SUPPRESS)):
                if not flags:
                    continue
                if base is bool:
                    parser.add_argument(*flags, dest=opt.dest, default=argparse.SUPPRESS,
                                        action=argparse.BooleanOptionalAction, help=shown)
                elif opt.repeat:
                    item = _tuple_item(base)
                    parser.add_argument(*flags, dest=opt.dest, default=argparse.SUPPRESS,
                                        action="append", type=_argtype(item),
                                        metavar=_metavar(item), help=shown)
                else:
                    parser.add_argument(*flags, dest=opt.dest, default=argparse.SUPPRESS,
                                        type=_argtype(opt.type), metavar=_metavar(opt.type),
                                        help=shown, required=opt.default is dataclasses.MISSING
                                        and flags == opt.flags)


def config_from_args(cls: type, namespace: argparse.Namespace, *, prefix: str = "") -> Any:
    """The ``cls`` instance the parsed options describe (defaults for the options not given).

    The class's own checks (``__post_init__``) run here: their ValueError propagates.
    """
    given = {k: v for k, v in vars(namespace).items() if k.startswith(prefix)}
    return _build(cls, {k[len(prefix):]: v for k, v in given.items()}, None)


def config_flags(cls: type, *, exclude: Iterable[str] = (), prefix: str = "") -> set[str]:
    """Every option string :func:`add_config_arguments` adds for ``cls`` (``--no-x`` included),
    and the name of each positional field: what a test compares a command's parser with."""
    names: set[str] = set()
    for opt in _options(cls, prefix, None, set(exclude)):
        if not opt.flags:
            names.add(opt.dest)
            continue
        names.update(opt.flags + opt.hidden)
        if _strip_optional(opt.type)[0] is bool:
            names.update("--no-" + f[2:] for f in opt.flags + opt.hidden)
    return names


def _argtype(tp: Any) -> Any:
    def convert(text: str) -> Any:
        try:
            return _parse(text, tp)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = _type_name(tp)
    return convert


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def _options(cls: type, prefix: str, default_obj: Any, exclude: set[str]) -> list[_Option]:
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ConfigError(f"{cls!r} is not a dataclass")
    hints = _hints(cls)
    helps = field_help(cls)
    out: list[_Option] = []
    for f in dataclasses.fields(cls):
        dest = prefix + f.name
        if not f.init or dest in exclude:
            continue
        tp = hints[f.name]
        default = (getattr(default_obj, f.name) if default_obj is not None else _default(f))
        if _is_config(tp):
            nested_default = None if default is dataclasses.MISSING else default
            out += _options(tp, dest + ".", nested_default, exclude)
            continue
        check_type(tp, f"{cls.__name__}.{f.name}")
        flags: tuple[str, ...] = ()
        hidden: tuple[str, ...] = ()
        if not f.metadata.get("positional"):
            alias = f.metadata.get("flag")
            # The alias first: usage lines and errors show the name the docs use.
            flags = ((alias,) if alias else ()) + (_flag(dest),)
            hidden = (f"--{dest}",) if "_" in dest else ()
        repeat = bool(f.metadata.get("repeat"))
        if repeat and _tuple_item(_strip_optional(tp)[0]) is None:
            raise ConfigError(f"{cls.__name__}.{f.name}: only a tuple field can repeat")
        out.append(_Option(dest, flags, hidden, tp, default, helps.get(f.name, ""), repeat))
    return out


def _build(cls: type, given: Mapping[str, Any], default_obj: Any) -> Any:
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        tp = hints[f.name]
        if _is_config(tp):
            sub = {k[len(f.name) + 1:]: v for k, v in given.items()
                   if k.startswith(f.name + ".")}
            if sub:
                base = (getattr(default_obj, f.name) if default_obj is not None
                        else _default(f))
                values[f.name] = _build(tp, sub, None if base is dataclasses.MISSING else base)
        elif f.name in given:
            value = given[f.name]
            values[f.name] = tuple(value) if isinstance(value, list) else value
    if default_obj is not None:
        return dataclasses.replace(default_obj, **values)
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(f"cannot build {cls.__name__}: {exc}") from None


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _is_config(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except (NameError, TypeError):
        # A class whose annotations name something its module does not define at top level
        # (a test's local class): read each annotation as text.
        return {f.name: resolve_annotation(f.type) for f in dataclasses.fields(cls)}


# ------------------------------------------------------------------ help text
def field_help(cls: type) -> dict[str, str]:
    """Each field's help: its ``Attributes:`` docstring entry, else its trailing ``# comment``."""
    helps: dict[str, str] = {}
    for klass in reversed(cls.__mro__[:-1]):  # a subclass's text wins over its base's
        helps.update(_comments(klass))
        helps.update(_docstring_attributes(klass.__doc__ or ""))
    return helps


def _docstring_attributes(doc: str) -> dict[str, str]:
    lines = inspect.cleandoc(doc).splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip() == "Attributes:"), None)
    if start is None:
        return {}
    entries: dict[str, str] = {}
    names: list[str] = []
    entry_indent: int | None = None
    for line in lines[start + 1:]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            break  # the next section
        m = re.fullmatch(r"([\w.]+(?:\s*,\s*[\w.]+)*)\s*(?:\([^)]*\))?\s*:\s*(.*)", line.strip())
        if m and (entry_indent is None or indent <= entry_indent):
            entry_indent = indent
            names = [n.strip() for n in m.group(1).split(",")]
            for n in names:
                entries[n] = m.group(2).strip()
        elif names:
            for n in names:
                entries[n] = f"{entries[n]} {line.strip()}".strip()
    return entries


def _comments(cls: type) -> dict[str, str]:
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    comments: dict[str, str] = {}
    first_name: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME and tok.start[0] not in first_name:
                first_name[tok.start[0]] = tok.string
            elif tok.type == tokenize.COMMENT and tok.start[0] in first_name:
                comments[first_name[tok.start[0]]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):
        return {}
    return comments
