"""parse_selector (the gateway's command-line parsing) and label_value_problems (the lint's helper)."""

from __future__ import annotations

import pytest

from reference import SelectorError, label_value_problems, parse_selector
from reference.labels import did_you_mean, is_valid_label_key, is_valid_label_value


@pytest.mark.parametrize(
    ("args", "selector"),
    [
        ([], {}),
        (["app=sglang"], {"app": "sglang"}),
        (["app=sglang", "role=regular"], {"app": "sglang", "role": "regular"}),
        (["app=sglang role=regular"], {"app": "sglang", "role": "regular"}),  # one item, several terms
        (["a=b c=d", "e=f"], {"a": "b", "c": "d", "e": "f"}),  # smg splits every item
        (["a=b\tc=d\n"], {"a": "b", "c": "d"}),  # any whitespace
        (["a=b  c=d"], {"a": "b", "c": "d"}),
        ([""], {}),
        (["  "], {}),
        (["a=b,c=d"], {"a": "b,c=d"}),  # the comma pitfall: one pair
        (["app=sglang,role=regular"], {"app": "sglang,role=regular"}),
        (["a=b=c"], {"a": "b=c"}),  # split on the first '='
        (["a="], {"a": ""}),
        (["=v"], {"": "v"}),  # accepted by every gateway; matches nothing
        (["="], {"": ""}),
        (["a=1", "a=2"], {"a": "2"}),  # last wins
        (["a=1 a=2"], {"a": "2"}),
        (["sglang.ai/role=prefill"], {"sglang.ai/role": "prefill"}),
        (("a=b" for _ in range(2)), {"a": "b"}),
    ],
)
def test_parse_selector(args: list[str], selector: dict[str, str]) -> None:
    assert parse_selector(args) == selector


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["app"], r"^selector term 'app' has no '='; write it as KEY=VALUE \(e\.g\. app=VALUE\)$"),
        (["app=x role"], r"^selector term 'role' has no '='"),
        (["app=x", "k"], r"^selector term 'k' has no '='"),
        ("a=b", r"^parse_selector takes a list of argv items, not the string 'a=b'$"),
    ],
)
def test_parse_selector_rejects(args: list[str], message: str) -> None:
    with pytest.raises(SelectorError, match=message):
        parse_selector(args)


def test_selector_error_is_a_value_error_with_one_line() -> None:
    with pytest.raises(ValueError) as caught:
        parse_selector(["k"])
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("", True),
        ("a", True),
        ("sglang", True),
        ("a.b-c_d", True),
        ("A1", True),
        ("x" * 63, True),
        ("x" * 64, False),
        ("-a", False),
        ("a-", False),
        ("a,b", False),
        ("b,c=d", False),
        ("a b", False),
        ("a/b", False),
        ("é", False),
    ],
)
def test_label_values(value: str, valid: bool) -> None:
    assert is_valid_label_value(value) is valid


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("app", True),
        ("sglang.ai/role", True),
        ("a.b.c/d_e", True),
        ("x" * 63, True),
        ("p/" + "x" * 63, True),
        ("", False),
        ("x" * 64, False),
        ("/app", False),
        ("app/", False),
        ("a/b/c", False),
        ("Sglang.ai/x", False),
        ("-a.io/x", False),
        ("a..b/x", False),
        ("a_b.io/x", False),
        ("a" * 254 + "/x", False),
        ("a=b", False),
    ],
)
def test_label_keys(key: str, valid: bool) -> None:
    assert is_valid_label_key(key) is valid


def test_label_value_problems_comma_pitfall() -> None:
    assert label_value_problems({"a": "b,c=d"}) == [
        "--selector a=b,c=d parses as a: 'b,c=d', which no label value can hold (must be alphanumerics, "
        "'-', '_' or '.', starting and ending with an alphanumeric); did you mean --selector a=b c=d"
    ]


def test_label_value_problems_names_the_flag_and_each_term() -> None:
    problems = label_value_problems({"": "v", "ok": "fine", "a": "x" * 64}, flag="--prefill-selector")
    assert problems == [
        "--prefill-selector term =v: key '' is not a valid label key (name part is empty)",
        f"--prefill-selector a={'x' * 64} parses as a: '{'x' * 64}', which no label value can hold "
        "(longer than 63 characters)",
    ]


def test_label_value_problems_empty_for_valid_selectors() -> None:
    assert label_value_problems({"app": "sglang", "sglang.ai/role": "prefill", "empty": ""}) == []


@pytest.mark.parametrize(
    ("key", "value", "hint"),
    [
        ("a", "b,c=d", "a=b c=d"),
        ("app", "sglang,role=regular,tier=x", "app=sglang role=regular tier=x"),
        ("a", "b,c", None),
        ("a", "b,=c", None),
        ("a", "b", None),
    ],
)
def test_did_you_mean(key: str, value: str, hint: str | None) -> None:
    assert did_you_mean(key, value) == hint
