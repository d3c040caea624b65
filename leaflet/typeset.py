"""Model (print typography): where a printed line may break, marked in the HTML.

Line breaking is the engine's, but some text must never be broken the way ordinary
words are, and CSS alone cannot tell which:

* web and email addresses break only where a reader expects a break (after ``//``,
  before ``/ . @ -``), never with an added hyphen and never right after a hyphen of
  their own (``riverside-`` / ``health.example`` reads as ``riversidehealth``): in
  print, an invisible zero-width space marks each such point and a word joiner
  follows the address's own hyphens and slashes; an address is never hyphenated;
* phone numbers and numbers with their units are kept whole (a word joiner after each
  of their spaces), dates too (a ``nowrap`` span: a month's name is never hyphenated);
* the last two words of a title or heading are kept together (a ``nowrap`` span), so
  that a title of several lines never ends with one short word alone (a "runt").

The styles (``styles/base.css``) give the classes their meaning: ``.address`` and
``.nowrap``. The visible text never changes: the invisible marks are not in the text a
PDF reader extracts, and the web version (``marks=False``) gets none, so an address
copied from a page is the address. Marks rather than spans: every span is a box to lay
out, and a span per address part made a page ~20 % slower to lay out.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

# An email, a URL with a scheme or www., or a bare domain with an optional path
# (nhs.uk/conditions/motor-neurone-disease). Lower case domains only: "end.Start" is a
# typo, not an address. A final full stop or bracket belongs to the sentence.
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_URL = r"(?:https?://|www\.)[^\s<>\"]+"
_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?:/[^\s<>\"]*)?"
ADDRESS = re.compile(rf"(?<![\w@/.-])(?:{_EMAIL}|{_URL}|{_DOMAIN})")
_TRAILING = ".,;:!?)]}'\"»”’"

# Phone numbers: groups of digits separated by spaces or hyphens, an optional +country
# code and (0); seven to fifteen digits in all (checked in phone_spans).
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ \u00a0]?)?(?:\(0\)[ \u00a0]?)?"
                   r"\d{2,5}(?:[ \u00a0-]\d{2,5}){1,4}(?![\w])")
# A number and its unit, separated by a space: "10 mg", "180/120 mmHg", "37.5 °C",
# "12 noon", "2 hours" (English words for time and volume; symbols in every language).
UNIT = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?[ \u00a0](?:mg|g|kg|mcg|µg|μg|ml|mL|l|L|"
                  r"mmHg|mmol/[lL]|cm|mm|m|km|kcal|IU|units?|°C|°F|%|am|pm|a\.m\.|p\.m\.|"
                  r"noon|midnight|litres?|liters?|seconds?|minutes?|hours?|days?|weeks?|"
                  r"months?|years?)(?![\w])")

# A title's last two words are kept together only when they are short enough to sit on
# one line of the narrowest column (a tri-fold panel's heading) and the last is short.
RUNT_MAX_WORD = 7
GLUE_MAX = 20


def is_address(token: str) -> bool:
    """Whether a word (no spaces) is a web or email address."""
    token = token.strip(_TRAILING + "(")
    match = ADDRESS.match(token)
    return bool(match and match.end() == len(token) and ("@" in token or "/" in token
                                                        or "." in token))


def phone_spans(text: str) -> list[tuple[int, int]]:
    """Where the phone numbers are in ``text``: (start, end) pairs."""
    spans = []
    for match in PHONE.finditer(text):
        digits = sum(c.isdigit() for c in match.group())
        if 7 <= digits <= 15:
            spans.append(match.span())
    return spans


def unit_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in UNIT.finditer(text)]


# Invisible characters that steer the line breaker: a zero-width space where a line may
# break, a word joiner where it must not (after an address's own hyphens, slashes and
# other marks, after a space inside a phone number). Neither is drawn, neither is in the text a PDF
# reader extracts, and neither adds a box to lay out.
BREAK, JOIN = "\u200b", "\u2060"
INVISIBLE = BREAK + JOIN


def address_breaks(address: str) -> list[int]:
    """Where a line may break in an address: after ``//``, before ``/ . @ -``."""
    points = []
    for i in range(1, len(address)):
        char, before = address[i], address[i - 1]
        after_slashes = address[i - 2:i] == "//" and char != "/"
        # Not before a final "/" (it would sit alone), nor inside "//".
        before_mark = char in "/.@-" and before not in "/.@-" and i < len(address) - 1 \
            and not (char == "/" and address[i + 1:i + 2] == "/")
        if after_slashes or before_mark:
            points.append(i)
    return points


def address_parts(address: str) -> list[str]:
    """An address cut where a line may break:
    ``https://www.nhs.uk/a-b`` → ``https://``, ``www``, ``.nhs``, ``.uk``, ``/a``, ``-b``."""
    cuts = [0, *address_breaks(address), len(address)]
    return [address[a:b] for a, b in zip(cuts, cuts[1:])]


def address_html(address: str, marks: bool = True) -> str:
    """One address as HTML, never hyphenated (``.address``); with ``marks`` (print),
    breakable only at its conventional points."""
    if not marks:
        return f'<span class="address">{escape(address, quote=False)}</span>'
    points = set(address_breaks(address))
    out = []
    for i, char in enumerate(address):
        if i in points:
            out.append(BREAK)
        out.append(char)
        # Unicode allows a break after a hyphen, a slash, "?" and more, and after "." or
        # a break mark before a digit: join every mark to what follows, unless the line
        # may break there. (Letters and digits never break between each other.)
        if not char.isalnum() and i + 1 < len(address) and i + 1 not in points:
            out.append(JOIN)
    return f'<span class="address">{escape("".join(out), quote=False)}</span>'


def _spans(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) of the addresses, phones and units in text."""
    found: list[tuple[int, int, str]] = []
    for match in ADDRESS.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        if end > start and is_address(text[start:end]):
            found.append((start, end, "address"))
    for kind, spans in (("phone", phone_spans(text)), ("nowrap", unit_spans(text))):
        for start, end in spans:
            if not any(s < end and start < e for s, e, _ in found):
                found.append((start, end, kind))
    return sorted(found)


def keep_together(text: str, marks: bool = True) -> str:
    """Text no line may break inside (print): a word joiner after each space."""
    return re.sub(r" +", lambda m: m.group() + JOIN, text) if marks else text


def text_html(text: str, marks: bool = True) -> str:
    """Plain text → escaped HTML with its addresses, phone numbers and units marked
    (``marks``: with the marks that steer line breaks in print)."""
    out, at = [], 0
    for start, end, kind in _spans(text):
        out.append(escape(text[at:start], quote=False))
        piece = text[start:end]
        if kind == "address":
            out.append(address_html(piece, marks))
        else:  # a phone number, a number and its unit: whole on one line
            out.append(escape(keep_together(piece, marks), quote=False))
        at = end
    out.append(escape(text[at:], quote=False))
    return "".join(out)


def _glue_point(text: str) -> int | None:
    """Where the last two words of ``text`` start, if they should be kept together."""
    stripped = text.rstrip()
    last = stripped.rfind(" ")
    if last <= 0:
        return None
    before = stripped.rfind(" ", 0, last)
    start = before + 1
    word = stripped[last + 1:]
    if len(word) > RUNT_MAX_WORD or len(stripped) - start > GLUE_MAX or not stripped[start:last]:
        return None
    return start


def heading_html(text: str, marks: bool = True) -> str:
    """A title or heading as HTML: marked like ``text_html``, and in print its last two
    words kept on one line (no runt)."""
    start = _glue_point(text)
    if not marks or start is None or any(e > start for _, e, _ in _spans(text)):
        return text_html(text, marks)
    # A span, not word joiners: in Devanagari and other complex scripts the PDF's text
    # layer (engine.py) writes each run's characters again, joiners included.
    return text_html(text[:start], marks) + nowrap_html(text[start:])


def nowrap_html(text: str) -> str:
    """Text kept on one line and never hyphenated (a date: "2 de noviembre de 2026")."""
    return f'<span class="nowrap">{escape(text, quote=False)}</span>'


_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_VERBATIM = {"pre", "script", "style"}


class _Typesetter(HTMLParser):
    """Re-writes HTML as it was, with the text marked (``text_html``) and each heading's
    last two words kept together."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.verbatim = 0
        # Inside a heading: its pieces, so the last text piece can be glued on </hN>.
        self.heading: list[list] | None = None

    def emit(self, piece: str, text: str | None = None) -> None:
        if self.heading is not None:
            self.heading.append([piece, text])
        else:
            self.out.append(piece)

    def handle_starttag(self, tag, attrs):
        if tag in _HEADINGS and self.heading is None:
            self.out.append(self.get_starttag_text())
            self.heading = []
            return
        if tag in _VERBATIM:
            self.verbatim += 1
        self.emit(self.get_starttag_text())

    def handle_startendtag(self, tag, attrs):
        self.emit(self.get_starttag_text())

    def handle_endtag(self, tag):
        if tag in _VERBATIM and self.verbatim:
            self.verbatim -= 1
        if tag in _HEADINGS and self.heading is not None:
            pieces, self.heading = self.heading, None
            texts = [i for i, (_, text) in enumerate(pieces) if text and text.strip()]
            # The last words are glued when nothing but end tags follows them.
            if texts and all(p.startswith("</") for p, _ in pieces[texts[-1] + 1:]):
                pieces[texts[-1]][0] = heading_html(pieces[texts[-1]][1])
            self.out.extend(p for p, _ in pieces)
            self.out.append(f"</{tag}>")
            return
        self.emit(f"</{tag}>")

    def handle_data(self, data):
        if self.verbatim:
            self.emit(escape(data, quote=False))
        else:
            self.emit(text_html(data), data)

    def handle_entityref(self, name):  # only without convert_charrefs
        self.emit(f"&{name};")

    def handle_charref(self, name):
        self.emit(f"&#{name};")

    def handle_comment(self, data):
        self.emit(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.emit(f"<!{decl}>")


def typeset_html(html: str) -> str:
    """Sanitized body HTML → the same HTML with addresses, phone numbers and units marked
    and every heading's last two words kept together."""
    parser = _Typesetter()
    parser.feed(html)
    parser.close()
    if parser.heading is not None:  # an unclosed heading: keep its text as it was
        parser.out.extend(p[0] for p in parser.heading)
    return "".join(parser.out)
