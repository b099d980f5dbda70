"""Tests of implicit_bias.book: the chapters' seeds and the BOOK_SEED override."""

import pytest
from implicit_bias.book import book_seed, book_seeds


def test_default_without_environment(monkeypatch):
    monkeypatch.delenv("BOOK_SEED", raising=False)
    assert book_seed(7) == 7
    assert book_seeds(4, default_start=10) == [10, 11, 12, 13]


def test_environment_overrides_and_sets_are_disjoint(monkeypatch):
    monkeypatch.setenv("BOOK_SEED", "3")
    assert book_seed(7) == 3
    three = set(book_seeds(24))
    monkeypatch.setenv("BOOK_SEED", "4")
    four = set(book_seeds(24))
    assert len(three) == len(four) == 24
    assert not three & four
    monkeypatch.setenv("BOOK_SEED", " ")
    assert book_seed(7) == 7


@pytest.mark.parametrize("raw", ["abc", "1.5", "-2"])
def test_bad_environment_value_is_named(monkeypatch, raw):
    monkeypatch.setenv("BOOK_SEED", raw)
    with pytest.raises(ValueError, match="BOOK_SEED"):
        book_seed(0)


@pytest.mark.parametrize("bad", [-1, 1.0, True, "0", None])
def test_bad_default(monkeypatch, bad):
    monkeypatch.delenv("BOOK_SEED", raising=False)
    with pytest.raises(TypeError, match="default"):
        book_seed(bad)


@pytest.mark.parametrize("n", [0, 1001, 2.0])
def test_bad_count(n):
    with pytest.raises(ValueError, match="n must be"):
        book_seeds(n)
