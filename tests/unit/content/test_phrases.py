"""Marketing phrases: per-language lists, word boundaries, case and accent folding."""

from __future__ import annotations

from importlib import resources

import pytest

from parcelsms.domain.content.body_map import map_body
from parcelsms.domain.content.phrases import (
    PHRASE_PACKAGE,
    find_marketing_phrases,
    fold,
    lists_for_language,
    parse_phrase_list,
    shipped_phrase_lists,
)
from parcelsms.errors import ConfigError

REQUIRED_LANGUAGES = ["en", "es", "de", "fr", "pt", "it", "nl", "pl", "tr", "ja", "zh", "ar"]


def found(body: str, language: str) -> list[tuple[str, str]]:
    """(matched text, severity) for each phrase finding, in text order."""
    lists = lists_for_language(language, shipped_phrase_lists())
    findings = find_marketing_phrases(map_body(body), lists)
    assert all(f.code == "marketing_phrase" and f.field == "body" for f in findings)
    spans = sorted((f.span, f.severity) for f in findings if f.span is not None)
    return [(body[start:end], severity) for (start, end), severity in spans]


def test_every_required_language_has_a_list() -> None:
    assert set(REQUIRED_LANGUAGES) <= set(shipped_phrase_lists())


@pytest.mark.parametrize("language", sorted(shipped_phrase_lists()))
def test_every_shipped_file_explains_its_source_in_a_header(language: str) -> None:
    text = resources.files(PHRASE_PACKAGE).joinpath(f"{language}.toml").read_text("utf-8")
    header = text.split("\nname =")[0]
    assert "Where this list comes from" in header
    assert "Reasoning" in header
    phrase_list = shipped_phrase_lists()[language]
    assert any(rule.severity == "error" for rule in phrase_list.rules)
    assert any(rule.severity == "warning" for rule in phrase_list.rules)


@pytest.mark.parametrize(
    ("language", "body", "expected"),
    [
        (
            "en",
            "Your parcel has shipped. FREE delivery on your next order - buy now, limited "
            "time! Click here.",
            [("FREE", "error"), ("buy now", "error"), ("limited time", "error"),
             ("Click here", "error")],
        ),
        ("en", "Get 50% OFF today only", [("50% OFF", "error"), ("today only", "error")]),
        ("en", "You are a WINNER!", [("WINNER", "error")]),
        (
            "es",
            "Tu paquete ha salido. ¡Envío GRATIS y 20% de descuento con el cupón VERANO!",
            [("GRATIS", "error"), ("descuento", "error"), ("cupón", "error")],
        ),
        ("es", "Promoción válida solo hoy", [("Promoción", "error"), ("solo hoy", "error")]),
        (
            "de",
            "Ihr Paket ist unterwegs. Sommerrabatt mit Rabattcode, Gratisversand und "
            "kostenlose Rücksendung!",
            [("Sommerrabatt", "error"), ("Rabattcode", "error"), ("Gratisversand", "error"),
             ("kostenlose", "error")],
        ),
        ("de", "Echte SCHNÄPPCHEN, nur heute", [("SCHNÄPPCHEN", "error"), ("nur heute", "error")]),
        (
            "fr",
            "Votre colis est expédié. Livraison gratuite et code promo -20% : cliquez ici",
            [("gratuite", "error"), ("code promo", "error"), ("cliquez ici", "error")],
        ),
        ("fr", "Offre à durée limitée, c’est aujourd’hui seulement",
         [("Offre", "warning"), ("durée limitée", "error"),
          ("aujourd’hui seulement", "error")]),
        (
            "pt-BR",
            "Seu pedido saiu para entrega. Frete grátis e cupom de desconto!",
            [("grátis", "error"), ("cupom", "error"), ("desconto", "error")],
        ),
        ("pt", "PROMOCAO: voce ganhou", [("PROMOCAO", "error"), ("voce ganhou", "error")]),
        ("it", "Il tuo pacco è in consegna. Saldi: 30% di sconto!",
         [("Saldi", "error"), ("sconto", "error")]),
        ("nl", "Je pakket is onderweg. Gratis verzending met kortingscode!",
         [("Gratis", "error"), ("kortingscode", "error")]),
        ("pl", "Twoja paczka jest w drodze. DARMOWA dostawa i zniżka 20%!",
         [("DARMOWA", "error"), ("zniżka", "error")]),
        ("pl", "Wyprzedaz: znizki do -50%", [("Wyprzedaz", "error"), ("znizki", "error")]),
        ("tr", "Kargonuz yolda. İNDİRİM kampanyası: ücretsiz kargo!",
         [("İNDİRİM", "error"), ("kampanyası", "error"), ("ücretsiz", "error")]),
        ("ja", "お荷物を発送しました。期間限定セール、送料無料！",
         [("期間限定", "error"), ("セール", "error"), ("無料", "error")]),
        ("ja", "ｾｰﾙ開催中", [("ｾｰﾙ", "error")]),
        ("zh-Hans", "您的包裹已发货。限时优惠，全场包邮！",
         [("限时", "error"), ("优惠", "error"), ("包邮", "error")]),
        ("zh-Hant", "您的包裹已寄出。免費送貨，限時優惠！",
         [("免費", "error"), ("限時", "error"), ("優惠", "error")]),
        ("ar", "تم شحن طردك. خصم 20% والتوصيل بالمجان!",
         [("خصم", "error"), ("بالمجان", "error")]),
        ("ar", "توصيل مَجَّانِي لفترة محدودة",
         [("مَجَّانِي", "error"), ("لفترة محدودة", "error")]),
        ("ru", "Ваша посылка в пути. Скидка 20% по промокоду!",
         [("Скидка", "error"), ("промокоду", "error")]),
        ("ko", "(광고) 택배가 발송되었습니다. 무료배송 할인쿠폰",
         [("(광고)", "error"), ("무료", "error"), ("할인", "error"), ("쿠폰", "error")]),
    ],
)  # fmt: skip
def test_promotional_phrases_are_found_in_real_world_texts(
    language: str, body: str, expected: list[tuple[str, str]]
) -> None:
    assert found(body, language) == expected


@pytest.mark.parametrize(
    ("language", "body"),
    [
        ("en", "Your parcel 1Z999AA10123456784 is out for delivery today. Track it in the app."),
        ("en", "Feel free to call our toll-free number if the parcel is not delivered."),
        ("en", "Your parcel is duty-free; redelivery is free of charge. Pick a free slot."),
        ("en", "Your parcel is awaiting customs clearance."),
        ("en", "The freezer you ordered is in transit."),  # "free" inside a word
        ("es", "Tu paquete está en aduanas. Te avisaremos cuando sea liberado."),
        ("de", "Ihr Paket wird heute zugestellt. Fragen? Kostenlose Hotline 0800 123 456."),
        ("fr", "Remise de votre colis en main propre demain entre 9h et 12h."),
        ("fr", "Le solde de votre compte est de 12 €."),
        ("it", "Il tuo pacco è stato consegnato. Conserva lo scontrino."),
        ("nl", "Je afhaalpunt is tijdelijk gesloten; je pakket ligt bij het postkantoor."),
        ("pl", "Paczka czeka w paczkomacie. Bezpłatna infolinia: 800 100 100."),
        ("ja", "お荷物をお届けしました。再配達は無料です。"),
        ("zh", "您的包裹已到达驿站，请领取。免费电话：400-000-0000"),
        ("ru", "Посылка прибыла. Бесплатный номер: 8 800 000-00-00"),
        ("ar", "تم تسليم طردك بنجاح. شكرا لك"),
    ],
)
def test_service_notices_have_no_promotional_phrase(language: str, body: str) -> None:
    assert found(body, language) == []


def test_english_words_are_checked_in_every_language() -> None:
    assert found("Ihr Paket ist da. BLACK FRIDAY Sale!", "de") == [
        ("BLACK FRIDAY", "error"),
        ("Sale", "warning"),
    ]


def test_a_language_without_a_list_gets_the_english_list() -> None:
    assert found("Paket anda dikirim. FREE ongkir!", "id") == [("FREE", "error")]


def test_a_phrase_inside_a_longer_reported_phrase_is_reported_once() -> None:
    # "promo" is in both the English and the Spanish list: one finding, not two.
    assert found("Usa el promo", "es") == [("promo", "error")]
    assert found("Get 100% free shipping", "en") == [("100% free", "error")]


def test_placeholders_break_phrases_and_are_never_matched() -> None:
    assert found("Buy {item} now {free}", "en") == []


def test_weak_phrases_are_warnings() -> None:
    assert found("A gift for you is on its way", "en") == [("gift", "warning")]


def test_fullwidth_latin_is_folded_to_ascii() -> None:
    assert found("ＦＲＥＥ shipping", "en") == [("ＦＲＥＥ", "error")]


def test_folding_maps_each_folded_character_to_its_source() -> None:
    folded, origin = fold("Straße İ é\u0301")
    assert folded == "strasse i e"
    assert origin == (0, 1, 2, 3, 4, 4, 5, 6, 7, 8, 9)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("name = 'X'\nstrong = ['a']\nextra = []", "test.toml"),
        ("strong = ['a']", "test.toml: name"),
        ("name = 'X'\nstrong = 'free'", "test.toml: strong"),
        ("name = 'X'\nstrong = ['ok', '']", "test.toml: strong[1]"),
        ("name = 'X'\nstrong = ['fr*ee']", "test.toml: strong[0]"),
        ("name = 'X'\nstrong = ['Free']\nweak = ['free']", "test.toml: weak[0]"),
        ("name = 'X'", "test.toml"),
        ("name = 'X'\nstrong = [", "test.toml"),
    ],
)
def test_a_broken_phrase_file_is_refused_naming_the_key(text: str, key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_phrase_list(text, "xx", source="test.toml")
    assert raised.value.key == key
