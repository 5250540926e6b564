"""The page's messages: every field checked, every bad one named."""

from __future__ import annotations

import json

import pytest

from chainrule.playground import library
from chainrule.playground.catalogue import CATALOGUE
from chainrule.playground.protocol import BadMessage, Config, parse_config, parse_message

NAMES = {**library.choices(), "data": [*CATALOGUE, "csv"]}


def message(**fields):
    return json.dumps(fields)


def test_defaults_round_trip():
    c = parse_config({}, NAMES)
    assert c == Config()
    assert parse_config(c.to_dict(), NAMES) == c


def test_a_full_config_is_read():
    raw = {**Config().to_dict(), "data": "spiral", "hidden": [3, 4, 5],
           "act": ["relu", "tanh", "logistic"], "lr": 0.1, "epoch": 7, "px": "W1[0,1]",
           "py": "b2[3]", "sel": "W3[0,4]", "batch": 0}
    c = parse_config(raw, NAMES)
    assert c.hidden == (3, 4, 5) and c.act == ("relu", "tanh", "logistic")
    assert (c.lr, c.epoch, c.batch, c.px, c.py, c.sel) == (0.1, 7, 0, "W1[0,1]", "b2[3]",
                                                           "W3[0,4]")


@pytest.mark.parametrize(("field", "value", "words"), [
    ("data", "mnist", "data: expected one of"),
    ("n", 5, "n: expected a whole number from 10"),
    ("n", 10**9, "n: expected a whole number from 10"),
    ("n", "500", "n: expected a whole number"),
    ("noise", -0.1, "noise: expected a number from 0"),
    ("noise", True, "noise: expected a number"),
    ("lr", 0, "lr: expected a number from 1e-06"),
    ("hidden", [8] * 7, "hidden: expected a list of at most 6"),
    ("hidden", [0], "hidden: expected a whole number from 1 to 16"),
    ("hidden", [17], "hidden: expected a whole number from 1 to 16"),
    ("hidden", "8,8", "hidden: expected a list"),
    ("act", ["softmax", "tanh"], "act: expected one of"),
    ("act", ["tanh"], "act: expected one activation per hidden layer (2)"),
    ("opt", "lbfgs2", "opt: expected one of"),
    ("px", "W1[0,0]; drop", "px: expected a parameter"),
    ("px", "../../etc", "px: expected a parameter"),
    ("target", "x" * 100, "target: expected a name of at most 64"),
    ("colour", "red", "config: unknown field 'colour'"),
    ("epoch", 10**7, "epoch: expected a whole number from 0 to 1000000"),
])
def test_a_bad_field_is_named(field, value, words):
    raw = {**Config().to_dict(), field: value}
    with pytest.raises(BadMessage, match=None) as info:
        parse_config(raw, NAMES)
    assert words in str(info.value)


@pytest.mark.parametrize(("text", "words"), [
    ("not json", "message: not JSON"),
    ("[1, 2]", "message: expected a JSON object"),
    ("{}", "type: expected one of"),
    (message(type="explode"), "type: expected one of"),
    (message(type="play", extra=1), "play: unknown field 'extra'"),
    (message(type="ack", id=-1), "id: expected a whole number from 0"),
    (message(type="ack", id="1"), "id: expected a whole number"),
    (message(type="ledger", param="W1[0,0]", example=1.5), "example: expected a whole number"),
    (message(type="landscape", px="W1[0,0]", py="b1[0]", half=float("inf")),
     "message: not JSON"),  # json.dumps writes Infinity, which strict JSON refuses
    ('{"type": "landscape", "half": NaN}', "message: not JSON"),
    (message(type="config", config=[]), "config: expected an object"),
    ("[" * 30000 + "]" * 30000, "message: nested too deeply"),
    (b"\x00\x01", "message: expected a JSON text message, got binary data"),
])
def test_a_bad_message_is_named(text, words):
    with pytest.raises(BadMessage) as info:
        parse_message(text, NAMES)
    assert words in str(info.value)


def test_good_messages():
    assert parse_message(message(type="play"), NAMES) == {"type": "play"}
    assert parse_message(message(type="ack", id=3), NAMES) == {"type": "ack", "id": 3}
    got = parse_message(message(type="ledger", param="b2[1]", example=4), NAMES)
    assert got == {"type": "ledger", "param": "b2[1]", "example": 4}
    got = parse_message(message(type="config", config={"data": "xor"}), NAMES)
    assert got["config"].data == "xor"
