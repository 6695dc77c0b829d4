"""The label-selector grammar as apimachinery's lexer and parser accept it, error texts included.

Why: a user's `kubectl get pods -l '...'` or a gateway's `labelSelector` must be accepted, rejected and
matched exactly as a real API server does, with the same message. The tables restate, as data, the cases
of upstream's own selector tests (which ones: docs/apiserver-fidelity.md, "Label selectors"), plus
error texts worked out from upstream's parser: one per error path, each written here by hand.
"""

from __future__ import annotations

import pytest

from fixtures.apiserver.errors import ApiError
from fixtures.apiserver.selectors import lex, parse_label_selector

QNAME_RE = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    f"character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '{QNAME_RE}')"
)
VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    f"for validation is '({QNAME_RE})?')"
)
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
OPS = "in, notin, =, ==, !=, gt, lt"
INT_MSG = "for 'Gt', 'Lt' operators, the value must be an integer"
REQ = "unable to parse requirement: "

# -- the lexer: one token per input, and token sequences ----------------------------------------------
SINGLE_TOKENS = [
    ("", "end"),
    (",", ","),
    ("notin", "notin"),
    ("in", "in"),
    ("=", "="),
    ("==", "=="),
    (">", ">"),
    ("<", "<"),
    ("!", "!"),  # the longest valid token wins: "!" alone, "!=" below
    ("!=", "!="),
    ("(", "("),
    (")", ")"),
    ("~", "id"),  # characters that are not special belong to identifiers
    ("||", "id"),
]

SEQUENCES = [
    ("key in ( value )", ["id", "in", "(", "id", ")"]),
    ("key notin ( value )", ["id", "notin", "(", "id", ")"]),
    ("key in ( value1, value2 )", ["id", "in", "(", "id", ",", "id", ")"]),
    ("key", ["id"]),
    ("!key", ["!", "id"]),
    ("()", ["(", ")"]),
    ("x in (),y", ["id", "in", "(", ")", ",", "id"]),
    ("== != (), = notin", ["==", "!=", "(", ")", ",", "=", "notin"]),
    ("key>2", ["id", ">", "id"]),
    ("key<1", ["id", "<", "id"]),
    ("===", ["==", "="]),
    ("=!=", ["=", "!="]),
    ("a\0b=c", ["id"]),  # NUL ends the input for the Go lexer
]


@pytest.mark.parametrize(("text", "kind"), SINGLE_TOKENS)
def test_lexer_single_token(text: str, kind: str) -> None:
    tokens = lex(text)
    assert tokens[0] == (kind, text)


@pytest.mark.parametrize(("text", "kinds"), SEQUENCES)
def test_lexer_sequences(text: str, kinds: list[str]) -> None:
    assert [k for k, _ in lex(text)] == [*kinds, "end"]


# -- accepted selectors and what they parse to (key, operator, sorted values), sorted by key -----------
Parsed = list[tuple[str, str, list[str]]]
ACCEPTED: list[tuple[str, Parsed]] = [
    ("", []),
    ("x=a,y=b,z=c", [("x", "=", ["a"]), ("y", "=", ["b"]), ("z", "=", ["c"])]),
    ("x!=a,y=b", [("x", "!=", ["a"]), ("y", "=", ["b"])]),
    ("x=", [("x", "=", [""])]),
    ("x= ", [("x", "=", [""])]),
    ("x=,z= ", [("x", "=", [""]), ("z", "=", [""])]),
    ("x= ,z= ", [("x", "=", [""]), ("z", "=", [""])]),
    ("!x", [("x", "!", [])]),
    ("x>1", [("x", "gt", ["1"])]),
    ("x>1,z<5", [("x", "gt", ["1"]), ("z", "lt", ["5"])]),
    ("x==a", [("x", "==", ["a"])]),
    ("\rx", [("x", "exists", [])]),
    ("this-is-a-dns.domain.com/key-with-dash", [("this-is-a-dns.domain.com/key-with-dash", "exists", [])]),
    (
        "this-is-another-dns.domain.com/key-with-dash in (so,what)",
        [("this-is-another-dns.domain.com/key-with-dash", "in", ["so", "what"])],
    ),
    (
        "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
        [("0.1.2.domain/99", "notin", ["10.10.100.1", "tick.tack.clock"])],
    ),
    ("foo  in\t (abc)", [("foo", "in", ["abc"])]),
    ("x notin\n (abc)", [("x", "notin", ["abc"])]),
    ("x  notin\t\t\t(abc,def)", [("x", "notin", ["abc", "def"])]),
    ("x in (abc,def)", [("x", "in", ["abc", "def"])]),
    ("x in (abc,)", [("x", "in", ["", "abc"])]),
    ("x in (abc,abc)", [("x", "in", ["abc"])]),
    ("x in ()", [("x", "in", [""])]),
    ("x in (a,,)", [("x", "in", ["", "a"])]),
    ("x in (a,,,)", [("x", "in", ["", "a"])]),
    ("x in (a,,,,,,)", [("x", "in", ["", "a"])]),
    ("x in (a,,a,,a,,a,,)", [("x", "in", ["", "a"])]),
    (
        "x notin (abc,,def),bar,z in (),w",
        [("bar", "exists", []), ("w", "exists", []), ("x", "notin", ["", "abc", "def"]), ("z", "in", [""])],
    ),
    ("x,y in (a)", [("x", "exists", []), ("y", "in", ["a"])]),
    ("x=a,y!=b,z in (h,i,j)", [("x", "=", ["a"]), ("y", "!=", ["b"]), ("z", "in", ["h", "i", "j"])]),
    ("x notin ( )", [("x", "notin", [""])]),
    ("x notin (, a)", [("x", "notin", ["", "a"])]),
    ("a ", [("a", "exists", [])]),
    ("a in (x,y,notin, z,in)", [("a", "in", ["in", "notin", "x", "y", "z"])]),
    ("notin=in", [("notin", "=", ["in"])]),  # keywords are identifiers wherever a value or key goes
    ("in in (notin)", [("in", "in", ["notin"])]),
    ("x>007", [("x", "gt", ["007"])]),
]


@pytest.mark.parametrize(("text", "parsed"), ACCEPTED)
def test_accepted(text: str, parsed: Parsed) -> None:
    sel = parse_label_selector(text)
    got = [(r.key, r.op, sorted(r.values)) for r in sel.requirements]
    assert got == parsed


def test_parse_is_deterministic() -> None:
    assert parse_label_selector("x=a,a=x") == parse_label_selector("a=x,x=a")


# -- rejected selectors: the 400 BadRequest message, word for word -------------------------------------
REJECTED: list[tuple[str, str]] = [
    ("x=a||y=b", f'{REQ}values[0][x]: Invalid value: "a||y": {VALUE_MSG}'),
    ("x==a==b", "found '==', expected: ',' or 'end of string'"),
    ("!x=a", "found '=', expected: ',' or 'end of string'"),
    ("x<a", f'{REQ}values[0]: Invalid value: "a": {INT_MSG}'),
    ("x,,y", "found ',', expected: identifier after ','"),
    (",x,y", "found ',', expected: !, identifier, or 'end of string'"),
    ("x nott in (y)", f"{REQ}found 'nott', expected: {OPS}"),
    ("a in (xyz),", "found '', expected: identifier after ','"),
    ("a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'"),
    ("a in (xyz abc)", f"{REQ}found 'abc', expected: ',' or ')'"),
    ("a notin(", f"{REQ}found '', expected: ',', ')' or identifier"),
    ("a (", f"{REQ}found '(', expected: {OPS}"),
    ("(", "found '(', expected: !, identifier, or 'end of string'"),
    ("x !", f"{REQ}found '!', expected: {OPS}"),
    ("x exists", f"{REQ}found 'exists', expected: {OPS}"),
    ("x in a", f"{REQ}found 'a' expected: '('"),
    ("x in (a", f"{REQ}found '', expected: ',' or ')'"),
    ("x in (a=", f"{REQ}found '=', expected: ',' or ')'"),
    ("x in (=", f"{REQ}found '=', expected: ',', ')' or identifier"),
    ("x in (a,=)", f"{REQ}found '=', expected: ',', or identifier"),
    ("x=(a)", f"{REQ}found '(', expected: identifier"),
    ("!", f"{REQ}found '', expected: identifier"),
    ("!!x", f"{REQ}found '!', expected: identifier"),
    ("=x", "found '=', expected: !, identifier, or 'end of string'"),
    ("x=a b", "found 'b', expected: ',' or 'end of string'"),
    ("a" * 254, f'{REQ}<nil>: Invalid value: "{"a" * 254}": name part must be no more than 63 characters'),
    (
        "x16=" + "a" * 254,
        f'{REQ}values[0][x16]: Invalid value: "{"a" * 254}": must be no more than 63 characters',
    ),
    ("-bad=x", f'{REQ}<nil>: Invalid value: "-bad": name part {QNAME_MSG}'),
    ("/x", f'{REQ}<nil>: Invalid value: "/x": prefix part must be non-empty'),
    ("x/", f'{REQ}<nil>: Invalid value: "x/": name part must be non-empty; name part {QNAME_MSG}'),
    ("Example.com/x", f'{REQ}<nil>: Invalid value: "Example.com/x": prefix part {SUBDOMAIN_MSG}'),
    (
        "a/b/c",
        f'{REQ}<nil>: Invalid value: "a/b/c": a qualified name {QNAME_MSG} with an optional DNS subdomain '
        "prefix and '/' (e.g. 'example.com/MyName')",
    ),
    ("x>-1", f'{REQ}values[0][x]: Invalid value: "-1": {VALUE_MSG}'),
    ("x>+1", f'{REQ}values[0][x]: Invalid value: "+1": {VALUE_MSG}'),
    ("x>1a", f'{REQ}values[0]: Invalid value: "1a": {INT_MSG}'),
    ("x>99999999999999999999", f'{REQ}values[0]: Invalid value: "99999999999999999999": {INT_MSG}'),
    (
        "x>-a",
        f'{REQ}[values[0]: Invalid value: "-a": {INT_MSG}, values[0][x]: Invalid value: "-a": {VALUE_MSG}]',
    ),
    (
        "x in (b-,-a)",
        f'{REQ}[values[0][x]: Invalid value: "-a": {VALUE_MSG}, '
        f'values[1][x]: Invalid value: "b-": {VALUE_MSG}]',
    ),
    ('x=a"b', f'{REQ}values[0][x]: Invalid value: "a\\"b": {VALUE_MSG}'),
    ("x=a\x01", f'{REQ}values[0][x]: Invalid value: "a\\x01": {VALUE_MSG}'),
]


@pytest.mark.parametrize(("text", "message"), REJECTED)
def test_rejected_with_upstream_message(text: str, message: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_label_selector(text)
    assert (info.value.code, info.value.reason) == (400, "BadRequest")
    assert info.value.message == message


# -- matching -------------------------------------------------------------------------------------------
MATCHES: list[tuple[str, dict[str, str], bool]] = [
    ("", {"x": "y"}, True),
    ("x=y", {"x": "y"}, True),
    ("x=y,z=w", {"x": "y", "z": "w"}, True),
    ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
    ("notin=in", {"notin": "in"}, True),
    ("x", {"x": "z"}, True),
    ("!x", {"y": "z"}, True),
    ("x>1", {"x": "2"}, True),
    ("x<1", {"x": "0"}, True),
    ("x=z", {}, False),
    ("x=y", {"x": "z"}, False),
    ("x=y,z=w", {"x": "w", "z": "w"}, False),
    ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
    ("x", {"y": "z"}, False),
    ("!x", {"x": "z"}, False),
    ("x>1", {"x": "0"}, False),
    ("x<1", {"x": "2"}, False),
    ("foo=bar", {"foo": "bar", "baz": "blah"}, True),
    ("baz=blah", {"foo": "bar", "baz": "blah"}, True),
    ("foo=bar,baz=blah", {"foo": "bar", "baz": "blah"}, True),
    ("foo=blah", {"foo": "bar", "baz": "blah"}, False),
    ("baz=bar", {"foo": "bar", "baz": "blah"}, False),
    ("foo=bar,foobar=bar,baz=blah", {"foo": "bar", "baz": "blah"}, False),
    ("x in (foo),y notin (alpha)", {"x": "foo", "y": "baz"}, True),
    ("x in (foo),y in (alpha)", {"x": "foo", "y": "baz"}, False),
    ("x notin (),y", {"y": ""}, True),
    ("!x,y", {"y": ""}, True),
    ("x notin (),!y", {"y": ""}, False),
    ("x in ()", {"y": "baz"}, False),
    ("z>1", {"z": "2"}, True),
    ("z>1", {"z": "v2"}, False),
    ("z<1", {"z": "-5"}, True),  # label values are parsed with a sign, selector values cannot be negative
    ("z>1", {"z": " 5"}, False),  # no whitespace in an integer
    ("z>1", {"z": "1_0"}, False),  # nor Python-style digit separators
    ("x in (a,,b)", {"x": ""}, True),
    ("x==a", {"x": "a"}, True),
]


@pytest.mark.parametrize(("text", "labels", "expected"), MATCHES)
def test_matches(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_label_selector(text).matches(labels) is expected
