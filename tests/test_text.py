from arabic_news_ie.text import is_boilerplate, noise_lines, normalize_word, sentences, words

SEED_TAIL = (
    "مقتل قيادي في حلب\nولايتي يؤكد التعاون\nمقتل قيادي في حلب\nلم تشترك بعد\nانشئ حساباً خاصاً بك لتحصل على أخبار"
)


def test_words_split_punctuation_but_keep_clitics():
    text = "وصل بطهران، «جنيف3» (د ب أ)"
    assert [text[s:e] for s, e in words(text)] == ["وصل", "بطهران", "،", "«", "جنيف3", "»", "(", "د", "ب", "أ", ")"]


def test_words_keep_diacritics_and_tatweel_inside():
    text = "مـــصر قُتل"
    assert [text[s:e] for s, e in words(text)] == ["مـــصر", "قُتل"]


def test_normalize_word_maps_persian_letters_and_drops_marks():
    assert normalize_word("ولایتي") == "ولايتي"
    assert normalize_word("موسکو") == "موسكو"
    assert normalize_word("مـــصر") == "مصر"
    assert normalize_word("قُتِلَ") == "قتل"
    assert normalize_word("\u200f") == "\u200f"  # a word of marks only stays itself (never empty)


def test_sentences_split_on_arabic_and_latin_ends_and_newlines():
    text = "قال الوزير. وأضاف؟ نعم!\nسطر جديد بلا نقطة\nبلغ النمو 3.5 في المئة."
    assert [text[s:e] for s, e in sentences(text)] == [
        "قال الوزير.",
        "وأضاف؟",
        "نعم!",
        "سطر جديد بلا نقطة",
        "بلغ النمو 3.5 في المئة.",
    ]


def test_sentences_cover_every_non_space_character():
    text = "  أ. ب؟\n\n ج  "
    covered = set()
    for s, e in sentences(text):
        covered.update(range(s, e))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_noise_lines_find_repeated_headline_and_boilerplate():
    start = SEED_TAIL.index("مقتل", 5)
    found = [SEED_TAIL[s:e] for s, e in noise_lines(SEED_TAIL)]
    assert found == ["مقتل قيادي في حلب", "لم تشترك بعد", "انشئ حساباً خاصاً بك لتحصل على أخبار"]
    assert noise_lines(SEED_TAIL)[0][0] == start


def test_boilerplate_is_not_ordinary_news():
    assert is_boilerplate("لم تشترك بعد")
    assert not is_boilerplate("قال الرئيس إن المحادثات مستمرة")
