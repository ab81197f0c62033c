"""Dataclasses whose ``__init__`` is written out (``parcelsms.compiled_modules``) behave as
the dataclass's own would: the same parameters in the same order, the same defaults, every
field set, and a frozen one still frozen."""

from __future__ import annotations

import ast
import collections.abc
import dataclasses
import enum
import sys
import types
import typing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from parcelsms.adapters.storage.messages.accept_billing_rows import Funding
from parcelsms.adapters.storage.messages.ledger_rows import LedgerMove
from parcelsms.adapters.storage.messages.message_state_rows import MessageState
from parcelsms.adapters.storage.messages.receipt_rows import NewPart, _Part
from parcelsms.adapters.storage.messages.transition_rows import StatusChange
from parcelsms.domain.events import MessageStatusChanged
from parcelsms.domain.receipt_correlation import Apply, Candidate
from parcelsms.errors import ProtocolError
from parcelsms.pipeline.channel_port import ChannelResult, OutboundSms
from parcelsms.pipeline.receipts import _Response
from parcelsms.protocol.smpp.outcome import SubmitOutcome
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.smpp.receipt import Receipt
from parcelsms.protocol.smpp.session import _Outstanding
from parcelsms.protocol.smpp.session_events import RequestReceived, ResponseReceived
from parcelsms.protocol.text.concatenation import SubmitPart
from parcelsms.protocol.text.segments import SegmentInfo

WRITTEN_OUT: list[type[Any]] = [
    Receipt,
    SubmitPart,
    SegmentInfo,
    SubmitOutcome,
    LedgerMove,
    StatusChange,
    MessageState,
    OutboundSms,
    ChannelResult,
    RequestReceived,
    ResponseReceived,
    _Response,
    Funding,
    _Part,
    NewPart,
    Candidate,
    Apply,
    MessageStatusChanged,
    _Outstanding,
]


def _value(hint: Any, index: int) -> Any:
    """A value of type ``hint``, different for each ``index`` where the type allows it (a
    compiled class checks the types of what it is given)."""
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return _value(next(a for a in arguments if a is not type(None)), index)
    if origin is typing.Literal:
        return arguments[index % len(arguments)]
    if origin is tuple:
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return (_value(arguments[0], index),)
        return tuple(_value(argument, index + i) for i, argument in enumerate(arguments))
    if origin is list:
        return [_value(arguments[0], index)]
    if origin in (dict, collections.abc.Mapping):
        return {f"key-{index}": index}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        members = list(hint)
        return members[index % len(members)]
    if hint is bool:
        return True
    if hint is int:
        return 1_000 + index
    if hint is float:
        return 0.5 + index
    if hint is str:
        return f"value-{index}"
    if hint is bytes:
        return f"bytes-{index}".encode()
    if hint is datetime:
        return datetime(2030, 1, 1, tzinfo=UTC) + timedelta(seconds=index)
    if hint is Pdu:
        return Pdu(command_id=0x80000004, sequence_number=index)
    if hint is ProtocolError:
        return ProtocolError(f"problem-{index}", index)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _sample(hint, index)
    if isinstance(hint, type):  # a msgspec Struct (ErrorDetail, SubmittedPart)
        fields = getattr(hint, "__struct_fields__", ())
        hints = typing.get_type_hints(hint)  # not compiled: its annotations are intact
        return hint(**{name: _value(hints[name], index + i) for i, name in enumerate(fields)})
    raise AssertionError(f"no sample value for {hint!r}")


def _class_source(cls: type[Any]) -> ast.ClassDef:
    """The class as written in its module's source (a compiled module's ``.so`` sits beside
    it, and keeps no usable annotations: mypyc replaces them)."""
    module = sys.modules[cls.__module__]
    path = Path(str(module.__file__))
    source = path.with_name(path.name.split(".")[0] + ".py").read_text(encoding="utf-8")
    return next(
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__
    )


def _in_module(cls: type[Any], expression: ast.expr) -> Any:
    return eval(ast.unparse(expression), vars(sys.modules[cls.__module__]))  # noqa: S307


def _hints(cls: type[Any]) -> dict[str, Any]:
    return {
        node.target.id: _in_module(cls, node.annotation)
        for node in _class_source(cls).body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }


def _written_init(cls: type[Any]) -> ast.FunctionDef:
    return next(
        node
        for node in _class_source(cls).body
        if isinstance(node, ast.FunctionDef) and node.name == "__init__"
    )


def _arguments(cls: type[Any], start: int = 0) -> dict[str, Any]:
    hints = _hints(cls)
    return {
        field.name: _value(hints[field.name], start + i)
        for i, field in enumerate(dataclasses.fields(cls))
    }


def _sample(cls: type[Any], start: int = 0) -> Any:
    return cls(**_arguments(cls, start))


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def _makes_new_values(field: dataclasses.Field[Any]) -> bool:
    factory = field.default_factory
    return factory is not dataclasses.MISSING and factory() != factory()


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda cls: cls.__name__)
def test_the_parameters_are_the_fields_in_order_with_their_defaults(cls: type[Any]) -> None:
    fields = dataclasses.fields(cls)
    written = _written_init(cls).args
    parameters = written.args[1:]  # after self
    assert [p.arg for p in parameters] == [f.name for f in fields]
    defaults: list[ast.expr | None] = [None] * (len(parameters) - len(written.defaults))
    defaults += written.defaults
    for field, default in zip(fields, defaults, strict=True):
        if field.default is not dataclasses.MISSING:
            assert default is not None, field.name
            assert _in_module(cls, default) == field.default, field.name
        elif field.default_factory is not dataclasses.MISSING:
            assert default is not None, field.name
            assert _in_module(cls, default) is None, field.name  # None stands for a new one
        else:
            assert default is None, field.name


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda cls: cls.__name__)
def test_every_field_is_set_from_its_argument_or_its_default(cls: type[Any]) -> None:
    fields = dataclasses.fields(cls)
    given = _arguments(cls)
    made = cls(*given.values())
    assert {field.name: getattr(made, field.name) for field in fields} == given
    by_name = cls(**given)
    assert {field.name: getattr(by_name, field.name) for field in fields} == given

    required = {f.name: given[f.name] for f in fields if _default(f) is dataclasses.MISSING}
    defaulted = cls(**required)
    again = cls(**required)
    for field in fields:
        made_value = getattr(defaulted, field.name)
        if field.name in required:
            assert made_value == given[field.name], field.name
        elif _makes_new_values(field):
            # A factory of fresh values (an event id): a fresh one each time, of its kind.
            expected = _default(field)
            assert type(made_value) is type(expected), field.name
            assert made_value != getattr(again, field.name), field.name
        else:
            assert made_value == _default(field), field.name


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda cls: cls.__name__)
def test_a_frozen_one_stays_frozen(cls: type[Any]) -> None:
    made = _sample(cls)
    name = dataclasses.fields(cls)[0].name
    other = getattr(_sample(cls, 50), name)
    if cls.__dataclass_params__.frozen:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(made, name, other)
    else:
        setattr(made, name, other)
        assert getattr(made, name) == other
