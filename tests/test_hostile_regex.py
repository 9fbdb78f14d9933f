"""Every regular expression in ``src/`` runs in linear time on hostile input.

Python's ``re`` backtracks, and it holds the GIL while it does: one request
whose input makes a pattern backtrack quadratically freezes every request of
its worker, ``/health`` included (#14: 40,000 digits in a search filter held
a worker 37 s). So no pattern may be superlinear on any input.

The patterns are found, not listed: the test reads every module of ``src/``
(``ast``) for ``re.compile(...)`` and every other ``re.<function>(...)`` call,
and imports every module to find compiled patterns made any other way. A
pattern it cannot read (not a literal string) or whose use it cannot see (a
compiled pattern never called as ``NAME.method(...)``) fails the test until
it is registered below. For each pattern and each way the code calls it, the
test builds hostile inputs ``prefix + unit * n + suffix`` from the pattern's
own characters and a few representatives of its classes, screens them at
small ``n`` for the slowest, and then times those at 10 KB and 100 KB: ten
times the input may cost at most twenty times the time (a check of growth
measured within one test, not of speed).

The hand-written scanners that replaced the two patterns #14 found are held
to the same rule by the last tests.
"""

from __future__ import annotations

import ast
import gc
import importlib
import pkgutil
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import modelreg
from modelreg.errors import InvalidArgument

SRC = Path(modelreg.__file__).parent
METHODS = ("match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer")
# Where each re function takes its flags, counting the pattern as 0.
_FLAGS_AT = {"compile": 1, "match": 2, "fullmatch": 2, "search": 2, "findall": 2}
_FLAGS_AT |= {"finditer": 2, "split": 3, "sub": 4, "subn": 4}

# Compiled patterns the test cannot see being called: "module:NAME" (or "module:line"
# for one not assigned to a name) -> the methods the code calls on it.
USAGE: dict[str, tuple[str, ...]] = {}
# Patterns that are not literal strings: "module:line" -> (pattern, flags).
DYNAMIC: dict[str, tuple[str, int]] = {}
# Modules not imported for the runtime walk: Alembic runs the migrations (they need
# its context), and importing __main__ runs the CLI.
NOT_IMPORTABLE = ("modelreg.store.migrations", "modelreg.__main__")

# Growth allowed when the input grows ten times (linear is 10; noise gets the rest).
MAX_GROWTH = 20
SMALL, LARGE = 10_000, 100_000


@dataclass(frozen=True)
class Found:
    where: str  # module:line
    pattern: str | bytes
    flags: int
    methods: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where} {self.pattern!r}"


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _is_re_call(node: ast.AST) -> str | None:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "re"
        and node.func.attr in _FLAGS_AT
    ):
        return node.func.attr
    return None


def _flags(node: ast.Call, function: str) -> int:
    at = _FLAGS_AT[function]
    expr = node.args[at] if len(node.args) > at else None
    for keyword in node.keywords:
        if keyword.arg == "flags":
            expr = keyword.value
    return (
        0
        if expr is None
        else int(eval(compile(ast.Expression(expr), "<flags>", "eval"), {"re": re}))
    )


def _scan() -> tuple[list[Found], list[str]]:
    """Every pattern in src/, and the problems that keep a pattern from being tested."""
    calls: dict[str, set[str]] = {}  # NAME -> methods called on it anywhere
    compiled: list[tuple[str, str, ast.Call]] = []  # (module, NAME, call)
    found: list[Found] = []
    problems: list[str] = []
    for module, path in _modules():
        tree = ast.parse(path.read_text(), str(path))
        named = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "re":
                problems.append(f"{module}:{node.lineno} imports from re; use `import re`")
            if isinstance(node, ast.Import) and any(
                a.name == "re" and a.asname for a in node.names
            ):
                problems.append(f"{module}:{node.lineno} renames re; use `import re`")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.attr in METHODS
            ):
                calls.setdefault(node.func.value.id, set()).add(node.func.attr)
            if (
                isinstance(node, ast.Assign)
                and _is_re_call(node.value) == "compile"
                and isinstance(node.targets[0], ast.Name)
            ):
                compiled.append((module, node.targets[0].id, node.value))
                named.add(id(node.value))
            function = _is_re_call(node)
            if function is None or id(node) in named:
                continue
            if function == "compile":
                where = f"{module}:{node.lineno}"
                if where not in USAGE:
                    problems.append(
                        f"{where} compiles a pattern that is not assigned to a name: "
                        "register its use in USAGE"
                    )
                    continue
                function = USAGE[where]  # type: ignore[assignment]
            methods = function if isinstance(function, tuple) else (function,)
            found += _literal(
                module,
                node,
                "compile" if isinstance(function, tuple) else function,
                methods,
                problems,
            )
    for module, name, node in compiled:
        methods = USAGE.get(f"{module}:{name}") or tuple(sorted(calls.get(name, ())))
        if not methods:
            problems.append(
                f"{module}:{node.lineno} compiles {name} but no NAME.method(...) call uses it: "
                "register its use in USAGE"
            )
            continue
        found += _literal(module, node, "compile", methods, problems)
    return found, problems


def _literal(
    module: str, node: ast.Call, function: str, methods: tuple[str, ...], problems: list[str]
) -> list[Found]:
    where = f"{module}:{node.lineno}"
    first = node.args[0] if node.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str | bytes):
        return [Found(where, first.value, _flags(node, function), methods)]
    if where in DYNAMIC:
        pattern, flags = DYNAMIC[where]
        return [Found(where, pattern, flags, methods)]
    problems.append(
        f"{where} calls re.{function} with a pattern that is not a literal: "
        "register the pattern it takes in DYNAMIC"
    )
    return []


FOUND, PROBLEMS = _scan()


def test_every_pattern_in_src_can_be_tested():
    assert PROBLEMS == []
    assert len(FOUND) >= 20  # the scan itself works


def _runtime_patterns() -> list[tuple[str, re.Pattern]]:
    out = []
    for info in pkgutil.walk_packages(modelreg.__path__, "modelreg."):
        if info.name.startswith(NOT_IMPORTABLE):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed: the AST still covers it
            continue
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                out.append((f"{info.name}.{name}", value))
    return out


def test_every_compiled_pattern_of_every_module_was_found_in_the_source():
    known = {(f.pattern, f.flags & ~re.UNICODE) for f in FOUND}

    unknown = [
        name
        for name, pattern in _runtime_patterns()
        if (pattern.pattern, pattern.flags & ~re.UNICODE) not in known
    ]

    assert unknown == [], "compiled without a literal re.compile(...): register in DYNAMIC"


# -- hostile inputs ------------------------------------------------------------------------

# Representatives of the classes patterns use, and characters that end a match.
_CLASS_SAMPLES = {
    "\\d": "1",
    "\\w": "aé_",
    "\\s": " \t\n",
    "\\S": "x",
    "\\W": "!",
    ".": "x",
    "[^": "x",
    "A-Z": "Z",
    "a-z": "z",
    "0-9": "9",
}
_ALWAYS = "a1 !.\x00-é"


def _alphabet(pattern: str | bytes) -> list[str]:
    text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
    chars = set(_ALWAYS)
    chars |= {c for c in text if c.isprintable() and c not in "\\"}
    for marker, sample in _CLASS_SAMPLES.items():
        if marker in text:
            chars |= set(sample)
    return sorted(chars)


def _caller(found: Found, method: str) -> Callable[[str | bytes], object]:
    compiled = re.compile(found.pattern, found.flags)
    bound = getattr(compiled, method)
    if method in ("sub", "subn"):
        empty = b"" if isinstance(found.pattern, bytes) else ""
        return lambda text: bound(empty, text)
    if method == "finditer":
        return lambda text: list(bound(text))
    return bound


def _attacks(alphabet: list[str]) -> Iterator[tuple[str, str, str]]:
    """(prefix, unit, suffix): the unit is repeated between prefix and suffix."""
    ends = ["", *alphabet]
    for unit in alphabet:
        for prefix in ends:
            for suffix in ends:
                yield prefix, unit, suffix
        for a in alphabet:
            yield "", unit, a + " " + unit  # two items apart, as "x y" after spaces
            yield "", unit + a, "!"


def _text(found: Found, attack: tuple[str, str, str], n: int) -> str | bytes:
    prefix, unit, suffix = attack
    text = prefix + unit * (n // len(unit)) + suffix
    return text.encode("utf-8") if isinstance(found.pattern, bytes) else text


def _seconds(
    call: Callable[[object], object],
    text: object,
    loops: int = 1,
    clock: Callable[[], float] = time.thread_time,
) -> float:
    """Time of ``loops`` calls, by default the CPU time of this thread: other processes
    on the machine (the tests of other workers) do not count."""
    start = clock()
    for _ in range(loops):
        call(text)
    return clock() - start


def _worst_attacks(found: Found, call: Callable, keep: int = 3) -> list[tuple[str, str, str]]:
    """The attacks that cost most at 128 characters.

    One that already takes 20 ms there (a linear pattern needs microseconds)
    fails at once: a pattern that explodes must fail the test in seconds, not
    run for hours at 100 KB.
    """
    costs = []
    for attack in _attacks(_alphabet(found.pattern)):
        text = _text(found, attack, 128)
        cost = _seconds(call, text)
        assert cost < 0.02, f"{found}: {attack!r} at 128 characters takes {cost:.3f} s"
        costs.append((cost, attack))
    costs.sort(reverse=True)
    return [attack for _, attack in costs[:keep]]


def _growth(
    call: Callable,
    small: object,
    large: object,
    clock: Callable[[], float] = time.thread_time,
    attempts: int = 3,
) -> float:
    """How many times longer ``large`` takes than ``small`` (by ``clock``).

    A growth above ``MAX_GROWTH`` is measured again, up to ``attempts`` times, and the
    lowest is returned: a superlinear pattern exceeds it every time, while a shared
    virtual machine's pause (its stolen time counts as this thread's CPU time) lands in
    one measurement and not the next.
    """
    once = max(_seconds(call, small, clock=clock), 1e-6)
    loops = max(1, int(0.001 / once))  # the small one takes >= 1 ms
    lowest = float("inf")
    for _ in range(attempts):
        small_best = large_best = float("inf")
        for _ in range(3):  # interleaved, so a slow moment of the machine hits both
            small_best = min(small_best, _seconds(call, small, loops, clock))
            large_best = min(large_best, _seconds(call, large, loops, clock))
        lowest = min(lowest, large_best / max(small_best, 1e-9))
        if lowest <= MAX_GROWTH:
            break
    return lowest


def _cases() -> Iterator[object]:
    for found in FOUND:
        for method in found.methods:
            yield pytest.param(found, method, id=f"{found.where}:{method}")


def _superlinear(found: Found, method: str) -> str | None:
    """The first hostile input on which ``found`` called by ``method`` grows too fast."""
    call = _caller(found, method)
    gc.disable()
    try:
        for attack in _worst_attacks(found, call):
            # Up to 100 KB in steps of ten, so a superlinear pattern fails early.
            for size in (1000, SMALL):
                ratio = _growth(call, _text(found, attack, size), _text(found, attack, size * 10))
                if ratio > MAX_GROWTH:
                    return f"{attack!r}: x{ratio:.0f} from {size} to {size * 10} characters"
    finally:
        gc.enable()
    return None


@pytest.mark.parametrize(("found", "method"), _cases())
def test_a_pattern_takes_linear_time_on_hostile_input(found, method):
    slow = _superlinear(found, method)

    assert slow is None, f"{found} ({method}) is superlinear: {slow}"


def test_a_quadratic_pattern_is_caught():
    # Searched for, digits not followed by "a" are scanned again from each start.
    quadratic = Found("control", r"\d+a", 0, ("search",))

    assert _superlinear(quadratic, "search") is not None


# -- the scanners that replaced the two patterns ReDoS was found in -------------------------

# (prefix, unit, suffix), the unit repeated to fill 10 KB and 100 KB.
SCANNER_ATTACKS = [
    pytest.param(("", "1", "a"), id="digits-then-letter"),
    pytest.param(("", "1", "e"), id="digits-then-exponent"),
    pytest.param((".", "1", "x"), id="fraction-then-letter"),
    pytest.param(("'", "a", ""), id="unterminated-string"),
    pytest.param(("'", "''", ""), id="doubled-quotes"),
    pytest.param(("'", "\\'", ""), id="escaped-quotes"),
    pytest.param(("`", "a", ""), id="unterminated-backtick"),
    pytest.param(("", "a", "!"), id="word-then-junk"),
    pytest.param(("", " ", "!"), id="spaces-then-junk"),
    pytest.param(("", "a = 1 and ", "a = 1"), id="long-conjunction"),
]


def _scanner_growth(call: Callable[[str], object], attack: tuple[str, str, str]) -> float:
    def attempt(text: str) -> None:
        try:
            call(text)
        except InvalidArgument:
            pass

    return _growth(attempt, *_attack_texts(attack))


def _attack_texts(attack: tuple[str, str, str]) -> tuple[str, str]:
    """``prefix + unit * n + suffix`` at about 10 KB and 100 KB."""
    prefix, unit, suffix = attack
    small, large = (prefix + unit * (n // len(unit)) + suffix for n in (SMALL, LARGE))
    return small, large


@pytest.mark.parametrize("attack", SCANNER_ATTACKS)
def test_the_filter_tokenizer_takes_linear_time(attack):
    from modelreg.store.search_filter import _tokenize

    assert _scanner_growth(_tokenize, attack) <= MAX_GROWTH


@pytest.mark.parametrize(
    "attack",
    [
        pytest.param(("a", " ", "!"), id="spaces-then-bang"),
        pytest.param(("", " ", "a b"), id="spaces-then-two-words"),
        pytest.param(("", "a", " >= 1 2"), id="long-metric"),
        pytest.param((">=", " ", "1 2"), id="spaces-after-operator"),
    ],
)
def test_the_threshold_parser_takes_linear_time(attack):
    from modelreg.services.policies import _op_value, _threshold

    assert _scanner_growth(_threshold, attack) <= MAX_GROWTH
    assert _scanner_growth(_op_value, attack) <= MAX_GROWTH


# -- the one pattern PostgreSQL runs: an MLflow digest in a dataset input's source ----------


@pytest.mark.parametrize(
    "attack",
    [
        pytest.param(('{"mlflow_dataset": {"digest": "', "a", ""), id="unterminated-digest"),
        pytest.param(('{"mlflow_dataset": {"digest": "', "\\", '"'), id="backslashes"),
        pytest.param(('{"mlflow_dataset": ', " ", "!"), id="spaces-after-mark"),
        pytest.param(("", "{", ""), id="braces"),
    ],
)
def test_the_mlflow_digest_pattern_takes_linear_time_on_postgresql(pg_url, attack):
    from sqlalchemy import bindparam, create_engine, select

    from modelreg.store.client_digests import mlflow_digest

    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    query = select(mlflow_digest(bindparam("source")))
    try:
        with engine.connect() as conn:

            def read(text: object) -> None:
                conn.execute(query, {"source": text}).scalar()

            # By the clock: the work happens in the database server, not this thread.
            growth = _growth(read, *_attack_texts(attack), clock=time.perf_counter)
            assert growth <= MAX_GROWTH
    finally:
        engine.dispose()
