"""Read and validate gettext ``.po`` catalogs: strict syntax, placeholders, plural forms.

Model level: the renderer reads catalogs through this (``i18n.load_catalog``) and the
translator tooling (``catalogs.py``) checks them with it; a broken catalog is a
``LeafletError`` naming the file and line.
"""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

from .errors import LeafletError

DOMAIN = "leaflet"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr\[(\d+)\]|msgstr)(?=[\s"])\s*(.*)$')
_QUOTED = re.compile(r'^"(?:[^"\\]|\\.)*"$')
_ESCAPE = re.compile(r'\\(.)')
_VALID_ESCAPES = set('ntr"\\')


def _syntax_problems(lines: list[str]) -> list[tuple[int, str]]:
    """Strict line-by-line PO syntax (Babel's reader skips what it cannot parse)."""
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str | None, str], int] = {}
    state = ""  # the last keyword seen in the current entry
    entry: dict = {}

    def finish():
        if "msgid" in entry and "msgstr" not in entry:
            problems.append((entry["msgid_line"], "msgid has no msgstr line"))
        if "msgid" in entry:
            key = (entry.get("msgctxt"), entry["msgid"])
            if key in seen:
                problems.append((entry["msgid_line"],
                                 f"msgid {entry['msgid']!r} is already defined on line "
                                 f"{seen[key]}"))
            else:
                seen[key] = entry["msgid_line"]

    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            continue  # comments, flags, references; obsolete (#~) entries are not read
        match = _KEYWORD.match(line)
        if match:
            keyword, rest = match.group(1), match.group(3)
            base = "msgstr" if keyword.startswith("msgstr") else keyword
            if base in ("msgctxt", "msgid") and state.startswith("msgstr"):
                finish()
                entry = {}
            if base == "msgid" and "msgid" in entry:
                problems.append((number, "second msgid before a msgstr"))
            if base == "msgstr" and "msgid" not in entry:
                problems.append((number, "msgstr without a msgid before it"))
            if keyword == "msgid_plural" and "msgid" not in entry:
                problems.append((number, "msgid_plural without a msgid before it"))
            problem = _string_problem(rest)
            if problem:
                problems.append((number, problem))
            elif base in ("msgctxt", "msgid"):
                entry[base] = _unquote(rest)
                if base == "msgid":
                    entry["msgid_line"] = number
            else:
                entry.setdefault("msgstr", True)
            state = keyword
            continue
        if line.startswith('"'):
            problem = _string_problem(line)
            if problem:
                problems.append((number, problem))
            elif not state:
                problems.append((number, "text in quotes outside any entry"))
            elif state in ("msgctxt", "msgid"):
                entry[state] = entry.get(state, "") + _unquote(line)
            continue
        word = line.split()[0]
        problems.append((number, f"unknown keyword {word[:30]!r} (a line must be a comment, "
                                 "msgid/msgstr or a \"quoted\" continuation)"))
    finish()
    return problems


def _string_problem(text: str) -> str:
    if not text.startswith('"'):
        return "the text must be in double quotes"
    if not _QUOTED.match(text):
        return "the quoted text is not closed (a \" inside the text must be written \\\")"
    for escape in _ESCAPE.findall(text[1:-1]):
        if escape not in _VALID_ESCAPES:
            return f"unknown escape \\{escape} (use \\n, \\t, \\\" or \\\\)"
    return ""


def _unquote(text: str) -> str:
    return _ESCAPE.sub(lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)),
                       text[1:-1])


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class _Recorder(dict):
    def __missing__(self, key):
        self.setdefault("\0unknown", []).append(key)
        return ""


def placeholder_problem(msgid: str, translated: str, plural_form: bool = False) -> str:
    """Why a translation would break Jinja's ``%`` formatting or lose a value, or ''."""
    wanted = _PLACEHOLDER.findall(msgid)
    values = _Recorder({name: "" for name in wanted})
    try:
        translated % values
    except (ValueError, TypeError):
        return ("has a % that is not a placeholder (write %% for a percent sign, and "
                "placeholders exactly as %(name)s)")
    unknown = values.get("\0unknown", [])
    if unknown:
        return (f"uses %({unknown[0]})s, which the template does not supply "
                f"(it supplies: {', '.join(f'%({n})s' for n in wanted) or 'nothing'})")
    missing = [n for n in wanted if f"%({n})s" not in translated]
    if missing and not plural_form:
        return f"leaves out %({missing[0]})s (keep every placeholder of the English text)"
    return ""


def read_po_file(path: Path, lang: str | None = None):
    """Read and check a ``.po`` file: a Babel catalog, or ``LeafletError`` at file:line."""
    from babel.messages.pofile import PoFileError, read_po  # lazy: ~60 ms, English needs none

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LeafletError(f"catalog cannot be read: {exc.strerror or exc}", path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LeafletError("catalog is not UTF-8 text (save it as UTF-8)", path, line) \
            from None
    problems = _syntax_problems(text.split("\n"))
    if problems:
        line, message = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise LeafletError(f"broken catalog: {message}{more}", path, line)
    try:
        catalog = read_po(io.BytesIO(text.encode("utf-8")), locale=None, domain=DOMAIN,
                          abort_invalid=True)
    except PoFileError as exc:
        raise LeafletError(f"broken catalog: {exc}", path, exc.lineno + 1) from None
    except ValueError as exc:  # e.g. a Plural-Forms header Babel cannot parse
        raise LeafletError(f"broken catalog header: {exc}", path, _header_line(text)) \
            from None
    try:
        gettext.c2py(catalog.plural_expr)
    except (ValueError, SyntaxError, RecursionError):
        raise LeafletError(f"broken Plural-Forms header: {catalog.plural_expr!r}", path,
                           _header_line(text, "Plural-Forms")) from None
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        strings = message.string if isinstance(message.string, (tuple, list)) \
            else (message.string,)
        plural = len(ids) > 1
        for index, translated in enumerate(strings):
            if not translated:
                continue
            source = ids[min(index, len(ids) - 1)] if plural else ids[0]
            problem = placeholder_problem(source, translated, plural_form=plural)
            if problem:
                raise LeafletError(f"the translation of {ids[0]!r} {problem}", path,
                                   message.lineno)
    return catalog


def _header_line(text: str, name: str = "") -> int | None:
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith(f'"{name}') and (name or line.startswith('"')):
            return number
    return None


