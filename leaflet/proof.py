"""Stage 3 (proof): read the laid-out pages as a print designer would, before the PDF is
written, and report each typographic fault with its page and the words involved.

The proof walks WeasyPrint's page boxes once per document (``document.pages[i]._page_box``:
line boxes, text boxes, tables, images) and compares every line break with the text it
came from (the element's own text), so it knows whether a line ended at a space, with a
hyphen the layout added, or inside a word. It does not depend on the markup typeset.py
adds: switch a rule off and the proof still sees what it let through. What it checks is
``CHECKS``; the README lists the same table.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .fetch import Fetched, PrintedImages
from .typeset import BREAK, INVISIBLE, RUNT_MAX_WORD, is_address, phone_spans, unit_spans

CHECKS: dict[str, str] = {
    "short-line": "a line in the middle of a paragraph filled to less than a quarter of its "
                  "width (the lone \"A\")",
    "address-break": "a web or email address hyphenated at a line end, broken right after a "
                     "hyphen of its own, or broken anywhere but after // or before / . @ -",
    "link-break": "a link hyphenated at a line end",
    "heading-break": "a heading, title or table header cell hyphenated at a line end",
    "split-word": "a word broken across lines without a hyphen",
    "unbreakable": "a line break inside a phone number, a date or a number and its unit",
    "runt": "a title or heading of several lines that ends with one short word alone",
    "stranded": "a heading, a list's lead-in line or a definition term that is the last "
                "thing on its page or panel, or has only one line (one item) of what it "
                "introduces there, the rest overleaf",
    "table-widow": "a table split across pages that leaves one body row (or only its "
                   "header) alone",
    "image-dpi": "an image printed below 150 dpi",
    "outside": "content outside the text area: into the margin, across a fold, off the page",
}

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
LISTS = frozenset({"ul", "ol"})
HYPHENS = ("-", "\u2010")  # hyphenate-character (render.py), and WeasyPrint's default
SHORT_LINE = 0.25  # of the line's width
TOLERANCE = 1.0  # CSS px (0.26 mm) a glyph may overhang before it counts as outside
MM_PER_PX = 25.4 / 96
_SPACES = re.compile(r"[ \t\n\r\f]+")
# Removed before text is compared: soft hyphens and typeset.py's invisible break marks.
_UNSEEN = str.maketrans("", "", "\u00ad" + INVISIBLE)


@dataclass(frozen=True)
class Finding:
    check: str  # a key of CHECKS
    page: int  # index of the rendered page (0-based)
    text: str  # the words involved
    message: str  # what is wrong, for people

    def line(self, where: str) -> str:
        """``proof: trifold panel 2 (inside panel 1): heading "…" is …``."""
        return f"proof: {where}: {self.message}"

    def record(self, where: str) -> dict:
        """For manifest.json: what, where (page number and its name) and the words."""
        return {"check": self.check, "page": self.page + 1, "where": where,
                "text": self.text, "message": self.message}


def proof(document, *, unit: str = "page", keep_whole: tuple[str, ...] = (),
          fetched: Fetched | None = None, project: Path | None = None) -> list[Finding]:
    """Every typographic fault of a laid-out WeasyPrint document, in page order.

    ``unit`` is what a page is called ("panel"); ``keep_whole`` are texts no line may
    break inside (the leaflet's dates as printed, the clinic's phone number: phone
    numbers and numbers with units are found in the text too); ``fetched`` is what the
    renderer read, for the resolution of raster images (``project``: the folder the
    renderer's project URLs name, to name those images).
    """
    walk = _Walk(unit, keep_whole, PrintedImages(fetched, project)
                 if fetched and fetched.images else None)
    for index, page in enumerate(document.pages):
        walk.page(index, page._page_box)  # noqa: SLF001 - the laid-out boxes live only here
    return walk.finish()


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f'"{text if len(text) <= limit else text[:limit - 1] + "…"}"'


def _word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LMN"


def _breaks_between_letters(char: str) -> bool:
    """Scripts written without spaces break between letters by their own rules."""
    code = ord(char)
    return unicodedata.east_asian_width(char) in "WF" or 0x0E00 <= code <= 0x0EFF \
        or 0x1000 <= code <= 0x109F or 0x1780 <= code <= 0x17FF


@dataclass
class _Line:
    text: str  # the characters of the line's own text boxes, in logical order
    start_object: bool  # begins with an image or an inline block
    end_object: bool
    forced: bool  # ends with <br>
    wbr: bool  # ends at a <wbr>
    link_start: object  # the <a> element its first text is in, if any
    link_end: object


class _Paragraph:
    """One element's text, and where the lines laid out so far have reached in it."""

    def __init__(self, element):
        text = _SPACES.sub(" ", "".join(element.itertext())).translate(_UNSEEN)
        self.text = text
        lowered = text.lower()
        # Compared without case: text-transform changes the laid-out text only.
        self.match = lowered if len(lowered) == len(text) else text
        self.pos = 0
        self.previous: tuple[int, bool, _Line] | None = None  # (end, hyphen added, line)
        self._keep: list[tuple[int, int, str]] | None = None

    def locate(self, line: str) -> tuple[int, int, bool] | None:
        """Where ``line`` is in the text from ``pos`` on: (start, end, hyphen added)."""
        if not line:
            return None
        lowered = line.lower()
        if len(lowered) != len(line):
            return None
        start = self.pos
        while start < len(self.match) and self.match[start] == " ":
            start += 1
        trimmed = lowered[:-1] if lowered.endswith(HYPHENS) else None
        for candidate, added in ((lowered, False), (trimmed, True)):
            if candidate and self.match.startswith(candidate, start):
                return start, start + len(candidate), added
        for candidate, added in ((lowered, False), (trimmed, True)):
            found = self.match.find(candidate, self.pos) if candidate else -1
            if found >= 0:
                return found, found + len(candidate), added
        return None

    def unbreakable(self, keep_whole: tuple[str, ...]) -> list[tuple[int, int, str]]:
        """(start, end, what) of the phone numbers, dates and measurements in the text."""
        if self._keep is None:
            spans = [(a, b, "phone number") for a, b in phone_spans(self.text)]
            spans += [(a, b, "number and its unit") for a, b in unit_spans(self.text)]
            for whole in keep_whole:
                at = self.text.find(whole)
                while at >= 0:
                    spans.append((at, at + len(whole), "date" if any(
                        c.isdigit() for c in whole) else "text"))
                    at = self.text.find(whole, at + 1)
            self._keep = spans
        return self._keep


class _Walk:
    def __init__(self, unit: str, keep_whole: tuple[str, ...], images: PrintedImages | None):
        # Lazy: the renderer has imported WeasyPrint (0.35 s) by the time a proof runs.
        from weasyprint.formatting_structure import boxes

        self.boxes = boxes
        self.unit = unit
        self.keep_whole = tuple(_SPACES.sub(" ", k) for k in keep_whole if k and " " in k)
        self.images = images
        self.findings: list[Finding] = []
        self.paragraphs: dict[tuple, _Paragraph] = {}
        # id(table element) → [(page index, body rows, the rows' text)] per page it is on.
        self.tables: dict[int, list[tuple[int, int, list[str]]]] = {}
        self.index = 0
        # The ancestors (tag, element) of the things laid out on the current page: the
        # first, and the last two; and those of every page, for what follows overleaf.
        self.leaves: list[tuple] = []
        self.pages: list[tuple[tuple | None, list[tuple]]] = []
        self.area = (0.0, 0.0, 0.0, 0.0)
        self.edges = (0.0, 0.0, 0.0, 0.0)

    def found(self, check: str, text: str, message: str, page: int | None = None) -> None:
        finding = Finding(check, self.index if page is None else page, text, message)
        if finding not in self.findings:
            self.findings.append(finding)

    # ---------------------------------------------------------------- the walk

    def page(self, index: int, page_box) -> None:
        self.index = index
        self.leaves = []
        x, y = page_box.content_box_x(), page_box.content_box_y()
        self.area = (x, y, x + page_box.width, y + page_box.height)
        self.edges = (page_box.position_x, page_box.position_y,
                      page_box.position_x + page_box.margin_width(),
                      page_box.position_y + page_box.margin_height())
        for child in page_box.children:
            margin = isinstance(child, self.boxes.MarginBox)
            self.walk(child, (), margin, page_box.width)
        self.pages.append((self.leaves[0] if self.leaves else None, self.leaves[-2:]))

    def walk(self, box, ancestors: tuple, margin: bool, column: float) -> None:
        box = getattr(box, "_box", box)  # an absolutely positioned box's placeholder
        boxes = self.boxes
        tag = box.element_tag or ""
        if "::marker" in tag:
            return  # list bullets and numbers
        style = box.style
        if style["position"] in ("absolute", "fixed"):
            margin = True  # out of the flow: not "the last thing" on a page
        if box.element is not None and "::" not in tag and (
                not ancestors or ancestors[-1][1] is not box.element):
            ancestors = (*ancestors, (tag, box.element))
        if isinstance(box, boxes.BlockContainerBox) and box.width:
            column = box.width
        if style["overflow"] != "visible" and not isinstance(
                box, (boxes.MarginBox, boxes.ReplacedBox)):
            return  # clipped (the screen readers' draft notice): never printed outside
        if isinstance(box, boxes.ReplacedBox):
            if self.images is not None:
                self.images.see(box, column, self.index)
            if not margin:
                self.leaf(ancestors)
                self.outside(box, box.position_x, box.position_x + box.margin_width(),
                             box.position_y + box.margin_height(), "an image")
            return
        if isinstance(box, boxes.TableBox) and not margin:
            self.table(box)
        children = getattr(box, "children", ())
        lines = [c for c in children if isinstance(c, boxes.LineBox)]
        if lines:
            self.paragraph(box, lines, ancestors, margin)
        for child in children:
            if isinstance(child, boxes.LineBox):
                for item in child.descendants():
                    if isinstance(item, (boxes.InlineBlockBox, boxes.InlineReplacedBox)):
                        self.walk(item, ancestors, margin, column)
            else:
                self.walk(child, ancestors, margin, column)
        if not children and not margin and isinstance(box, boxes.BlockBox) and box.height:
            self.leaf(ancestors)  # an empty block with a height: a ruled line for notes

    # ---------------------------------------------------------------- lines

    def line(self, line_box) -> _Line:
        boxes = self.boxes
        texts: list[str] = []
        kinds: list[str] = []  # text, object, wbr, br, other (generated text)
        links: list[object] = []

        def visit(box, link) -> None:
            for child in box.children:
                child = getattr(child, "_box", child)
                tag = child.element_tag or ""
                if isinstance(child, boxes.TextBox):
                    if "::" in tag:
                        kinds.append("wbr" if tag.startswith("wbr::") else "other")
                        links.append(link)
                    elif child.text:
                        texts.append(child.text)
                        kinds.append("text")
                        links.append(link)
                elif isinstance(child, boxes.InlineBox):
                    if tag == "br":
                        kinds.append("br")
                        links.append(link)
                    else:
                        visit(child, child.element if tag == "a" else link)
                elif isinstance(child, boxes.Box):
                    kinds.append("object")
                    links.append(link)

        visit(line_box, None)
        joined = "".join(texts)
        if joined.rstrip().endswith(BREAK) and kinds and kinds[-1] == "text":
            kinds[-1] = "wbr"  # a line that ends at a break mark (typeset.py)
        meaningful = [i for i, k in enumerate(kinds) if k != "other"]
        first = meaningful[0] if meaningful else None
        last = meaningful[-1] if meaningful else None
        text_at = [i for i, k in enumerate(kinds) if k == "text"]
        return _Line(
            text=joined.translate(_UNSEEN),
            start_object=first is not None and kinds[first] == "object",
            end_object=last is not None and kinds[last] == "object",
            forced=last is not None and kinds[last] == "br",
            wbr=last is not None and kinds[last] == "wbr",
            link_start=links[text_at[0]] if text_at else None,
            link_end=links[text_at[-1]] if text_at else None)

    def paragraph(self, container, line_boxes: list, ancestors: tuple, margin: bool) -> None:
        element = container.element
        if element is None or "::" in (container.element_tag or ""):
            return
        tags = {tag for tag, _ in ancestors}
        heading = bool(tags & HEADINGS)
        header_cell = "th" in tags
        cell = header_cell or "td" in tags
        key = (id(element), self.index if margin else None)
        paragraph = self.paragraphs.get(key)
        if paragraph is None:
            paragraph = self.paragraphs[key] = _Paragraph(element)
        lines = [self.line(box) for box in line_boxes]
        for i, (box, line) in enumerate(zip(line_boxes, lines)):
            placed = paragraph.locate(line.text)
            if placed is not None:
                start, end, added = placed
                if paragraph.previous is not None:
                    self.judge(paragraph, paragraph.previous, start, line, heading,
                               header_cell, ancestors)
                paragraph.pos = end
                paragraph.previous = (end, added, line)
            else:
                paragraph.previous = None  # lost track: judge no break we cannot place
            if margin:
                continue
            if line.text or line.end_object:
                self.leaf(ancestors)
            self.outside_line(box, line)
            following = lines[i + 1] if i + 1 < len(lines) else None
            # Not in table cells: a narrow column may hold one short word a line.
            if (following is not None and line.text and not line.forced and not cell
                    and not line.end_object and not following.start_object
                    and box.width < SHORT_LINE * container.width):
                self.found("short-line", line.text,
                           f"a line in the middle of a paragraph holds only "
                           f"{_quote(line.text)}: {_quote(_SPACES.sub(' ', paragraph.text))}")
        if heading and not margin and len(lines) >= 2:
            last = lines[-1].text.strip()
            word = last.strip(".,:;!?¿¡")
            if word and " " not in last and "\u00a0" not in last and len(word) <= RUNT_MAX_WORD:
                whole = " ".join(line.text for line in lines)
                self.found("runt", whole, f"the heading {_quote(whole)} ends with "
                                          f"{_quote(last)} alone on its last line")

    def judge(self, paragraph: _Paragraph, previous: tuple, start: int, line: _Line,
              heading: bool, header_cell: bool, ancestors: tuple) -> None:
        """The line break between the previous line (ending at ``previous[0]``) and
        ``line`` (starting at ``start``)."""
        end, added, before = previous
        text = paragraph.text
        if before.forced or before.end_object or line.start_object or start < end:
            return
        gap = text[end:start]
        if gap.strip():
            return  # other text in between (a nested block): not one break
        if gap:  # at a space: fine, unless inside something that must stay whole
            for a, b, what in paragraph.unbreakable(self.keep_whole):
                if a < end and start < b:
                    self.found("unbreakable", text[a:b],
                               f"a line breaks inside the {what} {_quote(text[a:b])} "
                               f"({_quote(text[a:end])} / {_quote(text[start:b])})")
            return
        left_at = max(text.rfind(" ", 0, end), text.rfind("\u00a0", 0, end)) + 1
        right_at = min((i for i in (text.find(" ", end), text.find("\u00a0", end)) if i >= 0),
                       default=len(text))
        token, left, right = text[left_at:right_at], text[left_at:end], text[end:right_at]
        shown = f"({_quote(left + ('-' if added else ''))} / {_quote(right)})"
        if is_address(token):
            address = token.strip(".,;:!?)]}'\"»”’(")
            if added:
                self.found("address-break", address, f"the address {_quote(address)} is "
                           f"hyphenated at a line end {shown}: a reader would type the hyphen")
            elif text[end - 1] == "-":
                self.found("address-break", address, f"the address {_quote(address)} breaks "
                           f"after its own hyphen {shown}: the hyphen looks like hyphenation")
            elif not (text[end] in "/.@-" or text[end - 2:end] == "//"):
                self.found("address-break", address, f"the address {_quote(address)} breaks "
                           f"at an unexpected point {shown}: only after // or before / . @ -")
            return
        if added:
            if before.link_end is not None and before.link_end is line.link_start:
                link = _SPACES.sub(" ", "".join(before.link_end.itertext())).strip()
                self.found("link-break", link,
                           f"the link {_quote(link)} is hyphenated at a line end {shown}")
            elif heading or header_cell:
                what = "table header cell" if header_cell and not heading else "heading"
                self.found("heading-break", token, f"the {what} {_quote(text)} is hyphenated "
                                                   f"at a line end {shown}")
            return
        if before.wbr:
            return  # a break the author (or typeset.py) allowed
        if _word_char(text[end - 1]) and _word_char(text[end]) and not (
                _breaks_between_letters(text[end - 1]) or _breaks_between_letters(text[end])):
            self.found("split-word", token,
                       f"{_quote(token)} is split without a hyphen {shown}")

    # ---------------------------------------------------------------- outside

    def outside_line(self, box, line: _Line) -> None:
        children = [getattr(c, "_box", c) for c in box.children]
        if not children:
            return
        left = min(c.position_x for c in children)
        right = max(c.position_x + c.margin_width() for c in children)
        self.outside(box, left, right, box.position_y + box.margin_height(),
                     _quote(line.text) if line.text else "a line")

    def outside(self, box, left: float, right: float, bottom: float, what: str) -> None:
        x0, y0, x1, y1 = self.area
        over = max(x0 - left, right - x1, bottom - y1)
        if over <= TOLERANCE:
            return
        ex0, _, ex1, ey1 = self.edges
        off = max(ex0 - left, right - ex1, bottom - ey1)
        where = (f"{off * MM_PER_PX:.1f} mm off the {self.unit}" if off > 0 else
                 f"{over * MM_PER_PX:.1f} mm past the text area into the margin"
                 + (" (closer than 5 mm to a fold or edge)" if self.unit == "panel" else ""))
        self.found("outside", what.strip('"'), f"{what} runs {where}")

    # ---------------------------------------------------------------- structure

    def table(self, table) -> None:
        boxes = self.boxes
        rows = [row for group in table.children if isinstance(group, boxes.TableRowGroupBox)
                and not group.is_header and not group.is_footer for row in group.children]
        texts = [" ".join(_SPACES.sub(" ", "".join(cell.element.itertext())).strip()
                          for cell in row.children if cell.element is not None)
                 for row in rows]
        self.tables.setdefault(id(table.element), []).append((self.index, len(rows), texts))

    def leaf(self, ancestors: tuple) -> None:
        """Something laid out in the flow: a line, an image, a ruled line."""
        if len(self.leaves) < 3:
            self.leaves.append(ancestors)
        else:
            self.leaves[1:] = [self.leaves[2], ancestors]  # the first, and the last two

    @staticmethod
    def introduces(ancestors: tuple) -> tuple[str, object] | None:
        """``(what, element)`` if this is in a heading, a definition term or a list's
        lead-in: text that belongs with what follows it."""
        for depth in range(len(ancestors) - 1, -1, -1):
            tag, element = ancestors[depth]
            if tag in HEADINGS:
                return "heading", element
            if tag == "dt":
                return "definition term", element
            if tag == "p" and depth > 0:
                siblings = list(ancestors[depth - 1][1])
                at = next((i for i, s in enumerate(siblings) if s is element), -1)
                if 0 <= at < len(siblings) - 1 and siblings[at + 1].tag in LISTS:
                    return "list's lead-in", element
        return None

    def stranded(self) -> None:
        """A heading, lead-in or term that ends its page, or that has only one line (one
        list item) of what it introduces with it, the rest overleaf."""
        for page, (_, last) in enumerate(self.pages):
            following = self.pages[page + 1][0] if page + 1 < len(self.pages) else None
            intro = self.introduces(last[-1]) if last else None
            if intro is not None:
                what, element = intro
                text = _SPACES.sub(" ", "".join(element.itertext())).strip()
                self.found("stranded", text, f"the {what} {_quote(text)} is the last thing "
                                             f"on its {self.unit}: it belongs with what "
                                             "follows", page)
                continue
            intro = self.introduces(last[0]) if len(last) == 2 else None
            if intro is None or following is None or self.introduces(last[1]) is not None:
                continue
            what, element = intro
            # The one line after it: a paragraph, or one item of a list, that goes on
            # overleaf.
            tag, block = last[1][-1]
            after = {id(e) for _, e in following}
            parent = last[1][-2][1] if len(last[1]) > 1 else None
            if id(block) in after or (tag == "li" and parent is not None
                                      and id(parent) in after):
                text = _SPACES.sub(" ", "".join(element.itertext())).strip()
                self.found("stranded", text,
                           f"the {what} {_quote(text)} has only one line of what follows on "
                           f"its {self.unit}: the rest is overleaf", page)

    def finish(self) -> list[Finding]:
        self.stranded()
        for parts in self.tables.values():
            if len(parts) < 2:
                continue
            total = sum(rows for _, rows, _ in parts)
            for page, rows, texts in parts:
                if rows <= 1 and total > 1:
                    alone = texts[0] if texts else "its header row"
                    self.found("table-widow", alone,
                               f"a table is split leaving {_quote(alone)} alone on this "
                               f"{self.unit}" if rows else
                               f"a table is split leaving only its header row on this "
                               f"{self.unit}", page)
        if self.images is not None:
            for page, message in self.images.low():
                self.found("image-dpi", message.split(" (")[0], message, page)
        return sorted(self.findings, key=lambda f: f.page)
