#!/usr/bin/env python3
"""Recall of keyward against the examples other scanners publish with their rules.

Usage:
    scripts/recall.py [--gitleaks GIT_DIR] [--kingfisher GIT_DIR] [--keyward BIN]
                      [--min-confidence LEVEL] [--misses] [--excluded]
                      [--unreadable] [--json FILE]

Reads, at run time, two bare git snapshots that are never committed here:

- gitleaks (default /work/.mirror/gitleaks+gitleaks/repo):
  cmd/generate/config/rules/*.go. Each rule function names a `RuleID` and
  ends in `utils.Validate(r, tps, fps)`: true positives and false positives.
  The Go is read by a small tokenizer and expression evaluator: string
  literals ("..." with escapes, `raw`), `+`, `[]string{...}`,
  `map[string]string{...}`, `append(...)` (with `x...`), local variables,
  `fmt.Sprintf` with %s/%v/%d/%q, `strings.Repeat/ToUpper/ToLower`, and the
  helpers of cmd/generate/config/utils/*.go that are one `return` (the
  regex-fragment helpers, `GenerateSampleSecret`), interpreted from their
  source. `GenerateSampleSecrets` (a map of line templates, `{i}`, `{I}`,
  `{s}` replaced) is emulated with the template map read from the snapshot's
  generate.go. `secrets.NewSecret(regex)` (reggen, limit 1) and the rules
  package's `newPlausibleSecret` are emulated by a seeded generator over
  Python's own regex parse tree: unbounded repeats take min..min+1, `.` and
  negated classes draw from printable ASCII; newPlausibleSecret also
  retries until a digit 1-9 appears (its stop-word retry is not emulated).
  `ValidateWithPaths` rules take their examples from a path -> content map:
  each example is written under that file name.
  Anything else (loops, other calls, unknown variables) is listed as not
  statically readable, with the reason, and counted apart: never guessed.

- kingfisher (default /work/.mirror/mongodb+kingfisher/repo): data/rules/*.yml,
  each rule's `id`, `examples` and `negative_examples`. Read by a minimal
  YAML reader of this repository's subset (plain, quoted and block scalars
  in sequences), standard library only.

Every example is written to its own file (DIR/<n>.txt, or DIR/<n>/<name>
when the rule reads file names) and keyward
runs once over the whole directory (`keyward scan DIR --format jsonl
--no-baseline --exit-zero`); findings map back by path. Recall = examples
with at least one finding (any rule) / examples counted. FP = negative
examples with at least one finding. "generic" counts examples found only by
rules of category `generic`, a hint that a provider rule is missing.

Examples excluded as placeholders (listed by --excluded with the reason;
negatives are never excluded). The "secret" is the sample secret when the
example was built by GenerateSampleSecret(s), otherwise the longest run of
[A-Za-z0-9+/_.~-] in the example, and also its last such run when that is
8 or more long (a name can be longer than the value after it)
(with the `=` padding that ends it: `key=value` is two runs). Tests, in order:
  1. repeated: the secret, or its part after the last `_` or `-`, is one
     character repeated (at least 6 long);
  2. marker: the secret contains `xxxx` (any case) or `EXAMPLE`;
  3. sequence: the secret contains six or more consecutive ascending
     letters or digits (`abcdef`, `123456`), the mark of a typed-in fake;
  4. template: the example contains `${`, `{{`, or an angle-bracket
     placeholder `<WORD>` (upper case, digits, `_`) or `<words joined by
     space, _ or ->` (an XML tag such as `<awsToken>` is neither);
  5. patterned: two thirds or more of the secret's letters and digits lie
     in runs of four or more typed in order, read straight or every second
     character: the same character, the next or previous letter or digit,
     the next or previous key of a keyboard row (`abcd1234efgh5678`,
     `zyxwvu`, `9876`, `1a2b3c4d`, `qwer`);
  6. documented example: the secret holds RFC 4122's example UUID
     (`123e4567-e89b-12d3-…`);
  7. invalid for the documented format: a GitHub (`ghp_`, `gho_`, `ghu_`,
     `ghs_`, `ghr_`) or npm (`npm_`) token whose last six characters are
     not the base62 CRC32 of the 30 before them, as GitHub documents the
     format; or a JWT (base64url parts joined by `.`, the first `eyJ`),
     the example's one run of 20 or more secret characters, that has not
     three parts or whose header (with `alg`) or payload is not a JSON
     object, as RFC 7519 requires;
  8. documented example: a JWT whose payload is jwt.io's example claims
     (`"sub":"1234567890","name":"John Doe"`);
  9. not a secret: the example belongs to a kingfisher rule whose name
     ends in `Username` (a user name alone is an identifier);
 10. not reported alone: the example belongs to a kingfisher rule marked
     `visible: false`, whose matches kingfisher itself reports only as the
     id or host part of another rule's credential (a client id, a domain).
Nothing else is excluded, and a miss is never excluded for being a miss.
A negative example is excluded only when the same text is a positive
example of another rule of the same source (gitleaks' sibling key kinds are
each other's negatives: a real secret, not a false positive).

Provider = a rule id's first word: `aws-access-token` -> aws,
`kingfisher.aws.2` -> aws.

Writes nothing but its temp dir (removed) and --json's file. Exit 0 unless
the inputs cannot be read (2).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import shutil
import string
import subprocess
import zlib
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field

try:
    import re._parser as sre_parse  # Python 3.11+
    import re._constants as sre_const
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as sre_const  # type: ignore
    import sre_parse  # type: ignore

GITLEAKS_DEFAULT = "/work/.mirror/gitleaks+gitleaks/repo"
KINGFISHER_DEFAULT = "/work/.mirror/mongodb+kingfisher/repo"
GITLEAKS_RULES = "cmd/generate/config/rules"
GITLEAKS_UTILS = "cmd/generate/config/utils"
KINGFISHER_RULES = "data/rules"


# ---------------------------------------------------------------------------
# git snapshots


def git(git_dir: str, *args: str) -> str:
    out = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args],
        check=True,
        capture_output=True,
    )
    return out.stdout.decode("utf-8", errors="replace")


def ls_files(git_dir: str, folder: str, suffix: str) -> list[str]:
    names = git(git_dir, "ls-tree", "--name-only", "HEAD", folder + "/").splitlines()
    return sorted(n for n in names if n.endswith(suffix))


def show_all(git_dir: str, paths: list[str]) -> dict[str, str]:
    """The HEAD contents of many paths, through one `git cat-file --batch`."""
    req = "".join(f"HEAD:{p}\n" for p in paths).encode()
    out = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
        input=req, check=True, capture_output=True,
    ).stdout
    files = {}
    pos = 0
    for p in paths:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].split()
        if len(header) < 3 or header[-1] == b"missing":
            raise subprocess.CalledProcessError(1, ["git", "cat-file", p], b"", b"missing")
        size = int(header[2])
        files[p] = out[nl + 1 : nl + 1 + size].decode("utf-8", errors="replace")
        pos = nl + 1 + size + 1
    return files


def head(git_dir: str) -> str:
    return git(git_dir, "rev-parse", "HEAD").strip()


# ---------------------------------------------------------------------------
# examples


@dataclass
class Example:
    source: str  # gitleaks | kingfisher
    rule: str
    positive: bool
    text: str | None  # None: not statically readable
    secret: str | None = None  # the sample secret, when known
    filename: str = "example.txt"
    reason: str = ""  # why unreadable, or why excluded
    excluded: bool = False
    # kingfisher's `visible: false`: a rule whose matches it never reports
    # on their own (an id or host another rule's secret is checked with)
    hidden: bool = False
    user_name: bool = False  # the rule finds a user name alone
    found_by: list[str] = field(default_factory=list)
    generic_only: bool = False

    @property
    def provider(self) -> str:
        return provider_of(self.rule)


def provider_of(rule: str) -> str:
    if rule.startswith("kingfisher."):
        parts = rule.split(".")
        return parts[1] if len(parts) > 1 else rule
    return re.split(r"[-_.]", rule, maxsplit=1)[0]


# ---------------------------------------------------------------------------
# Go: tokens


class GoError(Exception):
    """An expression this evaluator does not read; the message is the reason."""


@dataclass
class Tok:
    kind: str  # ident, str, num, char, op, ;
    value: str
    line: int


_GO_ESC = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}
_OPS3 = ("...", "<<=", ">>=", "&^=", "&&=")
_OPS2 = (
    ":=", "==", "!=", "<=", ">=", "&&", "||", "++", "--", "+=", "-=", "*=",
    "/=", "<<", ">>", "&^", "<-", "|=", "&=", "%=", "^=",
)


def go_unquote(body: str) -> str:
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in _GO_ESC:
            out.append(_GO_ESC[e])
            i += 2
        elif e == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif e == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif e == "U":
            out.append(chr(int(body[i + 2 : i + 10], 16)))
            i += 10
        elif e in "01234567":
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        else:
            raise GoError(f"unknown escape \\{e}")
    return "".join(out)


def go_tokens(src: str) -> list[Tok]:
    """Go tokens with the spec's automatic semicolons."""
    toks: list[Tok] = []
    i, n, line = 0, len(src), 1

    def newline() -> None:
        if toks and (
            toks[-1].kind in ("ident", "str", "num", "char")
            or toks[-1].value in (")", "]", "}", "++", "--")
        ):
            toks.append(Tok(";", ";", line))

    while i < n:
        c = src[i]
        if c == "\n":
            newline()
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            if "\n" in src[i:j]:
                newline()
                line += src.count("\n", i, j)
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            toks.append(Tok("str", go_unquote(src[i + 1 : j]), line))
            i = j + 1
        elif c == "`":
            j = src.find("`", i + 1)
            j = n if j < 0 else j
            toks.append(Tok("str", src[i + 1 : j].replace("\r", ""), line))
            line += src.count("\n", i, j)
            i = j + 1
        elif c == "'":
            j = i + 1
            while j < n and src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            toks.append(Tok("char", src[i + 1 : j], line))
            i = j + 1
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            toks.append(Tok("ident", src[i:j], line))
            i = j
        elif c.isdigit():
            j = i
            while j < n and (src[j].isalnum() or src[j] in "._"):
                j += 1
            toks.append(Tok("num", src[i:j], line))
            i = j
        else:
            for op in _OPS3 + _OPS2:
                if src.startswith(op, i):
                    toks.append(Tok("op", op, line))
                    i += len(op)
                    break
            else:
                toks.append(Tok("op", c, line))
                i += 1
    newline()
    return toks


def split_statements(toks: list[Tok]) -> list[list[Tok]]:
    """Split a block's tokens at depth-0 semicolons."""
    stmts: list[list[Tok]] = []
    cur: list[Tok] = []
    depth = 0
    for t in toks:
        if t.kind == "op" and t.value in "([{":
            depth += 1
        elif t.kind == "op" and t.value in ")]}":
            depth -= 1
        if t.kind == ";" and depth == 0:
            if cur:
                stmts.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        stmts.append(cur)
    return stmts


def matching(toks: list[Tok], i: int) -> int:
    """Index of the bracket closing the one at toks[i]."""
    depth = 0
    for j in range(i, len(toks)):
        v = toks[j].value
        if toks[j].kind == "op" and v in "([{":
            depth += 1
        elif toks[j].kind == "op" and v in ")]}":
            depth -= 1
            if depth == 0:
                return j
    raise GoError("unbalanced brackets")


@dataclass
class GoFunc:
    name: str
    params: list[str]
    body: list[Tok]
    file: str


def go_functions(toks: list[Tok], file: str) -> list[GoFunc]:
    """Top-level functions (not methods): name, parameter names, body."""
    funcs = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "ident" and t.value == "func" and toks[i + 1].kind == "ident":
            name = toks[i + 1].value
            p_open = i + 2
            p_close = matching(toks, p_open)
            params = []
            for group in _split_commas(toks[p_open + 1 : p_close]):
                if group and group[0].kind == "ident":
                    params.append(group[0].value)
            j = p_close + 1
            while not (toks[j].kind == "op" and toks[j].value == "{"):
                j += 1
            end = matching(toks, j)
            funcs.append(GoFunc(name, params, toks[j + 1 : end], file))
            i = end + 1
        else:
            i += 1
    return funcs


def _split_commas(toks: list[Tok]) -> list[list[Tok]]:
    parts: list[list[Tok]] = []
    cur: list[Tok] = []
    depth = 0
    for t in toks:
        if t.kind == "op" and t.value in "([{":
            depth += 1
        elif t.kind == "op" and t.value in ")]}":
            depth -= 1
        if depth == 0 and t.kind == "op" and t.value == ",":
            parts.append(cur)
            cur = []
        elif t.kind != ";":
            cur.append(t)
    if cur:
        parts.append(cur)
    return parts


# ---------------------------------------------------------------------------
# Go: values and evaluation


@dataclass
class GStr:
    s: str
    secret: str | None = None  # the sample secret inside, when known


@dataclass
class GUnread:
    reason: str


@dataclass
class GList:
    items: list  # GStr | GUnread
    names: list | None = None  # map keys (file names), for ValidateWithPaths


@dataclass
class GMap:
    pairs: list  # (key str, value)


@dataclass
class GNum:
    n: int


GNil = GList([])


def regex_class_set(items, negate: bool) -> list[str]:
    printable = [chr(c) for c in range(0x20, 0x7F)]
    chosen: set[str] = set()
    for op, av in items:
        if op == sre_const.LITERAL:
            chosen.add(chr(av))
        elif op == sre_const.RANGE:
            chosen.update(chr(c) for c in range(av[0], av[1] + 1))
        elif op == sre_const.CATEGORY:
            cat = str(av)
            if "DIGIT" in cat:
                cs = string.digits
            elif "WORD" in cat:
                cs = string.ascii_letters + string.digits + "_"
            elif "SPACE" in cat:
                cs = " "
            else:
                raise GoError(f"regex class category {cat}")
            if "NOT" in cat:
                cs = "".join(c for c in printable if c not in cs)
            chosen.update(cs)
        elif op == sre_const.NEGATE:
            negate = True
        else:
            raise GoError(f"regex class item {op}")
    if negate:
        return [c for c in printable if c not in chosen]
    return sorted(chosen)


def regex_generate(pattern: str, rng: random.Random) -> str:
    """One string matching a Go regex, the way reggen does with limit 1."""
    p = pattern.replace(r"\z", r"\Z")
    p = re.sub(r"\(\?[imsU]+\)", "", p)  # flags change no generated text
    try:
        tree = sre_parse.parse(p)
    except Exception as e:  # re.error and friends
        raise GoError(f"regex not parsed by Python: {e}") from None

    def gen(seq) -> str:
        out = []
        for op, av in seq:
            if op == sre_const.LITERAL:
                out.append(chr(av))
            elif op == sre_const.NOT_LITERAL:
                out.append(rng.choice([c for c in string.ascii_letters if ord(c) != av]))
            elif op == sre_const.ANY:
                out.append(rng.choice(string.ascii_letters + string.digits))
            elif op == sre_const.IN:
                out.append(rng.choice(regex_class_set(av, False)))
            elif op in (sre_const.MAX_REPEAT, sre_const.MIN_REPEAT):
                lo, hi, sub = av
                if hi == sre_const.MAXREPEAT:
                    hi = lo + 1
                out.extend(gen(sub) for _ in range(rng.randint(lo, hi)))
            elif op == sre_const.SUBPATTERN:
                out.append(gen(av[-1]))
            elif op == sre_const.BRANCH:
                out.append(gen(rng.choice(av[1])))
            elif op == sre_const.AT:
                pass
            elif op == sre_const.CATEGORY:
                out.append(rng.choice(regex_class_set([(op, av)], False)))
            else:
                raise GoError(f"regex construct {op} not generated")
        return "".join(out)

    return gen(tree)


_B64 = {
    "StdEncoding": lambda b: base64.b64encode(b).decode(),
    "RawStdEncoding": lambda b: base64.b64encode(b).decode().rstrip("="),
    "URLEncoding": lambda b: base64.urlsafe_b64encode(b).decode(),
    "RawURLEncoding": lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="),
}


class GoEval:
    """Evaluates the expressions of gitleaks' rule functions."""

    def __init__(self, utils_funcs: dict[str, GoFunc], samples: GMap | GUnread):
        self.utils = utils_funcs
        self.samples = samples
        self.rng = random.Random(0)
        self.globals: dict = {}

    # -- expressions --------------------------------------------------------

    def eval(self, toks: list[Tok], env: dict):
        if not toks:
            raise GoError("empty expression")
        val, i = self.expr(toks, 0, env)
        if i != len(toks):
            raise GoError(f"unread tokens after expression: {toks[i].value!r}")
        return val

    def expr(self, toks, i, env):
        left, i = self.postfix(toks, i, env)
        while i < len(toks) and toks[i].kind == "op" and toks[i].value == "+":
            right, i = self.postfix(toks, i + 1, env)
            left = self.concat(left, right)
        if i < len(toks) and toks[i].kind == "op" and toks[i].value in (
            "-", "*", "/", "==", "!=", "&&", "||", "<", ">",
        ):
            raise GoError(f"operator {toks[i].value} not evaluated")
        return left, i

    def concat(self, a, b):
        if isinstance(a, GUnread):
            return a
        if isinstance(b, GUnread):
            return b
        if isinstance(a, GStr) and isinstance(b, GStr):
            return GStr(a.s + b.s, a.secret or b.secret)
        raise GoError("+ on non-strings")

    def postfix(self, toks, i, env):
        t = toks[i]
        if t.kind == "str":
            return GStr(t.value), i + 1
        if t.kind == "num":
            try:
                return GNum(int(t.value, 0)), i + 1
            except ValueError:
                raise GoError(f"number {t.value}") from None
        if t.kind == "op" and t.value == "(":
            end = matching(toks, i)
            return self.eval(toks[i + 1 : end], env), end + 1
        if t.kind == "op" and t.value in ("[", "&"):
            return self.composite(toks, i, env)
        if t.kind != "ident":
            raise GoError(f"token {t.value!r} starts no expression")
        if t.value == "map":
            return self.composite(toks, i, env)
        name = t.value
        j = i + 1
        while (
            j + 1 < len(toks)
            and toks[j].kind == "op"
            and toks[j].value == "."
            and toks[j + 1].kind == "ident"
        ):
            name += "." + toks[j + 1].value
            j += 2
        if j < len(toks) and toks[j].kind == "op" and toks[j].value == "(":
            end = matching(toks, j)
            args = _split_commas(toks[j + 1 : end])
            return self.call(name, args, env), end + 1
        if j < len(toks) and toks[j].kind == "op" and toks[j].value == "{":
            end = matching(toks, j)
            return GUnread(f"composite literal of {name}"), end + 1
        if j < len(toks) and toks[j].kind == "op" and toks[j].value == "[":
            raise GoError(f"indexing {name}")
        if name == "nil":
            return GNil, j
        if name in env:
            return env[name], j
        raise GoError(f"variable {name} not statically known")

    def composite(self, toks, i, env):
        # []string{...}, map[string]string{...}, []string(nil)
        j = i
        while j < len(toks) and not (toks[j].kind == "op" and toks[j].value in "{("):
            j += 1
        if j >= len(toks):
            raise GoError("type without literal")
        typ = "".join(t.value for t in toks[i:j])
        end = matching(toks, j)
        inner = toks[j + 1 : end]
        if toks[j].value == "(":
            return self.eval(inner, env), end + 1
        if typ == "[]string":
            items = [self.item(part, env) for part in _split_commas(inner)]
            return GList(items), end + 1
        if typ == "map[string]string":
            pairs = []
            for part in _split_commas(inner):
                colon = next(
                    (k for k, t in enumerate(part) if t.kind == "op" and t.value == ":"),
                    None,
                )
                if colon is None:
                    raise GoError("map entry without key")
                key = self.eval(part[:colon], env)
                if not isinstance(key, GStr):
                    raise GoError("map key not a string")
                pairs.append((key.s, self.item(part[colon + 1 :], env)))
            return GMap(pairs), end + 1
        return GUnread(f"composite literal of {typ}"), end + 1

    def item(self, part, env):
        try:
            v = self.eval(part, env)
        except GoError as e:
            return GUnread(str(e))
        if isinstance(v, (GStr, GUnread)):
            return v
        raise GoError("list element not a string")

    def arg_str(self, v) -> str:
        if isinstance(v, GStr):
            return v.s
        if isinstance(v, GNum):
            return str(v.n)
        if isinstance(v, GUnread):
            raise GoError(v.reason)
        raise GoError("argument not a string")

    def call(self, name, args, env):
        spread = bool(args and args[-1] and args[-1][-1].value == "...")
        if spread:
            args = args[:-1] + [args[-1][:-1]]
        if name == "append":
            base = self.eval(args[0], env)
            if isinstance(base, GUnread):
                base = GList([base])
            if not isinstance(base, GList):
                raise GoError("append to a non-list")
            items = list(base.items)
            for k, a in enumerate(args[1:]):
                if spread and k == len(args) - 2:
                    v = self.eval(a, env)
                    if isinstance(v, GList):
                        items.extend(v.items)
                    elif isinstance(v, GUnread):
                        items.append(v)
                    else:
                        raise GoError("spread of a non-list")
                else:
                    items.append(self.item(a, env))
            return GList(items)
        vals = []
        for a in args:
            try:
                vals.append(self.eval(a, env))
            except GoError as e:
                vals.append(GUnread(str(e)))
        short = name.split(".")[-1]
        if name in ("secrets.NewSecret", "newPlausibleSecret"):
            regex = self.arg_str(vals[0])
            for _ in range(100):
                s = regex_generate(regex, self.rng)
                if name == "secrets.NewSecret" or re.search("[1-9]", s):
                    return GStr(s)
            raise GoError("newPlausibleSecret: no digit in 100 draws")
        if name == "fmt.Sprintf":
            return self.sprintf(vals)
        if name == "strings.Repeat":
            if not isinstance(vals[1], GNum):
                raise GoError("strings.Repeat count not a number")
            return GStr(self.arg_str(vals[0]) * vals[1].n)
        if name == "strings.ToUpper":
            return GStr(self.arg_str(vals[0]).upper())
        if name == "strings.ToLower":
            return GStr(self.arg_str(vals[0]).lower())
        if name.startswith("base64.") and name.endswith(".EncodeToString"):
            enc = name.split(".")[1]
            raw = self.arg_str(vals[0]).encode("latin-1", errors="replace")
            if enc not in _B64:
                raise GoError(f"call to {name} not statically readable")
            return GStr(_B64[enc](raw))
        if name == "utils.GenerateSampleSecrets":
            return self.sample_secrets(vals)
        if name.startswith("utils.") and short in self.utils:
            return self.call_func(self.utils[short], vals)
        raise GoError(f"call to {name} not statically readable")

    def sprintf(self, vals):
        fmt = self.arg_str(vals[0])
        args = vals[1:]
        secret = next((a.secret for a in args if isinstance(a, GStr) and a.secret), None)
        out = []
        k = 0
        i = 0
        while i < len(fmt):
            c = fmt[i]
            if c != "%":
                out.append(c)
                i += 1
                continue
            verb = fmt[i + 1]
            if verb == "%":
                out.append("%")
            elif verb in "svdq":
                if k >= len(args):
                    raise GoError("fmt.Sprintf: missing argument")
                a = self.arg_str(args[k])
                out.append(json.dumps(a) if verb == "q" else a)
                k += 1
            else:
                raise GoError(f"fmt.Sprintf verb %{verb}")
            i += 2
        return GStr("".join(out), secret)

    def call_func(self, fn: GoFunc, vals):
        stmts = split_statements(fn.body)
        if len(stmts) != 1 or stmts[0][0].value != "return":
            raise GoError(f"utils.{fn.name} is more than one return statement")
        env = {p: v for p, v in zip(fn.params, vals)}
        v = self.eval(stmts[0][1:], env)
        if fn.name == "GenerateSampleSecret" and isinstance(v, GStr) and len(vals) > 1:
            if isinstance(vals[1], GStr):
                v = GStr(v.s, vals[1].s)
        return v

    def sample_secrets(self, vals):
        if isinstance(self.samples, GUnread):
            raise GoError(self.samples.reason)
        if len(vals) != 2:
            raise GoError("GenerateSampleSecrets takes 2 arguments")
        ident = self.arg_str(vals[0])
        secret = self.arg_str(vals[1])
        repl = {"{i}": ident, "{I}": ident.upper(), "{s}": secret}
        items = []
        for _key, tmpl in self.samples.pairs:
            if not isinstance(tmpl, GStr):
                continue
            text = re.sub(r"\{[iIs]\}", lambda m: repl[m.group(0)], tmpl.s)
            items.append(GStr(text, secret))
        return GList(items)

    # -- statements ---------------------------------------------------------

    def run_rule(self, fn: GoFunc) -> tuple[str | None, list, list, bool]:
        """The rule id, true and false positives of one rule function.

        Returns (rule id, tps items, fps items, paths) where items are GStr
        (with .name for path rules) or GUnread.
        """
        rule_id = None
        for k, t in enumerate(fn.body[:-2]):
            if (
                t.kind == "ident"
                and t.value == "RuleID"
                and fn.body[k + 1].value == ":"
                and fn.body[k + 2].kind == "str"
            ):
                rule_id = fn.body[k + 2].value
                break
        env: dict = dict(self.globals)
        extra: dict[str, list] = defaultdict(list)
        tps_name = fps_name = None
        paths = False
        for st in split_statements(fn.body):
            first = st[0]
            if first.kind == "ident" and first.value == "return":
                if len(st) > 2 and st[1].value == "utils" and st[3].value in (
                    "Validate",
                    "ValidateWithPaths",
                ):
                    paths = st[3].value == "ValidateWithPaths"
                    end = matching(st, 4)
                    args = _split_commas(st[5:end])
                    if len(args) == 3:
                        tps_name = "".join(t.value for t in args[1])
                        fps_name = "".join(t.value for t in args[2])
                continue
            if self.declare(st, env):
                continue
            # a block (for, if) that may add examples: say so
            names = {t.value for t in st if t.kind == "ident"}
            for v in names & set(env):
                if any(
                    t.value == v and k + 1 < len(st) and st[k + 1].value in ("=", ":=")
                    for k, t in enumerate(st)
                ):
                    extra[v].append(
                        GUnread(f"{v} extended inside a `{first.value}` block")
                    )
        return (
            rule_id,
            self.examples_of(tps_name, env, extra, paths),
            self.examples_of(fps_name, env, extra, paths),
            paths,
        )

    def declare(self, st, env) -> bool:
        """Runs one assignment or declaration statement; False if it is none."""
        if (
            st[0].kind == "ident"
            and st[0].value in ("var", "const")
            and len(st) > 1
            and st[1].value == "("
        ):
            end = matching(st, 1)
            for inner in split_statements(st[2:end]):
                self.declare([Tok("ident", "var", inner[0].line)] + inner, env)
            return True
        target, expr = self.assignment(st)
        if target is None:
            return False
        try:
            env[target] = self.eval(expr, env)
        except GoError as e:
            env[target] = GUnread(str(e))
        except (IndexError, ValueError) as e:
            env[target] = GUnread(f"expression not parsed ({e})")
        return True

    def package_env(self, toks: list[Tok]) -> None:
        """The package-level var and const declarations of one file."""
        for st in split_statements(toks):
            if st[0].kind == "ident" and st[0].value in ("var", "const"):
                if len(st) > 1 and st[1].value != "(":
                    st = [Tok("ident", "var", st[0].line)] + st[1:]
                self.declare(st, self.globals)

    @staticmethod
    def assignment(st):
        if st[0].kind == "ident" and st[0].value == "var" and len(st) > 2:
            eq = next((k for k, t in enumerate(st) if t.value == "="), None)
            if eq is None:
                return st[1].value, [Tok("ident", "nil", st[0].line)]
            return st[1].value, st[eq + 1 :]
        if len(st) > 2 and st[0].kind == "ident" and st[1].value in (":=", "="):
            return st[0].value, st[2:]
        return None, None

    @staticmethod
    def examples_of(name, env, extra, paths):
        if name is None or name == "nil":
            return []
        if name not in env:
            return [GUnread(f"{name} not found in the rule function")]
        v = env[name]
        if isinstance(v, GUnread):
            return [v]
        if isinstance(v, GMap):
            items = []
            for key, val in v.pairs:
                if isinstance(val, GStr):
                    val = GStr(val.s, val.secret)
                    val.name = key  # type: ignore[attr-defined]
                items.append(val)
            return items + extra[name]
        if isinstance(v, GList):
            return list(v.items) + extra[name]
        if isinstance(v, GStr):
            return [v] + extra[name]
        return [GUnread(f"{name} is not a list of strings")]


def gitleaks_examples(git_dir: str) -> list[Example]:
    utils_funcs: dict[str, GoFunc] = {}
    samples: GMap | GUnread = GUnread("GenerateSampleSecrets' templates not found")
    ev = GoEval(utils_funcs, samples)
    utils_paths = [p for p in ls_files(git_dir, GITLEAKS_UTILS, ".go")
                   if not p.endswith("_test.go")]
    rule_paths = [p for p in ls_files(git_dir, GITLEAKS_RULES, ".go")
                  if not p.endswith("_test.go")]
    texts = show_all(git_dir, utils_paths + rule_paths)
    for path in utils_paths:
        for fn in go_functions(go_tokens(texts[path]), path):
            utils_funcs[fn.name] = fn
            if fn.name == "GenerateSampleSecrets":
                for st in split_statements(fn.body):
                    if st[0].value == "samples":
                        try:
                            ev.samples = ev.eval(st[2:], {})
                        except GoError as e:
                            ev.samples = GUnread(f"GenerateSampleSecrets: {e}")
    out: list[Example] = []
    files = {}
    for path in rule_paths:
        try:
            toks = go_tokens(texts[path])
            files[path] = toks
            ev.rng = random.Random(path)
            ev.package_env(toks)
        except (GoError, IndexError) as e:
            out.append(Example("gitleaks", os.path.basename(path), True, None,
                               reason=f"{path}: not parsed ({e})"))
    for path, toks in files.items():
        try:
            funcs = go_functions(toks, path)
        except (GoError, IndexError) as e:
            out.append(Example("gitleaks", os.path.basename(path), True, None,
                               reason=f"{path}: not parsed ({e})"))
            continue
        for fn in funcs:
            if not any(t.value == "RuleID" for t in fn.body):
                continue
            ev.rng = random.Random(f"{path}:{fn.name}")
            try:
                rule_id, tps, fps, _paths = ev.run_rule(fn)
            except (GoError, IndexError) as e:
                out.append(Example("gitleaks", fn.name, True, None,
                                   reason=f"{path}: {fn.name}: not parsed ({e})"))
                continue
            rule = rule_id or fn.name
            for positive, items in ((True, tps), (False, fps)):
                for it in items:
                    if isinstance(it, GUnread):
                        out.append(Example("gitleaks", rule, positive, None,
                                           reason=it.reason))
                    else:
                        name = getattr(it, "name", None) or "example.txt"
                        out.append(Example("gitleaks", rule, positive, it.s,
                                           secret=it.secret, filename=name))
    return out


# ---------------------------------------------------------------------------
# kingfisher: a minimal YAML reader for data/rules/*.yml


_YAML_DQ_ESC = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n",
    "v": "\v", "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"',
    "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
}


class YamlError(Exception):
    pass


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _fold(lines: list[str]) -> str:
    """Flow-scalar line folding: one break is a space, n breaks are n-1."""
    out = ""
    blanks = 0
    for k, ln in enumerate(lines):
        if k:
            ln = ln.lstrip(" \t")
        if k < len(lines) - 1:
            ln = ln.rstrip(" \t")
        if k and ln == "":
            blanks += 1
            continue
        if k:
            out += "\n" * blanks if blanks else " "
        blanks = 0
        out += ln
    return out + "\n" * blanks


def yaml_scalar(first: str, cont: list[str], parent_indent: int) -> str:
    """A scalar whose text starts with `first` and goes on over `cont`."""
    s = first.strip()
    if s[:1] in "|>":
        m = re.fullmatch(r"([|>])([+-]?)(\d?)([+-]?)\s*(#.*)?", s)
        if not m:
            raise YamlError(f"block scalar header {s!r}")
        style, chomp = m.group(1), m.group(2) or m.group(4)
        lines = list(cont)
        while lines and lines[-1].strip() == "":
            lines.pop()
        trailing = len(cont) - len(lines)
        if m.group(3):
            ind = parent_indent + int(m.group(3))
        else:
            ind = min((_indent(ln) for ln in lines if ln.strip()), default=0)
        body = [ln[ind:] for ln in lines]
        if style == "|":
            text = "\n".join(body)
        else:
            text = ""
            for k, ln in enumerate(body):
                if k == 0:
                    text = ln
                elif ln == "" or ln.startswith(" ") or body[k - 1].startswith(" ") or body[k - 1] == "":
                    text += "\n" + ln
                else:
                    text += " " + ln
        if chomp == "-":
            return text
        if chomp == "+":
            return text + "\n" + "\n" * trailing
        return text + "\n" if lines else ""
    if s.startswith('"'):
        raw = "\n".join([first.lstrip()] + cont)
        j = 1
        while j < len(raw) and raw[j] != '"':
            j += 2 if raw[j] == "\\" else 1
        body = raw[1:j]
        # escaped line breaks join lines without a space
        parts = re.split(r"\\\n[ \t]*", body)
        folded = "".join(_fold(p.split("\n")) for p in parts)
        out = []
        i = 0
        while i < len(folded):
            c = folded[i]
            if c != "\\":
                out.append(c)
                i += 1
                continue
            e = folded[i + 1]
            if e in _YAML_DQ_ESC:
                out.append(_YAML_DQ_ESC[e])
                i += 2
            elif e in "xuU":
                w = {"x": 2, "u": 4, "U": 8}[e]
                out.append(chr(int(folded[i + 2 : i + 2 + w], 16)))
                i += 2 + w
            else:
                raise YamlError(f"escape \\{e}")
        return "".join(out)
    if s.startswith("'"):
        raw = "\n".join([first.lstrip()] + cont)
        j = 1
        while j < len(raw):
            if raw[j] == "'":
                if raw[j + 1 : j + 2] == "'":
                    j += 2
                    continue
                break
            j += 1
        return _fold(raw[1:j].split("\n")).replace("''", "'")
    lines = [first] + cont
    lines = [re.sub(r"(^|\s)#.*$", "", ln) for ln in lines]
    return _fold([ln for ln in lines]).strip()


def kingfisher_rules(text: str) -> list[dict]:
    """[{id, name, examples, negative_examples}] from one rules file."""
    lines = text.split("\n")
    rules: list[dict] = []
    i = 0
    # find `rules:` then its items
    while i < len(lines) and not re.match(r"^rules:\s*(#.*)?$", lines[i]):
        i += 1
    i += 1
    item_indent = None
    cur: dict | None = None
    key_indent = None
    while i < len(lines):
        ln = lines[i]
        if ln.strip() == "" or ln.lstrip().startswith("#"):
            i += 1
            continue
        ind = _indent(ln)
        if ind == 0 and not ln.startswith("-"):
            break  # next top-level key
        body = ln[ind:]
        if body.startswith("- ") and (item_indent is None or ind == item_indent):
            item_indent = ind
            cur = {}
            rules.append(cur)
            key_indent = ind + 2
            ln = " " * key_indent + body[2:]
            ind = key_indent
            body = body[2:].lstrip()
        m = re.match(r"^([A-Za-z_][\w-]*):(?:\s+(.*))?$|^([A-Za-z_][\w-]*):$", body)
        if cur is None or ind != key_indent or not m:
            raise YamlError(f"line {i + 1}: unexpected {ln.strip()[:40]!r}")
        key = m.group(1) or m.group(3)
        inline = m.group(2) or ""
        # the value's lines: deeper, or a sequence at the key's indentation
        j = i + 1
        while j < len(lines):
            lj = lines[j]
            if lj.strip() and (
                _indent(lj) < key_indent
                or (_indent(lj) == key_indent and not lj[key_indent:].startswith("- "))
            ):
                break
            j += 1
        cont = lines[i + 1 : j]
        if key in ("id", "name", "visible"):
            cur[key] = yaml_scalar(inline, cont, key_indent)
        elif key in ("examples", "negative_examples"):
            inline = re.sub(r"^\s*#.*$", "", inline)
            if inline.strip() == "[]":
                cur[key] = []
            elif inline.strip():
                raise YamlError(f"line {i + 1}: {key} is not a block sequence")
            else:
                cur[key] = yaml_sequence(cont, i + 2)
        i = j
    return rules


def yaml_sequence(lines: list[str], lineno: int) -> list[str]:
    items = []
    seq_indent = None
    k = 0
    while k < len(lines):
        ln = lines[k]
        if ln.strip() == "" or (seq_indent is None and ln.lstrip().startswith("#")):
            k += 1
            continue
        ind = _indent(ln)
        if seq_indent is None:
            seq_indent = ind
        if ind != seq_indent or not ln[ind:].startswith("-"):
            raise YamlError(f"line {lineno + k}: expected a sequence item")
        first = ln[ind + 1 :]
        m = k + 1
        while m < len(lines) and (
            lines[m].strip() == "" or _indent(lines[m]) > seq_indent
        ):
            m += 1
        items.append(yaml_scalar(first, lines[k + 1 : m], seq_indent))
        k = m
    return items


def kingfisher_examples(git_dir: str) -> list[Example]:
    out: list[Example] = []
    paths = ls_files(git_dir, KINGFISHER_RULES, ".yml") + ls_files(
        git_dir, KINGFISHER_RULES, ".yaml"
    )
    texts = show_all(git_dir, paths)
    for path in paths:
        try:
            rules = kingfisher_rules(texts[path])
        except (YamlError, IndexError, ValueError) as e:
            out.append(Example("kingfisher", os.path.basename(path), True, None,
                               reason=f"{path}: not read ({e})"))
            continue
        for r in rules:
            rid = r.get("id") or r.get("name") or path
            hidden = str(r.get("visible", "")).strip().lower() == "false"
            # A rule for a user name alone (`React App Username`) finds an
            # identifier, not a secret, as the hidden ones do.
            user_name = bool(re.search(r"\buser ?name$", str(r.get("name", "")), re.I))
            for ex in r.get("examples", []):
                out.append(Example("kingfisher", rid, True, ex, hidden=hidden,
                                   user_name=user_name))
            for ex in r.get("negative_examples", []):
                out.append(Example("kingfisher", rid, False, ex))
    return out


# ---------------------------------------------------------------------------
# placeholders

_SECRETISH = re.compile(r"[A-Za-z0-9+/_.~-]+(?:=+(?![A-Za-z0-9+/_.~-]))?")
_ANGLE = re.compile(r"<(?:[A-Z][A-Z0-9_]{2,}|[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)+)>")


def ascending_run(s: str) -> str:
    """The longest run of consecutive ascending letters or digits (abcdef, 3456)."""
    best = cur = s[:1]
    for a, b in zip(s, s[1:]):
        if ord(b) == ord(a) + 1 and a.isalnum() and b.isalnum() and (
            a.isdigit() == b.isdigit()
        ):
            cur += b
        else:
            cur = b
        if len(cur) > len(best):
            best = cur
    return best


_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _steps(a: str, b: str) -> bool:
    """Whether b follows a in a pattern a person types: the same
    character, the next or previous letter or digit, or the next or
    previous key on a keyboard row."""
    a, b = a.lower(), b.lower()
    if not (a.isalnum() and b.isalnum()) or a.isdigit() != b.isdigit():
        return False
    if abs(ord(a) - ord(b)) <= 1:
        return True
    return any(
        a in row and b in row and abs(row.index(a) - row.index(b)) == 1 for row in _ROWS
    )


def patterned_share(s: str) -> float:
    """The share of s's letters and digits in runs of four or more that
    follow _steps, read in order or every second character (1a2b3c4d)."""
    alnum = [c for c in s if c.isalnum()]
    if len(alnum) < 8:
        return 0.0
    covered = [False] * len(alnum)
    for stride in (1, 2):
        for start in range(stride):
            idx = list(range(start, len(alnum), stride))
            run = [idx[0]] if idx else []
            for i, j in zip(idx, idx[1:]):
                if _steps(alnum[i], alnum[j]):
                    run.append(j)
                else:
                    if len(run) >= 4:
                        for k in run:
                            covered[k] = True
                    run = [j]
            if len(run) >= 4:
                for k in run:
                    covered[k] = True
    return sum(covered) / len(alnum)


def secret_placeholder_reason(secret: str) -> str | None:
    """Tests 1 to 3, 5 and 6 on one candidate secret."""
    tail = re.split(r"[_-]", secret)[-1]
    for part in (secret, tail):
        if len(part) >= 6 and len(set(part)) == 1:
            return f"repeated: {part[:12]!r} is one character repeated"
    if "xxxx" in secret.lower():
        return "marker: secret contains xxxx"
    if "EXAMPLE" in secret:
        return "marker: secret contains EXAMPLE"
    run = ascending_run(secret)
    if len(run) >= 6:
        return f"sequence: secret contains the run {run!r}"
    share = patterned_share(secret)
    if share >= 2 / 3:
        return (f"patterned: {share:.0%} of the secret is runs typed in order "
                "(abcd, 9876, qwer, 1a2b3c, aaaa)")
    if "123e4567-e89b-12d3" in secret.lower():
        return "documented example: the example UUID of RFC 4122"
    return None


_CHECKSUMMED = re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]|npm)_([A-Za-z0-9]{30})([A-Za-z0-9]{6})(?![A-Za-z0-9_])")
_JWT = re.compile(r"(?<![A-Za-z0-9_.-])eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)+")
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # as GitHub encodes it


def base62_crc32(data: str) -> str:
    n = zlib.crc32(data.encode())
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = _BASE62[r] + out
    return out.rjust(6, "0")


def b64url_json(part: str):
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def format_reason(text: str) -> str | None:
    """Test 7 and 8: the example's token breaks its documented format."""
    m = _CHECKSUMMED.search(text)
    if m and base62_crc32(m.group(1)) != m.group(2):
        return ("invalid: the token's last six characters are not the base62 "
                "CRC32 of the 30 before (GitHub's and npm's documented format)")
    jwts = _JWT.findall(text)
    # Only where the JWT is the example's one secret (an AWS session token
    # beside a key pair is not what the example is about).
    long_runs = [r for r in _SECRETISH.findall(text) if len(r) >= 20]
    if jwts and len(long_runs) == 1:
        split = [j.split(".") for j in jwts]
        if all(len(p) != 3 for p in split):
            return ("invalid: not a JWT (RFC 7519): not three parts "
                    "(header, payload, signature)")
        parts = [(b64url_json(p[0]), b64url_json(p[1])) for p in split if len(p) == 3]
        if all(h is None or "alg" not in h or p is None for h, p in parts):
            return ("invalid: not a JWT (RFC 7519): the header (with `alg`) or "
                    "the payload is not base64url JSON")
        if all(p is not None and p.get("sub") == "1234567890"
               and p.get("name") == "John Doe" for _, p in parts):
            return "documented example: jwt.io's example token"
    return None


def placeholder_reason(ex: Example) -> str | None:
    assert ex.text is not None
    if ex.hidden:
        return ("not reported alone: kingfisher's rule is `visible: false`, "
                "the id or host part of another rule's credential")
    if ex.user_name:
        return ("not a secret: kingfisher's rule finds a user name alone "
                "(its name ends in `Username`)")
    if ex.secret:
        candidates = [ex.secret]
    else:
        runs = _SECRETISH.findall(ex.text)
        candidates = [max(runs, key=len)] if runs else [""]
        if runs and len(runs[-1]) >= 8 and runs[-1] != candidates[0]:
            candidates.append(runs[-1])
    for secret in candidates:
        reason = secret_placeholder_reason(secret)
        if reason:
            return reason
    reason = format_reason(ex.text)
    if reason:
        return reason
    where = ex.secret if ex.secret else ex.text
    for mark in ("${", "{{"):
        if mark in where:
            return f"template: contains {mark}"
    m = _ANGLE.search(where)
    if m:
        return f"template: placeholder {m.group(0)}"
    return None


# ---------------------------------------------------------------------------
# scanning


def safe_name(name: str) -> str:
    name = name.replace("\\", "/").lstrip("/")
    parts = [p for p in name.split("/") if p not in ("", ".", "..")]
    return "/".join(parts) or "example.txt"


def scan(examples: list[Example], keyward: str, min_confidence: str | None) -> str:
    """Runs keyward over all readable examples; fills found_by. Returns stderr's last line."""
    todo = [(k, ex) for k, ex in enumerate(examples) if ex.text is not None]
    tmp = tempfile.mkdtemp(prefix="keyward-recall-")
    try:
        # flat files (NNNNNN.txt): thousands of directories are slow to
        # make and remove; examples whose file name matters get one each
        by_dir: dict[str, Example] = {}
        for k, ex in todo:
            d = f"{k:06d}"
            if ex.filename == "example.txt":
                d += ".txt"
                path = os.path.join(tmp, d)
            else:
                path = os.path.join(tmp, d, safe_name(ex.filename))
                os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(ex.text)
            by_dir[d] = ex
        cmd = [keyward, "scan", tmp, "--format", "jsonl", "--no-baseline",
               "--exit-zero", "--no-ignore"]
        if min_confidence:
            cmd += ["--min-confidence", min_confidence]
        proc = subprocess.run(cmd, capture_output=True, cwd=tmp)
        if proc.returncode not in (0, 1):
            sys.exit(f"recall: keyward failed ({proc.returncode}): "
                     f"{proc.stderr.decode(errors='replace').strip()}")
        categories: dict[int, list[str]] = defaultdict(list)
        for line in proc.stdout.decode("utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            f = json.loads(line)
            rel = os.path.relpath(os.path.join(tmp, f["path"]), tmp) if not os.path.isabs(
                f["path"]
            ) else os.path.relpath(f["path"], tmp)
            d = rel.split(os.sep)[0]
            ex = by_dir.get(d)
            if ex is None:
                continue
            if f["rule_id"] not in ex.found_by:
                ex.found_by.append(f["rule_id"])
            categories[id(ex)].append(f.get("category", ""))
        for ex in by_dir.values():
            cats = categories.get(id(ex), [])
            ex.generic_only = bool(cats) and all(c == "generic" for c in cats)
        tail = proc.stderr.decode(errors="replace").strip().splitlines()
        return tail[-1] if tail else ""
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# report


@dataclass
class Row:
    examples: int = 0
    found: int = 0
    generic: int = 0
    negatives: int = 0
    fp: int = 0
    excluded: int = 0
    excluded_found: int = 0
    unreadable: int = 0

    @property
    def misses(self) -> int:
        return self.examples - self.found

    def recall(self) -> str:
        return f"{100 * self.found / self.examples:5.1f}%" if self.examples else "    -"


def tally(examples: list[Example]) -> dict[str, Row]:
    rows: dict[str, Row] = defaultdict(Row)
    for ex in examples:
        r = rows[ex.provider]
        if ex.text is None:
            r.unreadable += 1
        elif not ex.positive and ex.excluded:
            r.excluded += 1
        elif not ex.positive:
            r.negatives += 1
            r.fp += bool(ex.found_by)
        elif ex.excluded:
            r.excluded += 1
            r.excluded_found += bool(ex.found_by)
        else:
            r.examples += 1
            r.found += bool(ex.found_by)
            r.generic += ex.generic_only
    return rows


def total(rows: dict[str, Row]) -> Row:
    t = Row()
    for r in rows.values():
        for f in (
            "examples", "found", "generic", "negatives", "fp", "excluded",
            "excluded_found", "unreadable",
        ):
            setattr(t, f, getattr(t, f) + getattr(r, f))
    return t


def print_table(title: str, rows: dict[str, Row]) -> None:
    print(f"## {title}\n")
    head_ = f"{'provider':<24} {'examples':>8} {'found':>6} {'recall':>7} {'generic':>7} " \
            f"{'negatives':>9} {'FP':>4} {'excluded':>8} {'unreadable':>10}"
    print(head_)
    print("-" * len(head_))
    order = sorted(rows.items(), key=lambda kv: (-kv[1].misses, kv[0]))
    for name, r in order + [("TOTAL", total(rows))]:
        if name == "TOTAL":
            print("-" * len(head_))
        print(f"{name[:24]:<24} {r.examples:>8} {r.found:>6} {r.recall():>7} {r.generic:>7} "
              f"{r.negatives:>9} {r.fp:>4} {r.excluded:>8} {r.unreadable:>10}")
    print()


def one_line(text: str, width: int = 160) -> str:
    s = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    return s if len(s) <= width else s[: width - 3] + "..."


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gitleaks", default=GITLEAKS_DEFAULT, help="gitleaks bare git dir")
    ap.add_argument("--kingfisher", default=KINGFISHER_DEFAULT, help="kingfisher bare git dir")
    ap.add_argument("--keyward", default=None,
                    help="keyward binary [default: $CARGO_TARGET_DIR/release/keyward, "
                         "else target/release/keyward, else keyward on PATH]")
    ap.add_argument("--min-confidence", choices=("low", "medium", "high"), default=None,
                    help="passed to keyward scan (default: keyward's own)")
    ap.add_argument("--misses", action="store_true", help="print each missed example")
    ap.add_argument("--fps", action="store_true", help="print each negative example found")
    ap.add_argument("--excluded", action="store_true", help="print each excluded example")
    ap.add_argument("--unreadable", action="store_true",
                    help="print each example not statically readable")
    ap.add_argument("--json", metavar="FILE", help="write machine-readable results")
    args = ap.parse_args()

    keyward = os.path.abspath(args.keyward) if args.keyward else None
    if keyward is None:
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        candidates = [
            os.path.join(os.environ.get("CARGO_TARGET_DIR", ""), "release", "keyward")
            if os.environ.get("CARGO_TARGET_DIR") else "",
            os.path.join(here, "target", "release", "keyward"),
        ]
        keyward = next((c for c in candidates if c and os.access(c, os.X_OK)), None) \
            or shutil.which("keyward")
        if keyward is None:
            print("recall: no keyward binary found; pass --keyward", file=sys.stderr)
            return 2

    sources = []
    examples: list[Example] = []
    try:
        if args.gitleaks:
            examples += gitleaks_examples(args.gitleaks)
            sources.append(("gitleaks", args.gitleaks, head(args.gitleaks)))
        if args.kingfisher:
            examples += kingfisher_examples(args.kingfisher)
            sources.append(("kingfisher", args.kingfisher, head(args.kingfisher)))
    except subprocess.CalledProcessError as e:
        print(f"recall: git {' '.join(e.cmd[1:])}: {e.stderr.decode(errors='replace').strip()}",
              file=sys.stderr)
        return 2

    positives = {(e.source, e.text): e.rule for e in examples if e.positive and e.text}
    for ex in examples:
        if ex.text is None:
            continue
        if ex.positive:
            reason = placeholder_reason(ex)
            if reason:
                ex.excluded, ex.reason = True, reason
        elif (ex.source, ex.text) in positives:
            other = positives[(ex.source, ex.text)]
            ex.excluded, ex.reason = True, f"also a positive example of {other}"

    summary = scan(examples, keyward, args.min_confidence)
    print(f"# keyward recall on published examples\n\nkeyward: {keyward}\n")
    for name, path, commit in sources:
        print(f"- {name}: {path} at {commit[:12]}")
    print(f"- scan: {summary}\n")

    per_source = {}
    for name, _path, _commit in sources:
        rows = tally([e for e in examples if e.source == name])
        per_source[name] = rows
        print_table(name, rows)

    # GenerateSampleSecrets writes one secret in ~26 syntaxes: rank gaps by
    # distinct secrets missed (a missed example's sample secret, or its text)
    both = tally(examples)
    missed_units: dict[str, set] = defaultdict(set)
    rules_missed: dict[str, set] = defaultdict(set)
    rules_all: dict[str, set] = defaultdict(set)
    for e in examples:
        if e.positive and e.text is not None and not e.excluded:
            rules_all[e.provider].add(e.rule)
            if not e.found_by:
                missed_units[e.provider].add(e.secret or e.text)
    for e in examples:
        if e.rule in rules_all[e.provider] and e.positive and e.text and not e.excluded:
            rules_missed[e.provider].add(e.rule)
    for e in examples:
        if e.positive and e.found_by and not e.excluded:
            rules_missed[e.provider].discard(e.rule)
    gaps = sorted(both.items(),
                  key=lambda kv: (-len(missed_units[kv[0]]), -kv[1].misses, kv[0]))
    print("## providers with most misses (both sources; ranked by distinct secrets missed)\n")
    for name, r in gaps[:30]:
        if r.misses == 0:
            break
        print(f"{name:<24} {len(missed_units[name]):>3} secrets, {r.misses:>4} of "
              f"{r.examples:<4} examples missed; rules with nothing found: "
              f"{len(rules_missed[name])}/{len(rules_all[name])}; "
              f"{r.generic} found only by generic rules")
    print()

    print("## totals\n")
    for name in per_source:
        t = total(per_source[name])
        print(f"{name:<11} recall {t.found}/{t.examples} = {t.recall().strip()} "
              f"({t.generic} only by generic rules); FP {t.fp}/{t.negatives} negatives; "
              f"{t.excluded} excluded as placeholders ({t.excluded_found} of them found); "
              f"{t.unreadable} not statically readable")
    print()

    def listing(title, pred, extra):
        sel = [e for e in examples if pred(e)]
        print(f"## {title} ({len(sel)})\n")
        for e in sorted(sel, key=lambda e: (e.source, e.rule)):
            print(f"{e.source:<10} {e.rule:<40} {extra(e)}")
        print()

    if args.misses:
        listing("missed examples",
                lambda e: e.positive and e.text is not None and not e.excluded and not e.found_by,
                lambda e: one_line(e.text))
    if args.fps:
        listing("negative examples found",
                lambda e: not e.positive and e.text is not None and e.found_by,
                lambda e: f"[{','.join(e.found_by)}] {one_line(e.text)}")
    if args.excluded:
        listing("excluded as placeholders", lambda e: e.excluded,
                lambda e: f"{'tp' if e.positive else 'fp'} {e.reason}: {one_line(e.text, 100)}")
    if args.unreadable:
        listing("not statically readable", lambda e: e.text is None,
                lambda e: f"{'tp' if e.positive else 'fp'}: {e.reason}")

    if args.json:
        doc = {
            "keyward": keyward,
            "sources": [{"name": n, "path": p, "commit": c} for n, p, c in sources],
            "totals": {n: total(rows).__dict__ for n, rows in per_source.items()},
            "providers": {n: {k: v.__dict__ for k, v in rows.items()}
                          for n, rows in per_source.items()},
            "examples": [
                {
                    "source": e.source,
                    "rule": e.rule,
                    "provider": e.provider,
                    "positive": e.positive,
                    "text": e.text,
                    "filename": e.filename,
                    "status": (
                        "unreadable" if e.text is None
                        else "excluded" if e.excluded
                        else "found" if e.found_by
                        else "missed"
                    ),
                    "reason": e.reason or None,
                    "found_by": e.found_by,
                    "generic_only": e.generic_only,
                }
                for e in examples
            ],
        }
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
