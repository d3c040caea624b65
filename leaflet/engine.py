"""Stage 3 (engine fixes): WeasyPrint 70.0 defects fixed at run time, once per process."""

# Each fix has an upstream diff and a note of cause and effect in patches/weasyprint-70.0/
# (README.md there): drop a fix the day WeasyPrint ships it.
#
# The fixes replace or wrap named WeasyPrint functions, and were written against the exact
# source of WeasyPrint 70.0. `apply()` refuses another version, and a 70.0 whose functions
# differ from the ones the fixes were written for (a distribution's own patch): a fix on
# code it was not written for could write wrong PDFs without a word. With
# LEAFLET_ENGINE_FIXES_OFF=all, leaflet builds without the fixes, and says so.

from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import logging
import os
import unicodedata
from io import BytesIO
from xml.etree import ElementTree
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .errors import LeafletError

WEASYPRINT_VERSION = "70.0"
ENV_OFF = "LEAFLET_ENGINE_FIXES_OFF"  # comma-separated fix names, or "all"
LOG = logging.getLogger("leaflet.engine")


@dataclass(frozen=True)
class Fix:
    name: str
    summary: str
    patch: str  # the upstream diff, in patches/weasyprint-70.0/


FIXES: tuple[Fix, ...] = (
    Fix("text-layer", "each glyph run maps back to the exact characters it shows",
        "01-text-layer.diff"),
    Fix("line-break", "a text run that ends in a space before an inline element keeps its "
        "first line full", "02-line-break.diff"),
    Fix("tags", "pagination artifacts, /Lang, /Scope, decorative images as artifacts, "
        "<dl> as label + value", "03-tags.diff"),
)
NAMES = tuple(fix.name for fix in FIXES)

# Whether each fix is on. The hooks read it at call time, so a test can prove that a fix
# matters by switching it off in the same process (`switched_off`).
_ON: dict[str, bool] = {name: False for name in NAMES}
_installed = False
_warned = False


class EngineMismatch(LeafletError):
    """The installed WeasyPrint is not the one the engine fixes were written for."""


def requested_off(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """The fixes that ``LEAFLET_ENGINE_FIXES_OFF`` switches off."""
    value = (os.environ if environ is None else environ).get(ENV_OFF, "")
    names = {part.strip() for part in value.split(",") if part.strip()}
    if "all" in names:
        return frozenset(NAMES)
    unknown = names - set(NAMES)
    if unknown:
        raise LeafletError(f"{ENV_OFF}: unknown engine fix {sorted(unknown)[0]!r} "
                           f"(known: {', '.join(NAMES)}, or all)")
    return frozenset(names)


def identity(environ: Mapping[str, str] | None = None) -> str:
    """Which fixes shape the output bytes, for the build cache key (no WeasyPrint import)."""
    off = requested_off(environ)
    on = ",".join(name for name in NAMES if name not in off) or "none"
    return f"engine-fixes:weasyprint-{WEASYPRINT_VERSION}:{on}"


def apply() -> tuple[str, ...]:
    """Install the fixes (once per process) and return the names of those that are on.

    Raises ``EngineMismatch`` on a WeasyPrint the fixes were not written for, unless
    ``LEAFLET_ENGINE_FIXES_OFF=all``; then it warns once and installs nothing.
    """
    global _installed, _warned
    if _installed or _warned:
        return active()  # once per process: the environment is read at the first render
    off = requested_off()
    if len(off) < len(NAMES):
        import weasyprint

        if weasyprint.__version__ != WEASYPRINT_VERSION:
            raise EngineMismatch(
                f"WeasyPrint {weasyprint.__version__} is installed, but leaflet's engine "
                f"fixes are written for WeasyPrint {WEASYPRINT_VERSION}: install "
                f"weasyprint=={WEASYPRINT_VERSION} (pip install -e . does), or set "
                f"{ENV_OFF}=all to build without them (then Arabic and Hindi PDFs carry "
                "wrong text, some lines hold a single word, tagged PDFs are incomplete)")
        changed = changed_sources()
        if changed:
            raise EngineMismatch(
                f"WeasyPrint {weasyprint.__version__} is installed, but its "
                f"weasyprint.{changed[0].replace(':', '.')} "
                "is not the code leaflet's engine fixes were written for (a patched "
                f"build?): install weasyprint=={WEASYPRINT_VERSION} from PyPI, or set "
                f"{ENV_OFF}=all to build without the fixes")
        _install()
        _installed = True
        _ON.update({name: name not in off for name in NAMES})
    else:
        _warned = True
        LOG.warning("WeasyPrint engine fixes are off (%s=all): Arabic and Hindi PDFs carry "
                    "wrong text, some lines hold a single word, tagged PDFs are incomplete",
                    ENV_OFF)
    return active()


def off_message(on: tuple[str, ...]) -> str:
    """What the build reports for each output made without some of the fixes."""
    off = [name for name in NAMES if name not in on]
    return (f"built without the WeasyPrint engine fixes {', '.join(off)} ({ENV_OFF}): "
            "its text layer, line breaks or tags may be wrong")


def active() -> tuple[str, ...]:
    """The names of the fixes that are on in this process."""
    return tuple(name for name in NAMES if _ON[name])


@contextlib.contextmanager
def switched_off(*names: str) -> Iterator[None]:
    """For tests: render with some fixes off, in this process, then switch them back."""
    unknown = set(names) - set(NAMES)
    if unknown:
        raise ValueError(f"unknown engine fix {sorted(unknown)[0]!r}")
    apply()
    saved = dict(_ON)
    _ON.update({name: False for name in names})
    try:
        yield
    finally:
        _ON.update(saved)


# ------------------------------------------------------------------ the guard

# sha256 of the source of each WeasyPrint 70.0 function that the fixes replace (with a
# copy that carries the fix) or wrap (relying on what it does). Any other source means
# the fixes are not known to be right there.
FINGERPRINTS = {
    "draw.text:draw_first_line":
        "1bb8eae6d88e71b17096a034656f3be17da8f1f513c78536c1c38d971927638b",
    "pdf.fonts:Font.subset":
        "61ed6bc2e9a7e43a7ad4c50e4bd61a0c5b6db06069754e66c6e328f4a97a6311",
    "pdf.fonts:build_fonts_dictionary":
        "fc551bef35d0d6c3d288f686fd21b5ea8c1efadb8f2f3b4d379cfa6045c02230",
    "pdf.fonts:_build_vector_font_dictionary":
        "aa6eea312c6e3375689f3405d48c5059525038a8d73d2f63bf3476de6dc05903",
    "text.line_break:split_first_line":
        "39ad1016863ca34de0bea4c9fcffb46da7e27813c87dd82b7011bfa19fe5504f",
    "layout.inline:split_first_line":
        "39ad1016863ca34de0bea4c9fcffb46da7e27813c87dd82b7011bfa19fe5504f",
    "layout.preferred:split_first_line":
        "39ad1016863ca34de0bea4c9fcffb46da7e27813c87dd82b7011bfa19fe5504f",
    "draw:draw_stacking_context":
        "c5811b178bdff82e05603aa8b5abf73d04bc8fb9cb2e04bfaedbea1edef8311e",
    "pdf.stream:Stream.marked":
        "3fa3acacbbf66422e7b0de4346b6eaf638657280a0f62c73172e3c445b888692",
    "pdf.tags:_build_box_tree":
        "f716251a83e7096e9cae972b63e633aab21c664d200582166dd0d5096780f9c4",
}


def fingerprints() -> dict[str, str]:
    """sha256 of the current source of each function the fixes rely on ('' if absent)."""
    found = {}
    for name in FINGERPRINTS:
        module, _, path = name.partition(":")
        target: object = importlib.import_module(f"weasyprint.{module}")
        try:
            for part in path.split("."):
                target = getattr(target, part)
            source = inspect.getsource(target)
        except (AttributeError, OSError, TypeError):
            found[name] = ""
            continue
        found[name] = hashlib.sha256(source.encode()).hexdigest()
    return found


def changed_sources() -> list[str]:
    current = fingerprints()
    return [name for name, digest in FINGERPRINTS.items() if current.get(name) != digest]


def _install() -> None:
    for hooks in (_text_layer_hooks(), _line_break_hooks(), _tags_hooks()):
        for owner, attribute, replacement in hooks:
            setattr(owner, attribute, replacement)


# ------------------------------------------------------------------ fix 1: text layer

# Character codes for a glyph drawn for another text than its first use are taken from
# the top of the 2-byte code space down; WeasyPrint numbers its .notdef stand-ins from
# the glyph count up, so the two never meet in a real font.
_TOP_CODE = 0xFFFE


class _Codes:
    """Extra character codes of one PDF font (one font file) in one document.

    WeasyPrint 70 writes glyph ids as character codes (Identity-H) and gives each code
    one text in ToUnicode; a glyph drawn for several texts (Noto Sans Arabic's dots and
    dotless letters) gets one extra code per other text, mapped back to its glyph by a
    /CIDToGIDMap. Lives on the document's Font objects (shared by those that write the
    same PDF font), so it goes away with the document.
    """

    __slots__ = ("by_key", "entries")

    def __init__(self):
        self.by_key: dict[tuple[int, str], int] = {}
        self.entries: dict[int, tuple[int, str, int]] = {}  # code → (glyph, text, width)

    def code(self, font, glyph_id: int, text: str) -> int:
        code = self.by_key.get((glyph_id, text))
        if code is None:
            code = _TOP_CODE - len(self.entries)
            if code <= font.glyph_count + len(font.missing):
                return glyph_id  # 65,000 variants: give up rather than collide
            self.by_key[glyph_id, text] = code
            self.entries[code] = (glyph_id, text, font.widths[glyph_id])
            font.widths[code] = font.widths[glyph_id]
            font.to_unicode[code] = text
        return code


def _codes_of(font, fonts: dict) -> _Codes:
    codes = font.__dict__.get("_leaflet_codes")
    if codes is None:
        # One table per PDF font: WeasyPrint writes every Font with this hash under one
        # resource name, so they must agree on what each extra code means.
        codes = next((f._leaflet_codes for f in fonts.values()
                      if f.hash == font.hash and "_leaflet_codes" in f.__dict__), None)
        font._leaflet_codes = codes = codes or _Codes()
    return codes


def _text_layer_hooks() -> list:
    # Lazy, here and in the other hooks: WeasyPrint costs 0.35 s to import, and only a
    # process that renders installs the fixes.
    import pydyf
    from PIL import Image
    from weasyprint import pdf as pdf_package
    from weasyprint.draw import text as draw_text
    from weasyprint.images import RasterImage, SVGImage
    from weasyprint.pdf import fonts
    from weasyprint.text.ffi import FROM_UNITS, TO_UNITS, ffi, pango
    from weasyprint.text.fonts import get_hb_object_data
    from weasyprint.text.line_break import get_last_word_end

    LOGGER = draw_text.LOGGER
    original_draw = draw_text.draw_first_line
    original_subset = fonts.Font.subset
    original_build = fonts.build_fonts_dictionary
    original_vector = fonts._build_vector_font_dictionary

    def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
        """WeasyPrint 70.0's draw_first_line, with each cluster's text on one glyph."""
        if not _ON["text-layer"]:
            return original_draw(stream, textbox, text_overflow, block_ellipsis, matrix)
        # Don’t draw lines with only invisible characters.
        if not textbox.text.strip():
            return []

        if textbox.style['font_size'] < 1e-6:  # default float precision used by pydyf
            return []

        pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)

        if text_overflow == 'ellipsis' or block_ellipsis != 'none':
            assert textbox.pango_layout.max_width is not None
            max_width = textbox.pango_layout.max_width
            pango.pango_layout_set_width(
                textbox.pango_layout.layout, int(max_width * TO_UNITS))
            if text_overflow == 'ellipsis':
                pango.pango_layout_set_ellipsize(
                    textbox.pango_layout.layout, pango.PANGO_ELLIPSIZE_END)
            else:
                if block_ellipsis == 'auto':
                    ellipsis = '…'
                else:
                    assert block_ellipsis[0] == 'string'
                    ellipsis = block_ellipsis[1]

                # Remove last word if hyphenated.
                new_text = textbox.pango_layout.text
                if new_text.endswith(textbox.style['hyphenate_character']):
                    last_word_end = get_last_word_end(
                        new_text[:-len(textbox.style['hyphenate_character'])],
                        textbox.style['lang'])
                    if last_word_end:
                        new_text = new_text[:last_word_end]

                textbox.pango_layout.set_text(new_text + ellipsis)

        first_line, index = textbox.pango_layout.get_first_line()

        if block_ellipsis != 'none':
            while index:
                last_word_end = get_last_word_end(
                    textbox.pango_layout.text[:-len(ellipsis)],
                    textbox.style['lang'])
                if last_word_end is None:
                    break
                new_text = textbox.pango_layout.text[:last_word_end]
                textbox.pango_layout.set_text(new_text + ellipsis)
                first_line, index = textbox.pango_layout.get_first_line()

        stream.set_text_matrix(*matrix.values)
        previous_pango_font = None
        string = ''
        x_advance = 0
        emojis = []

        # engine fix: the text of each glyph. A cluster's text goes on its first glyph
        # that has an advance; its other glyphs (Arabic dots, Devanagari vowel signs
        # drawn before their consonant) write none, so each character is written once,
        # where it is seen.
        utf8_text = textbox.pango_layout.text.encode()
        runs_texts, complex_ltr, rtl = [], False, False
        run = first_line.runs[0]
        while run != ffi.NULL:
            glyph_item = run.data
            run = run.next
            texts, is_simple, is_rtl = _glyph_texts(glyph_item, utf8_text)
            runs_texts.append(texts)
            complex_ltr = complex_ltr or not (is_simple or is_rtl)
            rtl = rtl or is_rtl
        # engine fix: a left-to-right line in a script of combining marks or reordered
        # glyphs (Devanagari, Tamil, Bengali…) also says its text once, in /ActualText,
        # for extractors that judge gaps between words from glyph positions (pdfium
        # splits "कैसी" after its vowel sign). Never with right-to-left text: poppler
        # and pdfium would reverse it a second time.
        line_text = utf8_text[:first_line.length].decode()
        actual_text = not rtl and (complex_ltr or _has_marks(line_text))
        if actual_text:
            stream.begin_marked_content(
                'Span', pydyf.Dictionary({'ActualText': pydyf.String(line_text)}))

        run = first_line.runs[0]
        run_index = -1
        while run != ffi.NULL:
            # Get Pango objects.
            glyph_item = run.data
            run = run.next
            glyph_string = glyph_item.glyphs
            glyphs_info = glyph_string.glyphs
            num_glyphs = glyph_string.num_glyphs
            run_index += 1
            texts = runs_texts[run_index]

            pango_font = glyph_item.item.analysis.font
            if pango_font != previous_pango_font:
                # Add font file content and get font size.
                previous_pango_font = pango_font
                font, font_size = stream.add_font(pango_font)

                # Workaround for https://gitlab.gnome.org/GNOME/pango/-/issues/530.
                # This is also needed by raster emoji fonts, see #2800.
                if pango.pango_version() < 14802 or font.png:
                    font_size = textbox.style['font_size']

                # engine fix: extra codes need a CIDToGIDMap (TrueType outlines only)
                # and 2-byte codes (not bitmap fonts).
                codes = None
                if not font.bitmap and font.file_content[:4] != b'OTTO':
                    codes = _codes_of(font, stream._fonts)

                # Go through the run glyphs.
                if string:
                    stream.show_text(string)
                string = ''
                stream.set_font_size(font.hash, 1 if font.bitmap else font_size)

            string += '<'
            for i, glyph_info in enumerate(glyphs_info[0:num_glyphs]):
                glyph_id = glyph_info.glyph
                width = glyph_info.geometry.width

                # Display zero-width empty glyph.
                if glyph_id == pango.PANGO_GLYPH_EMPTY:
                    string += f'>{-width / font_size}<'
                    continue

                # Display .notdef and log warning for missing glyphs.
                code = glyph_id
                if glyph_id & pango.PANGO_GLYPH_UNKNOWN_FLAG:
                    codepoint = glyph_id - pango.PANGO_GLYPH_UNKNOWN_FLAG
                    LOGGER.warning(
                        '.notdef glyph rendered for Unicode string unsupported by fonts: '
                        '"%s" (U+%04X)', chr(codepoint), codepoint)
                    glyph_id = code = font.get_unused_glyph_id(codepoint)
                    font.widths[glyph_id] = round(width * 1000 * FROM_UNITS / font_size)
                    if 0 not in font.widths:
                        # "width" is actually Pango’s get_approximate_char_width. Force
                        # .notdef’s to use this width, even if it’s not the right, as we
                        # want to keep Pango’s layout for next glyphs.
                        font.widths[0] = font.widths[glyph_id]
                    font.to_unicode.setdefault(code, texts[i])
                else:
                    # Get glyph logical widths (before choosing a code: an extra code
                    # gets the width of its glyph).
                    if glyph_id not in font.widths:
                        pango.pango_font_get_glyph_extents(
                            pango_font, glyph_id, stream.ink_rect, stream.logical_rect)
                        font.widths[glyph_id] = round(
                            stream.logical_rect.width * 1000 * FROM_UNITS / font_size)
                    # engine fix: create mapping between codes and Unicode text; a
                    # glyph already written for another text gets a code of its own.
                    known = font.to_unicode.get(glyph_id)
                    if known is None:
                        font.to_unicode[glyph_id] = texts[i]
                    elif known != texts[i] and codes is not None:
                        code = codes.code(font, glyph_id, texts[i])

                # Set horizontal and vertical offsets.
                offset = glyph_info.geometry.x_offset / font_size
                rise = glyph_info.geometry.y_offset / 1000
                if rise:
                    if string[-1] == '<':
                        string = string[:-1]
                    else:
                        string += '>'
                    if string:
                        stream.show_text(string)
                    stream.set_text_rise(-rise)
                    string = ''
                    if offset:
                        string = f'{-offset}'
                    string += f'<{code:02x}>' if font.bitmap else f'<{code:04x}>'
                    stream.show_text(string)
                    stream.set_text_rise(0)
                    string = '<'
                else:
                    if offset:
                        string += f'>{-offset}<'
                    string += f'{code:02x}' if font.bitmap else f'{code:04x}'

                logical_width = font.widths[glyph_id]

                # Set kerning, word spacing, letter spacing.
                kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size
                if kerning:
                    string += f'>{int(kerning)}<'

                # Create list of emojis.
                if font.svg:
                    svg_data = get_hb_object_data(font.hb_face, 'svg', glyph_id)
                    if svg_data:
                        # Do as explained in specification
                        # https://learn.microsoft.com/typography/opentype/spec/svg
                        tree = ElementTree.fromstring(svg_data)
                        if tree.get('id') != f'glyph{glyph_id}':
                            defs = ElementTree.Element('defs')
                            for child in list(tree):
                                defs.append(child)
                                tree.remove(child)
                            tree.append(defs)
                            ElementTree.SubElement(
                                tree, 'use', attrib={'href': f'#glyph{glyph_id}'})
                        if 'viewBox' not in tree.attrib:
                            tree.attrib['viewBox'] = f'0 0 {font.upem} {font.upem}'
                        image = SVGImage(tree, None, None, None)
                        a = d = 1
                        emojis.append([image, font, a, d, x_advance, 0])
                elif font.png:
                    png_data = get_hb_object_data(font.hb_font, 'png', glyph_id)
                    if png_data:
                        pillow_image = Image.open(BytesIO(png_data))
                        image_id = f'{font.hash}{glyph_id}'
                        image = RasterImage(pillow_image, image_id, png_data)
                        d = logical_width / 1000
                        a = pillow_image.width / pillow_image.height * d
                        pango.pango_font_get_glyph_extents(
                            pango_font, glyph_id, stream.ink_rect,
                            stream.logical_rect)
                        f = -stream.logical_rect.y
                        f = f * FROM_UNITS / font_size - font_size
                        emojis.append([image, font, a, d, x_advance, f])
                elif font.colr:
                    svg_data = get_hb_object_data(font.hb_font, 'colr', glyph_id)
                    if svg_data:
                        tree = ElementTree.fromstring(svg_data)
                        image = SVGImage(tree, None, None, None)
                        a = d = 1
                        e = x_advance - kerning
                        emojis.append([image, font, a, d, e, -textbox.baseline])

                x_advance += (logical_width + offset - kerning) / 1000

            # Close the last glyphs list, remove if empty.
            if string[-1] == '<':
                string = string[:-1]
            else:
                string += '>'

        # Draw text.
        stream.show_text(string)
        if actual_text:
            stream.end_marked_content()

        return emojis

    def subset(self, to_unicode, hinting):
        # engine fix: extra codes are not glyph ids: subset their glyphs.
        codes = self.__dict__.get("_leaflet_codes")
        if codes is not None and codes.entries and _ON["text-layer"]:
            to_unicode = {codes.entries[key][0] if key in codes.entries else key: text
                          for key, text in to_unicode.items()}
        return original_subset(self, to_unicode, hinting)

    def build_fonts_dictionary(pdf, fonts_, compress, subset_, options):
        # engine fix: every Font written under one PDF font name knows every extra code
        # (ToUnicode and /W are written per Font object, the last one wins).
        if _ON["text-layer"]:
            for font in fonts_.values():
                codes = font.__dict__.get("_leaflet_codes")
                if codes is not None:
                    for code, (glyph_id, text, width) in codes.entries.items():
                        font.to_unicode[code] = text
                        font.widths[code] = width
        return original_build(pdf, fonts_, compress, subset_, options)

    def build_vector_font_dictionary(font_dictionary, pdf, font, widths, compress,
                                     reference, pdf_version):
        codes = font.__dict__.get("_leaflet_codes")
        if codes is None or not codes.entries or not _ON["text-layer"]:
            return original_vector(font_dictionary, pdf, font, widths, compress,
                                   reference, pdf_version)
        if widths is not font.widths:
            # Not subset (full fonts, or a font used in forms): widths and ToUnicode come
            # from the font file, which has no extra codes: add them, and the text of
            # every glyph drawn.
            for code, (glyph_id, text, _) in codes.entries.items():
                widths[code] = widths.get(glyph_id, 0)
            _merge_to_unicode(pdf, font_dictionary, font.to_unicode)
        result = original_vector(font_dictionary, pdf, font, widths, compress,
                                 reference, pdf_version)
        # engine fix: a /CIDToGIDMap sends each code to its glyph (the encoding stays
        # Identity-H, which extractors that ignore embedded CMaps rely on).
        size = max(codes.entries) + 1
        data = bytearray(2 * size)
        for code in font.to_unicode:
            if code < font.glyph_count:
                data[2 * code:2 * code + 2] = code.to_bytes(2, 'big')
        for code, (glyph_id, _, _) in codes.entries.items():
            data[2 * code:2 * code + 2] = glyph_id.to_bytes(2, 'big')
        cid_to_gid = pydyf.Stream([bytes(data)], compress=compress)
        pdf.add_object(cid_to_gid)
        descendant = pdf.objects[int(font_dictionary['DescendantFonts'][0].split()[0])]
        descendant['CIDToGIDMap'] = cid_to_gid.reference
        return result

    return [
        (draw_text, "draw_first_line", draw_first_line),
        (fonts.Font, "subset", subset),
        (fonts, "build_fonts_dictionary", build_fonts_dictionary),
        (fonts, "_build_vector_font_dictionary", build_vector_font_dictionary),
        # weasyprint.pdf imports build_fonts_dictionary by name.
        (pdf_package, "build_fonts_dictionary", build_fonts_dictionary),
    ]


def _has_marks(text: str) -> bool:
    """Whether ``text`` has combining marks (vowel signs, viramas, accents apart)."""
    if text.isascii() or max(text) < "\u0300":
        return False  # Latin-1 and Latin Extended have no marks: skipped at C speed
    return any(unicodedata.category(char)[0] == "M" for char in text)


def _glyph_texts(glyph_item, utf8_text: bytes) -> tuple[list[str], bool, bool]:
    """The text each glyph of a Pango run writes: ``(texts, simple, rtl)``.

    ``simple``: one glyph per cluster, in order (most Latin text): each glyph writes its
    own characters, as in WeasyPrint, at the same cost.
    """
    glyph_string = glyph_item.glyphs
    glyphs_info = glyph_string.glyphs
    num_glyphs = glyph_string.num_glyphs
    clusters = glyph_string.log_clusters
    offset = glyph_item.item.offset
    length = glyph_item.item.length
    rtl = bool(glyph_item.item.analysis.level % 2)
    starts = [clusters[i] for i in range(num_glyphs)]
    if rtl:  # glyphs in visual order: the next character is on the left
        simple = all(starts[i] > starts[i + 1] for i in range(num_glyphs - 1))
        ends = [length] + starts[:-1]
    else:
        simple = all(starts[i] < starts[i + 1] for i in range(num_glyphs - 1))
        ends = starts[1:] + [length]
    if simple:
        return ([utf8_text[offset + start:offset + end].decode()
                 for start, end in zip(starts, ends)], True, rtl)

    ordered = sorted(set(starts))
    end_of = dict(zip(ordered, ordered[1:] + [length]))
    texts = [''] * num_glyphs
    i = 0
    while i < num_glyphs:
        # Pango keeps the glyphs of a cluster together.
        j = i
        while j + 1 < num_glyphs and starts[j + 1] == starts[i]:
            j += 1
        carrier = next((k for k in range(i, j + 1) if glyphs_info[k].geometry.width), i)
        texts[carrier] = utf8_text[offset + starts[i]:offset + end_of[starts[i]]].decode()
        i = j + 1
    return texts, False, rtl


def _merge_to_unicode(pdf, font_dictionary, to_unicode: dict[int, str]) -> None:
    """Put the text of each drawn code into a ToUnicode CMap that WeasyPrint made from
    the font file's cmap (which knows neither extra codes nor what a glyph was drawn for)."""
    cmap = pdf.objects[int(font_dictionary['ToUnicode'].split()[0])]
    entries: dict[int, bytes] = {}
    start = cmap.stream.index(b'endcodespacerange') + 1
    end = cmap.stream.index(b'endcmap')
    for line in cmap.stream[start:end]:
        if line.startswith(b'<'):
            code, _, text = line.partition(b' ')
            entries[int(code[1:-1], 16)] = text
    for code, text in to_unicode.items():
        entries[code] = f'<{text.encode("utf-16-be").hex()}>'.encode()
    lines = []
    items = sorted(entries.items())
    for first in range(0, len(items), 100):
        batch = items[first:first + 100]
        lines.append(f'{len(batch)} beginbfchar'.encode())
        lines.extend(f'<{code:04x}> '.encode() + text for code, text in batch)
        lines.append(b'endbfchar')
    cmap.stream[start:end] = lines


# ------------------------------------------------------------------ fix 2: line breaks

def _line_break_hooks() -> list:
    from weasyprint.layout import inline, preferred  # lazy: see _text_layer_hooks
    from weasyprint.text import line_break

    original = line_break.split_first_line

    def split_first_line(text, style, context, max_width, justification_spacing,
                         is_line_start=True, minimum=False):
        result = original(text, style, context, max_width, justification_spacing,
                          is_line_start, minimum)
        if not _ON["line-break"]:
            return result
        # WeasyPrint 70.0 measures a run that ends in a collapsible space with that
        # space, although it hangs at the end of the line; judged too wide, the line
        # keeps only its first word (or part of it, hyphenated). Only then is the run
        # measured again, without its trailing spaces.
        resume_index = result[2]
        if (resume_index is None or max_width is None or not 0 < max_width < 2 ** 21
                or style['white_space'] != 'normal' or not text.endswith(' ')):
            return result
        stripped = text.strip(' ')
        first_space = stripped.find(' ')
        if first_space < 0:
            return result  # a single word: nothing else could be on the line
        lead = len(text) - len(text.lstrip(' '))
        if resume_index > len(text[:lead + first_space + 1].encode()):
            return result  # more than the first word is on the line: not this defect
        layout = line_break.create_layout(
            text.rstrip(' '), style, context, None, justification_spacing)
        first_line, _ = layout.get_first_line()
        width, _ = line_break.line_size(first_line, style)
        layout.deactivate()
        if width > max_width:
            return result
        # The run fits without its hanging spaces: lay it out as one line.
        return original(text, style, context, None, justification_spacing,
                        is_line_start, minimum)

    # layout.inline and layout.preferred import split_first_line by name.
    return [(line_break, "split_first_line", split_first_line),
            (inline, "split_first_line", split_first_line),
            (preferred, "split_first_line", split_first_line)]


# ------------------------------------------------------------------ fix 3: tags

# Margin boxes of the page are running headers and footers: pagination artifacts.
_ARTIFACT_SUBTYPES = {"@top": "/Header", "@bottom": "/Footer"}
# HTML table header scopes → PDF /Scope; a header cell without scope is a column header,
# as WeasyPrint already treats it when it links data cells to their headers.
_SCOPES = {"row": "/Row", "rowgroup": "/Row", "col": "/Column", "colgroup": "/Column"}


def _decorative(box) -> bool:
    """An image the page shows for decoration only: ``alt=""`` (HTML's own rule), or a
    presentation role. Screen readers skip it; in a tagged PDF it is an artifact."""
    element = box.element
    if element is None:
        return False
    if element.get("role") in ("presentation", "none") or element.get("aria-hidden") == "true":
        return True
    return element.tag == "img" and element.get("alt") == ""


def _tags_hooks() -> list:
    import pydyf  # lazy: see _text_layer_hooks
    from weasyprint import draw
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.absolute import AbsolutePlaceholder
    from weasyprint.pdf import stream as stream_module
    from weasyprint.pdf import tags

    original_stacking = draw.draw_stacking_context
    original_marked = stream_module.Stream.marked
    original_tree = tags._build_box_tree

    def draw_stacking_context(stream, stacking_context):
        box = stacking_context.box
        if not (_ON["tags"] and stream._tags is not None and
                isinstance(box, boxes.MarginBox)):
            return original_stacking(stream, stacking_context)
        # engine fix: a margin box (running footer, page number, draft banner) is page
        # furniture: a pagination artifact, not content without a structure element.
        properties = pydyf.Dictionary({"Type": "/Pagination"})
        subtype = _ARTIFACT_SUBTYPES.get(box.at_keyword.split("-")[0])
        if subtype:
            properties["Subtype"] = subtype
        stream.begin_marked_content("Artifact", properties)
        tags_of_page, stream._tags = stream._tags, None  # no MCID inside an artifact
        try:
            original_stacking(stream, stacking_context)
        finally:
            stream._tags = tags_of_page
        stream.end_marked_content()

    @contextlib.contextmanager
    def marked(self, box, tag):
        if (_ON["tags"] and self._tags is not None and isinstance(box, boxes.ReplacedBox)
                and _decorative(box)):
            # engine fix: a decorative image is an artifact, not a figure without alt.
            with self.artifact():
                yield
        else:
            with original_marked(self, box, tag):
                yield

    def build_box_tree(box, parent, pdf, page_number, nums, annotations, tags_):
        if not _ON["tags"]:
            yield from original_tree(
                box, parent, pdf, page_number, nums, annotations, tags_)
            return
        real = box._box if isinstance(box, AbsolutePlaceholder) else box
        if isinstance(real, boxes.MarginBox):
            return  # drawn as a pagination artifact: no marked content to map
        if isinstance(real, boxes.ReplacedBox) and _decorative(real):
            return  # drawn as an artifact
        element_tag = None if real.element is None else real.element_tag
        if element_tag in ("html", "body") or isinstance(real, boxes.PageBox):
            yield from original_tree(
                box, parent, pdf, page_number, nums, annotations, tags_)
            return
        if element_tag in ("dt", "dd") and parent["S"] == "/L":
            # engine fix: a <dl> is a list of label + value: each <dt> starts a list item
            # whose /Lbl it is, and the <dd> after it are that item's /LBody.
            item = parent.__dict__.get("_leaflet_item")
            if element_tag == "dd" and item is not None:
                for element in original_tree(
                        box, item, pdf, page_number, nums, annotations, tags_):
                    _annotate(element, real)
                    item["K"].append(element.reference)
                return
            if element_tag == "dt":
                item = pydyf.Dictionary({
                    "Type": "/StructElem", "S": "/LI", "K": pydyf.Array([]),
                    "Pg": pdf.page_references[page_number], "P": parent.reference})
                pdf.add_object(item)
                for element in original_tree(
                        box, item, pdf, page_number, nums, annotations, tags_):
                    element["S"] = "/Lbl"
                    _annotate(element, real)
                    item["K"].append(element.reference)
                parent._leaflet_item = item
                yield item
                return
        for element in original_tree(
                box, parent, pdf, page_number, nums, annotations, tags_):
            _annotate(element, real)
            yield element

    def _annotate(element, box):
        # engine fix: an element in another language than its parent says so (/Lang),
        # so a screen reader switches voice; header cells say which cells they head.
        lang = box.element.get("lang") if box.element is not None else None
        if lang:
            element["Lang"] = pydyf.String(lang)
        if element["S"] == "/TH" and "A" in element:
            scope = (box.element.get("scope") or "").lower()
            element["A"]["Scope"] = _SCOPES.get(scope, "/Column")

    return [(draw, "draw_stacking_context", draw_stacking_context),
            (stream_module.Stream, "marked", marked),
            (tags, "_build_box_tree", build_box_tree)]
