"""The search filter language, parsed into a small tree.

Grammar (keywords are case-insensitive)::

    expr       := term ("OR" term)*
    term       := factor ("AND" factor)*
    factor     := "(" expr ")" | comparison
    comparison := identifier op value
                | identifier ["NOT"] "IN" "(" value ("," value)* ")"
                | identifier "IS" ["NOT"] "NULL"
    identifier := [prefix "."] name      name may be quoted with ` or "
    op         := = | != | <> | < | <= | > | >= | LIKE | ILIKE | NOT LIKE | NOT ILIKE
    value      := 'string' | "string" | number

For example ``metrics.accuracy > 0.9 and params.lr = '0.001' and tags.team =
'x' and attributes.status = 'FINISHED'``. A malformed filter raises
``InvalidArgument`` saying where the parse failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from modelreg.errors import InvalidArgument

__all__ = ["And", "Comparison", "Or", "Node", "parse_filter"]

COMPARISON_OPS = ("=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE")


@dataclass(frozen=True)
class Comparison:
    """``prefix.key op value``; ``op`` is upper-case, ``<>`` is normalised to ``!=``.

    ``value`` is a str, a float/int, a tuple of those (IN / NOT IN) or None (IS NULL).
    """

    prefix: str | None
    key: str
    op: str
    value: object


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


Node = Comparison | And | Or

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
  | (?P<backtick>`[^`]*`)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),.])
  | (?P<word>[A-Za-z_][\w\-]*)
    """,
    re.VERBOSE,
)

_KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL"}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise _error(text, pos, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(_Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _error(text: str, pos: int, problem: str) -> InvalidArgument:
    return InvalidArgument(
        f"invalid filter {text!r}: {problem} at position {pos} (after {text[:pos]!r})",
        details={"position": pos},
    )


def _unquote(token: str) -> str:
    quote = token[0]
    body = token[1:-1]
    if quote == "'":
        body = body.replace("''", "'")
    return re.sub(r"\\(.)", r"\1", body)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def _is_kw(self, word: str, offset: int = 0) -> bool:
        t = self.tokens[min(self.i + offset, len(self.tokens) - 1)]
        return t.kind == "word" and t.text.upper() == word

    def _fail(self, problem: str) -> InvalidArgument:
        return _error(self.text, self.tok.pos, problem)

    def parse(self) -> Node:
        node = self._expr()
        if self.tok.kind != "end":
            raise self._fail(f"expected AND, OR or the end, found {self.tok.text!r}")
        return node

    def _expr(self) -> Node:
        items = [self._term()]
        while self._is_kw("OR"):
            self.i += 1
            items.append(self._term())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def _term(self) -> Node:
        items = [self._factor()]
        while self._is_kw("AND"):
            self.i += 1
            items.append(self._factor())
        return items[0] if len(items) == 1 else And(tuple(items))

    def _factor(self) -> Node:
        if self.tok.text == "(":
            self.i += 1
            node = self._expr()
            if self.tok.text != ")":
                raise self._fail("expected ')'")
            self.i += 1
            return node
        return self._comparison()

    def _name_part(self) -> str:
        t = self.tok
        if t.kind == "backtick":
            self.i += 1
            return t.text[1:-1]
        if t.kind == "string" and t.text[0] == '"':
            self.i += 1
            return _unquote(t.text)
        if t.kind == "word" and t.text.upper() not in _KEYWORDS:
            self.i += 1
            return t.text
        raise self._fail("expected a name such as metrics.accuracy")

    def _identifier(self) -> tuple[str | None, str]:
        first = self._name_part()
        if self.tok.text != ".":
            return None, first
        parts = []
        while self.tok.text == ".":
            self.i += 1
            parts.append(self._name_part())
        return first, ".".join(parts)

    def _value(self) -> object:
        t = self.tok
        if t.kind == "string":
            self.i += 1
            return _unquote(t.text)
        if t.kind == "number":
            self.i += 1
            number = float(t.text)
            return (
                int(number) if number.is_integer() and re.fullmatch(r"[-+]?\d+", t.text) else number
            )
        raise self._fail("expected a value (a 'quoted string' or a number)")

    def _comparison(self) -> Comparison:
        prefix, key = self._identifier()
        t = self.tok
        if t.kind == "op":
            self.i += 1
            op = "!=" if t.text == "<>" else t.text
            return Comparison(prefix, key, op, self._value())
        negate = False
        if self._is_kw("NOT"):
            negate = True
            self.i += 1
        if self._is_kw("LIKE") or self._is_kw("ILIKE"):
            op = self.tok.text.upper()
            self.i += 1
            return Comparison(prefix, key, f"NOT {op}" if negate else op, self._value())
        if self._is_kw("IN"):
            self.i += 1
            if self.tok.text != "(":
                raise self._fail("expected '(' after IN")
            self.i += 1
            values = [self._value()]
            while self.tok.text == ",":
                self.i += 1
                values.append(self._value())
            if self.tok.text != ")":
                raise self._fail("expected ',' or ')' in the IN list")
            self.i += 1
            return Comparison(prefix, key, "NOT IN" if negate else "IN", tuple(values))
        if not negate and self._is_kw("IS"):
            self.i += 1
            op = "IS NULL"
            if self._is_kw("NOT"):
                self.i += 1
                op = "IS NOT NULL"
            if not self._is_kw("NULL"):
                raise self._fail("expected NULL after IS")
            self.i += 1
            return Comparison(prefix, key, op, None)
        raise self._fail("expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN)")


def parse_filter(text: str | None) -> Node | None:
    """Parses a filter string; ``None`` or blank means no filter.

    Raises ``InvalidArgument`` naming what is wrong and where."""
    if text is None or not text.strip():
        return None
    if len(text) <= _CACHED_FILTER_LENGTH:
        return _parse_cached(text)
    return _Parser(text).parse()


# Dashboards and serving code repeat the same few filters; the trees are immutable.
_CACHED_FILTER_LENGTH = 1000


@lru_cache(maxsize=256)
def _parse_cached(text: str) -> Node:
    return _Parser(text).parse()


def parse_order_by(clause: str) -> tuple[str | None, str, bool]:
    """Parses one ``order_by`` entry such as ``metrics.accuracy DESC``.

    Returns ``(prefix, key, ascending)``; raises ``InvalidArgument`` when malformed.
    """
    parser = _Parser(clause)
    prefix, key = parser._identifier()
    ascending = True
    if parser._is_kw("ASC") or parser._is_kw("DESC"):
        ascending = parser.tok.text.upper() == "ASC"
        parser.i += 1
    if parser.tok.kind != "end":
        raise parser._fail("expected ASC, DESC or the end of the order_by clause")
    return prefix, key, ascending
