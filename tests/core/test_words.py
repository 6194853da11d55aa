from core.platform.words import counted


def test_one_is_singular_and_every_other_count_plural() -> None:
    assert counted(1, "page") == "1 page"
    assert counted(0, "page") == "0 pages"
    assert counted(2, "page") == "2 pages"
    assert counted(-1, "page") == "-1 pages"


def test_an_irregular_plural_is_given_and_thousands_are_grouped() -> None:
    assert counted(1, "entry", "entries") == "1 entry"
    assert counted(1_204, "entry", "entries") == "1,204 entries"
