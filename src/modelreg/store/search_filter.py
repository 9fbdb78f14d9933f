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

import math
from dataclasses import dataclass
from functools import lru_cache

from modelreg.errors import InvalidArgument
from modelreg.validation import check_storable

__all__ = ["And", "Comparison", "Node", "Or", "check_filter_text", "parse_filter", "parse_order_by"]

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

_KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL"}
_OPERATORS = ("<=", ">=", "!=", "<>", "=", "<", ">")  # two-character ones first
_PUNCTUATION = "(),."

# Limits that keep a filter's cost small and bounded before any SQL is built:
# SQLite refuses expression trees deeper than 1,000 and PostgreSQL statements
# with more than 65,535 parameters, and a parser has a recursion limit.
MAX_FILTER_LENGTH = 8192
MAX_COMPARISONS = 200
MAX_IN_VALUES = 1000
MAX_NESTING = 20
_INT64 = 2**63


@dataclass(frozen=True)
class _Token:
    """``kind`` is ws-free: string, backtick, number, op, punct, word or end.

    ``value`` is what the token means: a string without its quotes and escapes,
    a backticked name, an int or a float; the text itself otherwise.
    """

    kind: str
    text: str
    pos: int
    value: object = None


def _is_word_char(ch: str) -> bool:
    # What ``\w`` matches in a str pattern: alphanumeric in Unicode, or "_".
    return ch.isalnum() or ch == "_"


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _digits_end(text: str, pos: int) -> int:
    while pos < len(text) and _is_digit(text[pos]):
        pos += 1
    return pos


def _number_end(text: str, pos: int) -> int | None:
    """Where the number starting at ``pos`` ends, or None if none starts there.

    ``[-+]? (digits [. digits] | . digits) [e [-+] digits]``, scanned once, left
    to right: each character is looked at a bounded number of times, so no
    input can make this slow (the regular expression it replaces backtracked
    quadratically over a long run of digits followed by a letter).
    """
    i = pos + 1 if text[pos] in "+-" else pos
    start = i
    i = _digits_end(text, i)
    whole = i > start
    if i < len(text) and text[i] == ".":
        after = _digits_end(text, i + 1)
        if not whole and after == i + 1:
            return None  # a lone "." is punctuation
        i = after
    elif not whole:
        return None
    if i < len(text) and text[i] in "eE":
        j = i + 1
        if j < len(text) and text[j] in "+-":
            j += 1
        exponent = _digits_end(text, j)
        if exponent > j:
            i = exponent
    return i


def _number(text: str, pos: int, end: int) -> object:
    literal = text[pos:end]
    if all(_is_digit(ch) for ch in literal.lstrip("+-")):
        number: int | float = int(literal) if len(literal) <= 20 else _INT64
        if -_INT64 <= number < _INT64:
            return number
    else:
        number = float(literal)
        if math.isfinite(number):
            return number
    raise _error(
        text,
        pos,
        f"number {literal[:30]}{'…' if len(literal) > 30 else ''} is out of range "
        "(integers are 64-bit; write a large number as e.g. 1e30)",
    )


def _quoted_end(text: str, pos: int) -> tuple[int, str]:
    """The end of the quoted string at ``pos`` and its content without escapes.

    A backslash escapes the next character; in ``'…'`` strings ``''`` is a quote too.
    """
    quote = text[pos]
    parts: list[str] = []
    i = pos + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            parts.append(text[i + 1])
            i += 2
        elif ch == quote:
            if quote == "'" and text.startswith("''", i):
                parts.append("'")
                i += 2
            else:
                return i + 1, "".join(parts)
        else:
            parts.append(ch)
            i += 1
    raise _error(text, pos, f"unterminated string starting with {quote}")


def _tokenize(text: str) -> list[_Token]:
    """The tokens of ``text``, found in one left-to-right pass (linear time)."""
    tokens: list[_Token] = []
    pos = 0
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch.isspace():
            pos += 1
            continue
        if ch in "'\"":
            end, content = _quoted_end(text, pos)
            tokens.append(_Token("string", text[pos:end], pos, content))
        elif ch == "`":
            close = text.find("`", pos + 1)
            if close < 0:
                raise _error(text, pos, "unterminated name starting with `")
            end = close + 1
            tokens.append(_Token("backtick", text[pos:end], pos, text[pos + 1 : close]))
        elif (ch in "+-." or _is_digit(ch)) and (end := _number_end(text, pos) or 0):
            if end < n and (_is_word_char(text[end]) or text[end] == "."):
                if ch != ".":
                    raise _error(text, pos, "malformed number")
                tokens.append(_Token("punct", ch, pos, ch))
                end = pos + 1
            else:
                tokens.append(_Token("number", text[pos:end], pos, _number(text, pos, end)))
        elif op := next((o for o in _OPERATORS if text.startswith(o, pos)), None):
            end = pos + len(op)
            tokens.append(_Token("op", op, pos, op))
        elif ch in _PUNCTUATION:
            end = pos + 1
            tokens.append(_Token("punct", ch, pos, ch))
        elif ("A" <= ch <= "Z") or ("a" <= ch <= "z") or ch == "_":
            end = pos + 1
            while end < n and (_is_word_char(text[end]) or text[end] == "-"):
                end += 1
            tokens.append(_Token("word", text[pos:end], pos, text[pos:end]))
        else:
            raise _error(text, pos, f"unexpected character {ch!r}")
        pos = end
    tokens.append(_Token("end", "", n))
    return tokens


def _error(text: str, pos: int, problem: str) -> InvalidArgument:
    shown = text if len(text) <= 200 else text[:200] + "…"
    before = text[max(0, pos - 60) : pos]
    return InvalidArgument(
        f"invalid filter {shown!r}: {problem} at position {pos} (after {before!r})",
        details={"position": pos},
    )


def check_filter_text(text: str, field: str = "filter") -> str:
    """Refuses, naming ``field``, a filter too long to parse cheaply or one holding
    NUL or unpaired surrogates (which no database stores)."""
    if not isinstance(text, str):
        raise InvalidArgument(f"{field} must be a string, got {type(text).__name__}")
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidArgument(
            f"{field} is {len(text)} characters long; the limit is {MAX_FILTER_LENGTH}"
        )
    check_storable(text, field)
    return text


class _Parser:
    """Recursive descent over the tokens; nesting, comparisons and IN values are
    counted as they are read, so an oversized filter stops at its first excess."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.comparisons = 0
        self.in_values = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def _is_kw(self, word: str) -> bool:
        t = self.tok
        return t.kind == "word" and t.text.upper() == word

    def _at(self, punct: str) -> bool:
        return self.tok.kind == "punct" and self.tok.text == punct

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
        if not self._at("("):
            return self._comparison()
        if self.depth >= MAX_NESTING:
            raise self._fail(f"parentheses nest deeper than {MAX_NESTING} levels")
        self.depth += 1
        self.i += 1
        node = self._expr()
        if not self._at(")"):
            raise self._fail("expected ')'")
        self.i += 1
        self.depth -= 1
        return node

    def _name_part(self) -> str:
        t = self.tok
        if t.kind == "backtick" or (t.kind == "string" and t.text[0] == '"'):
            self.i += 1
            return str(t.value)
        if t.kind == "word" and t.text.upper() not in _KEYWORDS:
            self.i += 1
            return t.text
        raise self._fail("expected a name such as metrics.accuracy")

    def _identifier(self) -> tuple[str | None, str]:
        first = self._name_part()
        if not self._at("."):
            return None, first
        parts = []
        while self._at("."):
            self.i += 1
            parts.append(self._name_part())
        return first, ".".join(parts)

    def _value(self) -> object:
        t = self.tok
        if t.kind in ("string", "number"):
            self.i += 1
            return t.value
        raise self._fail("expected a value (a 'quoted string' or a number)")

    def _in_value(self) -> object:
        self.in_values += 1
        if self.in_values > MAX_IN_VALUES:
            raise self._fail(f"IN lists hold more than {MAX_IN_VALUES} values in all")
        return self._value()

    def _comparison(self) -> Comparison:
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise self._fail(f"the filter has more than {MAX_COMPARISONS} comparisons")
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
            if not self._at("("):
                raise self._fail("expected '(' after IN")
            self.i += 1
            values = [self._in_value()]
            while self._at(","):
                self.i += 1
                values.append(self._in_value())
            if not self._at(")"):
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

    A filter may be at most ``MAX_FILTER_LENGTH`` characters long, with at most
    ``MAX_COMPARISONS`` comparisons, ``MAX_IN_VALUES`` values in its IN lists
    and parentheses ``MAX_NESTING`` deep. Raises ``InvalidArgument`` naming
    what is wrong and where.
    """
    if text is None:
        return None
    check_filter_text(text)
    if not text.strip():
        return None
    if len(text) <= _CACHED_FILTER_LENGTH:
        return _parse_cached(text)
    return _Parser(text).parse()


# Dashboards and serving code repeat the same few filters; the trees are immutable.
_CACHED_FILTER_LENGTH = 1000


@lru_cache(maxsize=256)
def _parse_cached(text: str) -> Node:
    return _Parser(text).parse()


MAX_ORDER_BY_LENGTH = 1000


def parse_order_by(clause: str) -> tuple[str | None, str, bool]:
    """Parses one ``order_by`` entry such as ``metrics.accuracy DESC``.

    Returns ``(prefix, key, ascending)``; raises ``InvalidArgument`` when malformed.
    """
    if not isinstance(clause, str):
        raise InvalidArgument(
            f"an order_by entry must be a string such as 'metrics.accuracy DESC', "
            f"got {type(clause).__name__}"
        )
    if len(clause) > MAX_ORDER_BY_LENGTH:
        raise InvalidArgument(
            f"order_by entry is {len(clause)} characters long; the limit is {MAX_ORDER_BY_LENGTH}"
        )
    check_storable(clause, "order_by")
    parser = _Parser(clause)
    prefix, key = parser._identifier()
    ascending = True
    if parser._is_kw("ASC") or parser._is_kw("DESC"):
        ascending = parser.tok.text.upper() == "ASC"
        parser.i += 1
    if parser.tok.kind != "end":
        raise parser._fail("expected ASC, DESC or the end of the order_by clause")
    return prefix, key, ascending
