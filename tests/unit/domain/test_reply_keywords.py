"""Opt-out and opt-in keywords: the whole reply, compared without case, spacing or edge
punctuation; the packaged file is valid and a word cannot mean both."""

from __future__ import annotations

import pytest

from parcelsms.domain.reply_keywords import (
    ReplyKeyword,
    packaged_reply_keywords,
    parse_reply_keywords,
)
from parcelsms.errors import ConfigError

KEYWORDS = packaged_reply_keywords()


@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", " Stop. ", "STOP ALL", "stop   all", "Unsubscribe!", "ARRET", "Arrêt",
     "baja", "退订", "TD", "「退订」", "ＳＴＯＰ", "Quit", "END", "cancel"],
)  # fmt: skip
def test_opt_out_words_are_recognised_in_any_case_and_spacing(text: str) -> None:
    assert KEYWORDS.classify(text) is ReplyKeyword.OPT_OUT


@pytest.mark.parametrize("text", ["START", "start", "Unstop", "yes!", "订阅"])
def test_opt_in_words_are_recognised(text: str) -> None:
    assert KEYWORDS.classify(text) is ReplyKeyword.OPT_IN


@pytest.mark.parametrize(
    "text",
    ["Please stop sending me these", "stop?? where is my parcel", "STOPPED", "", "   ", "Hello"],
)
def test_a_sentence_that_merely_contains_a_keyword_is_not_one(text: str) -> None:
    assert KEYWORDS.classify(text) is None


def test_a_word_in_both_lists_is_refused_with_its_key() -> None:
    document = {"version": "1", "opt_out": {"en": ["STOP"]}, "opt_in": {"en": ["start", " stop."]}}
    with pytest.raises(ConfigError) as raised:
        parse_reply_keywords(document)
    assert raised.value.key == "opt_in.en[1]"


def test_an_empty_list_is_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_reply_keywords({"version": "1", "opt_out": {"en": []}, "opt_in": {"en": ["X"]}})
    assert raised.value.key == "opt_out.en"
