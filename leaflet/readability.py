"""Quality gate helper: offline readability of a leaflet's prose, per language.

One formula per language where research gives one, LIX elsewhere, each mapped to a "US grade
equivalent" so a single target (``[check] readability_grade``, default 8) applies to every
language. Syllables come from Pyphen's hyphenation dictionaries (installed with WeasyPrint):
no network, no NLTK, no textstat.

What is scored: the body's paragraphs, list items and call-out text. Not scored: front matter
(title, summary, key points, sources), headings, call-out titles, tables, code, raw HTML and a
"Sources"/"References" section. A list item is a sentence even without a full stop.
"""

from __future__ import annotations

import functools
import html
import math
import re
from dataclasses import dataclass, field

from .content import Block, scan_body

LONG_SENTENCE_WORDS = 25  # plain-language guidance (NHS, PIF): most sentences 15-20 words
SMOG_MIN_SENTENCES = 30  # SMOG was normed on 30-sentence samples

# ---------------------------------------------------------------- formulas and scales
#
# Each formula has its own scale; ``grade_equivalent`` maps it to a US school grade so that one
# configurable target works for every language. The mappings are approximations, stated here:
#
# * Flesch-Kincaid (en) and Wiener Sachtextformel (de) already give a school grade.
# * Fernández-Huerta (es) and Kandel-Moles (fr) are Flesch Reading Ease adaptations on the same
#   0-100 scale with Flesch's bands: 90-100 ≈ grade 5, 80-90 ≈ 6, 70-80 ≈ 7, 60-70 ≈ 8-9,
#   50-60 ≈ 10-12. Linear fit: grade = 15 - score / 10, so grade 8 ↔ 70 ("fairly easy").
# * Gulpease (it), 0-100: below 80 is hard for readers with primary school (≈ grade 5), below
#   60 for lower secondary (licenza media ≈ grade 8), below 40 for upper secondary (≈ grade 13).
#   Piecewise linear through (80, 5), (60, 8), (40, 13).
# * LIX (all other languages; no syllables, so it works for any script): Björnsson's bands are
#   < 25 very easy, 25-35 easy, 35-45 medium, 45-55 difficult, > 55 very difficult. Linear
#   fit: grade = (LIX - 8) / 4, so grade 8 ↔ LIX 40, 20 ↔ grade 3, 56 ↔ grade 12. LIX was
#   calibrated on European languages; for Arabic, Hindi and other scripts it is indicative.


@dataclass(frozen=True)
class Formula:
    id: str
    name: str
    higher_is_easier: bool
    uses_syllables: bool


FORMULAS = {
    f.id: f
    for f in (
        Formula("flesch-kincaid", "Flesch-Kincaid grade", False, True),
        Formula("fernandez-huerta", "Fernández-Huerta", True, True),
        Formula("kandel-moles", "Kandel-Moles", True, True),
        Formula("wiener-sachtextformel", "Wiener Sachtextformel", False, True),
        Formula("gulpease", "Gulpease", True, False),
        Formula("lix", "LIX", False, False),
    )
}
_BY_LANGUAGE = {"en": "flesch-kincaid", "es": "fernandez-huerta", "fr": "kandel-moles",
                "de": "wiener-sachtextformel", "it": "gulpease"}


def formula_for(lang: str) -> Formula:
    """The formula for a BCP 47 tag: by its primary language, LIX when there is none."""
    primary = lang.split("-")[0].lower()
    formula = FORMULAS[_BY_LANGUAGE.get(primary, "lix")]
    if formula.uses_syllables and _dictionary(primary) is None:
        formula = FORMULAS["lix"]
    return formula


def flesch_kincaid(words: int, sentences: int, syllables: int) -> float:
    return 0.39 * words / sentences + 11.8 * syllables / words - 15.59


def smog(polysyllables: int, sentences: int) -> float:
    """McLaughlin's SMOG grade; polysyllables = words of three or more syllables."""
    return 1.0430 * math.sqrt(polysyllables * 30 / sentences) + 3.1291


def fernandez_huerta(words: int, sentences: int, syllables: int) -> float:
    # As corrected by Law (2011) and used by textstat: the published formula's sentence term
    # ("1.02 F", sentences per 100 words) has the wrong sign; average sentence length is meant.
    return 206.84 - 60 * syllables / words - 1.02 * words / sentences


def kandel_moles(words: int, sentences: int, syllables: int) -> float:
    return 207 - 1.015 * words / sentences - 73.6 * syllables / words


def wiener_sachtextformel(words: int, sentences: int, polysyllables: int, long_words: int,
                          monosyllables: int) -> float:
    """First Wiener Sachtextformel (Bamberger & Vanecek); long words have > 6 letters."""
    ms, iw, es = (100 * n / words for n in (polysyllables, long_words, monosyllables))
    return 0.1935 * ms + 0.1672 * words / sentences + 0.1297 * iw - 0.0327 * es - 0.875


def gulpease(words: int, sentences: int, letters: int) -> float:
    return 89 + (300 * sentences - 10 * letters) / words


def lix(words: int, sentences: int, long_words: int) -> float:
    """Björnsson's LIX; long words have more than six letters."""
    return words / sentences + 100 * long_words / words


def grade_equivalent(formula_id: str, value: float) -> float:
    """A formula's value as a US grade (see the table above)."""
    if formula_id in ("flesch-kincaid", "wiener-sachtextformel"):
        return value
    if formula_id in ("fernandez-huerta", "kandel-moles"):
        return 15 - value / 10
    if formula_id == "gulpease":
        return 8 - (value - 60) * 3 / 20 if value >= 60 else 8 + (60 - value) / 4
    if formula_id == "lix":
        return (value - 8) / 4
    raise KeyError(formula_id)


def target_value(formula_id: str, grade: float) -> float:
    """The inverse of ``grade_equivalent``: the formula's value at a target grade."""
    if formula_id in ("flesch-kincaid", "wiener-sachtextformel"):
        return grade
    if formula_id in ("fernandez-huerta", "kandel-moles"):
        return 10 * (15 - grade)
    if formula_id == "gulpease":
        return 60 + (8 - grade) * 20 / 3 if grade <= 8 else 60 - (grade - 8) * 4
    if formula_id == "lix":
        return 4 * grade + 8
    raise KeyError(formula_id)


# ---------------------------------------------------------------- prose → sentences → words

@dataclass(frozen=True)
class Sentence:
    line: int  # file line where the sentence starts
    text: str
    words: int


_SOURCES_HEADINGS = {
    "sources", "references", "bibliography", "further reading", "fuentes", "referencias",
    "bibliografía", "références", "bibliographie", "źródła", "bibliografia", "quellen",
    "literatur", "fonti", "riferimenti", "المصادر", "المراجع", "स्रोत", "संदर्भ",
}
_INLINE = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]"), ""),  # images
    (re.compile(r"\[\^[^\]]*\]"), ""),  # footnote references
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links keep their text
    (re.compile(r"\[([^\]]*)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<(?:https?://|mailto:)[^>]*>"), ""),  # autolinks
    (re.compile(r"`[^`]*`"), ""),  # code spans
    (re.compile(r"</?[A-Za-z][^>]*>|<!--.*?-->", re.DOTALL), ""),  # inline HTML
    (re.compile(r"\{:?[^}\n]*\}"), ""),  # attribute lists
    (re.compile(r"https?://\S+"), ""),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])"), r"\1"),  # backslash escapes
    (re.compile(r"\*+|(?<!\w)_+|_+(?!\w)"), ""),  # emphasis markers
]
# Full stops, question and exclamation marks in the scripts we serve (Devanagari danda,
# Arabic question mark, CJK), with closing quotes or brackets after them.
_END = re.compile(r"[.!?…।॥؟。！？]+[\"'”’»)\]]*(?=\s|$)")
# Followed by a name, never the end of a sentence.
_TITLES = {"dr.", "mr.", "mrs.", "ms.", "prof.", "st.", "sr.", "sra.", "dra.", "mme.", "m.",
           "hr.", "fr."}
# Followed by a number ("No. 5", "p. 12"): not the end of a sentence either.
_NUMBERED = {"no.", "nr.", "p.", "pp.", "pág.", "núm.", "s.", "approx.", "ca.", "env."}


def clean_inline(text: str) -> str:
    """Markdown inline markup → the words a reader sees."""
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return html.unescape(text)


def prose_blocks(blocks: list[Block]) -> list[Block]:
    """The blocks that are running text: paragraphs and list items outside a sources section."""
    kept, skipping = [], False
    for block in blocks:
        if block.kind == "heading":
            title = clean_inline(block.text).strip().strip(":").strip().lower()
            skipping = title in _SOURCES_HEADINGS
        elif block.kind in ("paragraph", "item") and not skipping:
            kept.append(block)
    return kept


def split_sentences(text: str, first_line: int = 1) -> list[Sentence]:
    """Sentences of one block (a paragraph or a list item); ``\\n`` in ``text`` marks lines."""
    sentences: list[Sentence] = []
    start = 0

    def add(end: int):
        chunk = text[start:end]
        body = chunk.strip()
        if body:
            offset = start + (len(chunk) - len(chunk.lstrip()))
            line = first_line + text.count("\n", 0, offset)
            sentences.append(Sentence(line, " ".join(body.split()), len(words(body))))

    for match in _END.finditer(text):
        end = match.end()
        token = text[:end].split()[-1].lower().strip("\"'“‘«([")
        rest = text[end:].lstrip()
        if rest and (token in _TITLES or rest[0].islower()
                     or (token in _NUMBERED and rest[0].isdigit())):
            continue  # "Dr. Patel", "e.g. coffee", "No. 5": not the end of a sentence
        add(end)
        start = end
    add(len(text))
    return sentences


def sentences_of(body: str, body_line: int) -> list[Sentence]:
    """Every sentence of the scored prose, with its file line."""
    found: list[Sentence] = []
    for block in prose_blocks(scan_body(body, body_line)):
        text = clean_inline("\n".join(t for _, t in block.lines))
        found += [s for s in split_sentences(text, block.line) if s.words]
    return found


def words(text: str) -> list[str]:
    """Whitespace-separated tokens with at least one letter or digit, punctuation trimmed."""
    found = []
    for token in text.split():
        token = token.strip(".,;:!?…\"'“”‘’«»()[]{}*_—–-/।॥؟،؛")
        if any(c.isalnum() for c in token):
            found.append(token)
    return found


def letters(word: str) -> int:
    return sum(1 for c in word if c.isalpha())


# ---------------------------------------------------------------- syllables
#
# Hyphenation points are syllable boundaries, but hyphenation dictionaries never leave one or
# two letters at a word's edge and skip some breaks ("about", "every", "area" are not split),
# so a pure Pyphen count says "many", "body" and "people" have one syllable: on the sample
# English leaflet that alone lowers Flesch-Kincaid by 1.5 grades. Each piece between Pyphen's
# breaks is therefore counted by its vowel groups (at least one syllable per piece), with the
# few rules a language needs (English silent e, Spanish hiatus, French mute e). French counts
# spoken syllables: counting the final mute e (u-ne, gran-de) as well puts the sample's French
# 20 Kandel-Moles points below its English and Spanish versions, which read alike.

_VOWELS = {
    "en": "aeiouy",
    "es": "aeiouáéíóúü",
    "fr": "aeiouyàâäéèêëîïôöùûüÿœæ",
    "de": "aeiouyäöü",
    "it": "aeiouàèéìíòóùú",
}
_ES_STRONG = set("aeoáéóíú")  # two strong vowels (or an accented í/ú) are two syllables


@functools.lru_cache(maxsize=None)
def _dictionary(primary: str):
    import pyphen  # lazy: only scoring needs the hyphenation dictionaries

    name = pyphen.language_fallback(primary)
    return pyphen.Pyphen(lang=name) if name else None


def syllables(word: str, lang: str) -> int:
    """Syllables in one word (at least 1)."""
    primary = lang.split("-")[0].lower()
    parts = re.findall(r"[^\W\d_]+", re.sub(r"['’]", "", word.lower()))
    if not parts:
        return 1  # a number
    dictionary = _dictionary(primary)
    total = 0
    for part in parts:
        pieces = dictionary.inserted(part, hyphen="\n").split("\n") if dictionary else [part]
        total += sum(_piece_syllables(piece, primary) for piece in pieces)
    return max(1, total)


def _piece_syllables(piece: str, primary: str) -> int:
    vowels = _VOWELS.get(primary, _VOWELS["en"])
    if primary == "en":
        return _english(piece)
    groups = re.findall(f"[{vowels}]+", piece)
    count = len(groups)
    if primary == "es":
        count += sum(1 for g in groups for a, b in zip(g, g[1:])
                     if a in _ES_STRONG and b in _ES_STRONG)
    elif primary == "fr" and count > 1 and re.search(f"[^{vowels}]es?$", piece):
        count -= 1  # mute e: une, grande, fréquentes
    return max(1, count)


def _english(piece: str) -> int:
    # y is a vowel unless a vowel follows it (yes, beyond).
    flags = [c in "aeiou" or (c == "y" and not (i + 1 < len(piece) and piece[i + 1] in "aeiou"))
             for i, c in enumerate(piece)]
    count = sum(1 for i, v in enumerate(flags) if v and (i == 0 or not flags[i - 1]))
    if count <= 1:
        return 1

    def consonant(i: int) -> bool:
        return 0 <= i < len(piece) and piece[i].isalpha() and not flags[i]

    def syllabic_l(i: int) -> bool:  # ripple, muscles, settled (not ball, called)
        return consonant(i) and piece[i] != "l"

    n = len(piece)
    if piece.endswith(("gue", "que")):
        count -= 1  # tongue, technique
    elif piece.endswith("e") and consonant(n - 2) and not (
        piece.endswith("le") and syllabic_l(n - 3)
    ):
        count -= 1  # silent e: make, some(thing); not ripple, muscle
    elif piece.endswith("es") and consonant(n - 3) and piece[n - 3] not in "sxzcg" \
            and not piece.endswith(("ches", "shes")) \
            and not (piece.endswith("les") and syllabic_l(n - 4)):
        count -= 1  # makes, types; not causes, places, twitches, muscles
    elif piece.endswith("ed") and consonant(n - 3) and piece[n - 3] not in "td" \
            and not (piece.endswith("led") and syllabic_l(n - 4)):
        count -= 1  # called, tripped; not needed, settled
    elif piece.endswith("ely") and consonant(n - 4) and count > 2:
        count -= 1  # rarely, closely
    # i before another vowel is usually its own syllable (period, sodium), except in
    # -tion, -sion, -cial, -gion, -xious, -lion, -nion.
    count += len(re.findall(r"(?<=[^cgstxln])i(?=[aou])", piece))
    return max(1, count)


# ---------------------------------------------------------------- scores

@dataclass(frozen=True)
class Score:
    """The readability of one leaflet in one language."""

    lang: str
    formula: str  # id, e.g. "flesch-kincaid"
    formula_name: str
    value: float  # on the formula's own scale
    grade: float  # US grade equivalent
    target_grade: float
    target_value: float  # the target on the formula's scale
    higher_is_easier: bool
    sentences: int
    words: int
    syllables: int | None = None  # None for formulas without syllables
    smog: float | None = None
    smog_note: str = ""
    long_sentences: tuple[Sentence, ...] = field(default=())

    @property
    def ok(self) -> bool:
        # Judged at the precision shown (one decimal): the formulas are far coarser than that,
        # and "grade 8.0, above the target of 8" would only confuse.
        return round(self.grade, 1) <= self.target_grade

    def describe(self) -> str:
        """``Fernández-Huerta 74.2 ≈ US grade 7.6 (target: 70 or more)``."""
        if self.formula in ("flesch-kincaid", "wiener-sachtextformel"):
            text = f"{self.formula_name} {self.value:.1f}"
            if self.formula == "wiener-sachtextformel":
                text += " (school grade)"
            text += f" (target: {self.target_grade:g} or lower)"
        else:
            way = "or more" if self.higher_is_easier else "or lower"
            text = (f"{self.formula_name} {self.value:.1f} ≈ US grade {self.grade:.1f} "
                    f"(target: {self.target_value:g} {way})")
        if self.formula == "flesch-kincaid":
            text += (f"; SMOG {self.smog:.1f}" if self.smog is not None
                     else f"; SMOG {self.smog_note}")
        return text

    def as_dict(self) -> dict:
        return {
            "lang": self.lang, "formula": self.formula, "formula_name": self.formula_name,
            "value": round(self.value, 2), "grade": round(self.grade, 2),
            "target_grade": self.target_grade, "target_value": round(self.target_value, 2),
            "higher_is_easier": self.higher_is_easier, "ok": self.ok,
            "sentences": self.sentences, "words": self.words, "syllables": self.syllables,
            "smog": None if self.smog is None else round(self.smog, 2),
            "smog_note": self.smog_note,
            "long_sentences": [{"line": s.line, "words": s.words, "text": s.text}
                               for s in self.long_sentences],
        }


def score_sentences(sentences: list[Sentence], lang: str, target_grade: float = 8.0
                    ) -> Score | None:
    """Score sentences with the language's formula; None when there is no prose."""
    all_words = [w for s in sentences for w in words(s.text)]
    n_sentences, n_words = len(sentences), len(all_words)
    if not n_sentences or not n_words:
        return None
    formula = formula_for(lang)
    counts = [syllables(w, lang) for w in all_words] if formula.uses_syllables else []
    n_syllables = sum(counts) if counts else None
    long_words = sum(1 for w in all_words if letters(w) > 6)
    smog_value, smog_note = None, ""
    if formula.id == "flesch-kincaid":
        value = flesch_kincaid(n_words, n_sentences, n_syllables)
        if n_sentences >= SMOG_MIN_SENTENCES:
            smog_value = smog(sum(1 for c in counts if c >= 3), n_sentences)
        else:
            smog_note = f"not computed (needs at least {SMOG_MIN_SENTENCES} sentences)"
    elif formula.id == "fernandez-huerta":
        value = fernandez_huerta(n_words, n_sentences, n_syllables)
    elif formula.id == "kandel-moles":
        value = kandel_moles(n_words, n_sentences, n_syllables)
    elif formula.id == "wiener-sachtextformel":
        value = wiener_sachtextformel(n_words, n_sentences, sum(1 for c in counts if c >= 3),
                                      long_words, sum(1 for c in counts if c == 1))
    elif formula.id == "gulpease":
        value = gulpease(n_words, n_sentences, sum(letters(w) for w in all_words))
    else:
        value = lix(n_words, n_sentences, long_words)
    return Score(
        lang=lang, formula=formula.id, formula_name=formula.name, value=value,
        grade=grade_equivalent(formula.id, value), target_grade=target_grade,
        target_value=target_value(formula.id, target_grade),
        higher_is_easier=formula.higher_is_easier, sentences=n_sentences, words=n_words,
        syllables=n_syllables, smog=smog_value, smog_note=smog_note,
        long_sentences=tuple(s for s in sentences if s.words > LONG_SENTENCE_WORDS),
    )


def score_body(body: str, body_line: int, lang: str, target_grade: float = 8.0) -> Score | None:
    """Readability of a leaflet body (Markdown), lines numbered as in its file."""
    return score_sentences(sentences_of(body, body_line), lang, target_grade)
