"""Readability: syllables, sentences, the prose that is scored, and each formula's numbers
checked against values worked out by hand."""

from __future__ import annotations

import pytest

from leaflet import readability as r


def approx(value):
    return pytest.approx(value, abs=0.005)


# ---------------------------------------------------------------- syllables

@pytest.mark.parametrize("word, count", [
    # Pyphen alone gives 1 for about, many, people, muscle, very (no break at a word's edge).
    ("about", 2), ("many", 2), ("people", 2), ("muscle", 2), ("very", 2), ("body", 2),
    ("the", 1), ("make", 1), ("makes", 1), ("called", 1), ("tongue", 1), ("twitch", 1),
    ("needed", 2), ("settled", 2), ("something", 2), ("rarely", 2), ("doctor", 2),
    ("twitches", 2), ("harmless", 2), ("period", 3), ("potassium", 4), ("fasciculation", 5),
    ("GP", 1), ("2016", 1), ("don't", 1),
])
def test_english_syllables(word, count):
    assert r.syllables(word, "en") == count


@pytest.mark.parametrize("lang, word, count", [
    ("es", "una", 2), ("es", "cafeína", 4), ("es", "leer", 2), ("es", "ciudad", 2),
    ("es", "músculo", 3), ("es", "grande", 2),
    ("fr", "une", 1), ("fr", "grande", 1), ("fr", "médecin", 3), ("fr", "contraction", 3),
    ("de", "Bewegung", 3), ("de", "Arzt", 1), ("de", "gesund", 2),
    ("en-GB", "people", 2), ("es-MX", "cafeína", 4),
])
def test_other_languages_syllables(lang, word, count):
    assert r.syllables(word, lang) == count


# ---------------------------------------------------------------- sentences and prose

def test_sentences_keep_their_file_line():
    text = "One short sentence. Another\none on two lines! A question?"
    found = r.split_sentences(text, first_line=10)
    assert [(s.line, s.text, s.words) for s in found] == [
        (10, "One short sentence.", 3),
        (10, "Another one on two lines!", 5),
        (11, "A question?", 2),
    ]


def test_abbreviations_and_lowercase_do_not_end_sentences():
    text = "Cut down on drinks, e.g. coffee and tea. See Dr. Patel."
    assert [s.text for s in r.split_sentences(text)] == [
        "Cut down on drinks, e.g. coffee and tea.", "See Dr. Patel."]


def test_danda_and_arabic_question_mark_end_sentences():
    assert len(r.split_sentences("यह आम है। डॉक्टर से मिलें।")) == 2
    assert len(r.split_sentences("ما هو الارتعاش؟ إنه شائع.")) == 2


BODY = """
## A heading is not scored

First sentence here. Second one with a [link](https://example.org) and **bold** words.

- a list item is a sentence
- so is this one

| Table | cells |
|---|---|
| are not | prose at all, however long the text in them happens to be |

!!! warning "A call-out title is not scored"
    Call-out text is scored.

<!-- a comment
is not scored -->

## Sources

- A source is not prose.
"""


def test_only_the_prose_is_scored():
    sentences = r.sentences_of(BODY, body_line=20)
    assert [(s.line, s.text) for s in sentences] == [
        (23, "First sentence here."),
        (23, "Second one with a link and bold words."),
        (25, "a list item is a sentence"),
        (26, "so is this one"),
        (33, "Call-out text is scored."),
    ]


# ---------------------------------------------------------------- formulas by hand

def test_flesch_kincaid_by_hand():
    # The(1) doctor(2) will(1) check(1) your(1) muscles(2) = 6 words, 8 syllables;
    # Most(1) twitches(2) are(1) harmless(2) = 4 words, 6 syllables.
    # FK = 0.39 × 10/2 + 11.8 × 14/10 − 15.59 = 1.95 + 16.52 − 15.59 = 2.88
    score = r.score_body("## Title\n\nThe doctor will check your muscles. Most twitches are "
                         "harmless.\n", 1, "en")
    assert (score.words, score.sentences, score.syllables) == (10, 2, 14)
    assert score.formula == "flesch-kincaid"
    assert score.value == approx(2.88)
    assert score.grade == approx(2.88)
    assert score.smog is None and "30 sentences" in score.smog_note
    assert score.ok


def test_smog_needs_thirty_sentences():
    # 30 × "Cats like potassium." — 30 polysyllables (po-tas-si-um) in 30 sentences:
    # SMOG = 1.0430 × √(30 × 30/30) + 3.1291 = 1.0430 × 5.47723 + 3.1291 = 8.8419
    body = " ".join(["Cats like potassium."] * 30)
    score = r.score_body(body, 1, "en")
    assert score.sentences == 30
    assert score.smog == approx(8.8419)
    fewer = r.score_body(" ".join(["Cats like potassium."] * 29), 1, "en")
    assert fewer.smog is None
    assert fewer.smog_note == "not computed (needs at least 30 sentences)"


def test_fernandez_huerta_by_hand():
    # El(1) ga-to(2) co-me(2) pan(1) / La(1) ca-sa(2) es(1) gran-de(2): 8 words, 12 syllables
    # FH = 206.84 − 60 × 12/8 − 1.02 × 8/2 = 206.84 − 90 − 4.08 = 112.76
    score = r.score_body("El gato come pan. La casa es grande.", 1, "es")
    assert (score.words, score.sentences, score.syllables) == (8, 2, 12)
    assert score.formula == "fernandez-huerta"
    assert score.value == approx(112.76)
    assert score.grade == approx(15 - 11.276)


def test_kandel_moles_by_hand():
    # Le chat mange du pain (5 syllables, mute e) / La mai-son est grande (5): 9 words
    # KM = 207 − 1.015 × 9/2 − 73.6 × 10/9 = 207 − 4.5675 − 81.7778 = 120.6547
    score = r.score_body("Le chat mange du pain. La maison est grande.", 1, "fr")
    assert (score.words, score.syllables) == (9, 10)
    assert score.value == approx(120.6547)


def test_wiener_sachtextformel_by_hand():
    # Der Arzt hilft dir. Die Be-we-gung ist ge-sund. 8 words, 2 sentences;
    # ≥ 3 syllables: 1 (12.5 %); > 6 letters: Bewegung (12.5 %); one syllable: 6 (75 %).
    # 0.1935 × 12.5 + 0.1672 × 4 + 0.1297 × 12.5 − 0.0327 × 75 − 0.875 = 1.3813
    score = r.score_body("Der Arzt hilft dir. Die Bewegung ist gesund.", 1, "de")
    assert score.formula == "wiener-sachtextformel"
    assert score.value == approx(1.3813)


def test_gulpease_by_hand():
    # Il gatto dorme. La casa è grande. 7 words, 2 sentences, 2+5+5+2+4+1+6 = 25 letters
    # G = 89 + (300 × 2 − 10 × 25) / 7 = 89 + 50 = 139
    score = r.score_body("Il gatto dorme. La casa è grande.", 1, "it")
    assert score.formula == "gulpease" and score.syllables is None
    assert score.value == approx(139)


def test_lix_by_hand_for_polish_and_arabic():
    # Kot śpi na kanapie. Pies biega po ogrodzie. 8 words, 2 sentences,
    # long (> 6 letters): kanapie, ogrodzie. LIX = 8/2 + 100 × 2/8 = 29 ≈ grade (29 − 8)/4
    score = r.score_body("Kot śpi na kanapie. Pies biega po ogrodzie.", 1, "pl")
    assert score.formula == "lix"
    assert score.value == approx(29)
    assert score.grade == approx(5.25)
    # ارتعاش (6 letters) العضلات (7) شائع (4) جدا (3): 4 words, 1 long, 1 sentence → 4 + 25
    assert r.score_body("ارتعاش العضلات شائع جدا.", 1, "ar").value == approx(29)


@pytest.mark.parametrize("formula", list(r.FORMULAS))
@pytest.mark.parametrize("grade", [4.0, 6.0, 8.0, 11.0])
def test_grade_mapping_round_trips(formula, grade):
    assert r.grade_equivalent(formula, r.target_value(formula, grade)) == approx(grade)


def test_documented_anchor_points():
    assert r.target_value("fernandez-huerta", 8) == 70
    assert r.target_value("kandel-moles", 8) == 70
    assert r.target_value("gulpease", 8) == 60
    assert r.target_value("lix", 8) == 40


def test_languages_pick_their_formula():
    assert [r.formula_for(lang).id for lang in ("en", "en-GB", "es", "fr", "de", "it", "pl",
                                                "ar", "hi")] == [
        "flesch-kincaid", "flesch-kincaid", "fernandez-huerta", "kandel-moles",
        "wiener-sachtextformel", "gulpease", "lix", "lix", "lix"]


def test_long_sentences_are_listed_with_their_line():
    long = " ".join(["word"] * 26) + "."
    score = r.score_body(f"Short one.\n\nAnother short one. And then\n{long}", 40, "en")
    assert [(s.line, s.words) for s in score.long_sentences] == [(42, 28)]


def test_no_prose_gives_no_score():
    assert r.score_body("## Only a heading\n\n| a | b |\n|---|---|\n| c | d |\n", 1, "en") is None
