"""check_template on real-world templates: every finding, with its code, severity and span."""

from __future__ import annotations

from parcelsms.domain.content_checks import Finding, VariableSpec, check_template

TRACKING = VariableSpec("tracking_number", "tracking_number", 22)
SHOP = VariableSpec("shop", "text", 30)
ETA = VariableSpec("eta", "date", 16)
LINK = VariableSpec("tracking_link", "link", 60)


def run(
    body: str,
    language: str,
    declared: list[VariableSpec] | None,
    domains: list[str] | None = None,
) -> list[tuple[str, str, str, str]]:
    """(code, severity, spanned text or "", field) of every finding, in the returned order."""
    result: list[Finding] = check_template(
        body,
        language,
        declared_variables=None if declared is None else {s.name: s for s in declared},
        allowed_link_domains=["example.com"] if domains is None else domains,
    )
    return [
        (f.code, f.severity, body[f.span[0] : f.span[1]] if f.span else "", f.field) for f in result
    ]


def test_a_clean_english_notice_has_only_the_value_encoding_warning() -> None:
    body = "{shop}: your parcel {tracking_number} is out for delivery today. Expected by {eta}."
    assert run(body, "en", [SHOP, TRACKING, ETA]) == [
        ("forces_ucs2", "warning", "{shop}", "variables.shop"),
    ]


def test_a_notice_with_a_link_variable_has_no_link_finding() -> None:
    body = "Your parcel {tracking_number} has shipped. Track it: {tracking_link}"
    # 29 fixed characters of at most 36 + 22 + 60 = 118: under 30 %.
    assert run(body, "en", [TRACKING, LINK]) == [
        ("mostly_variable", "warning", body, "body"),
    ]


def test_an_english_promotional_template() -> None:
    body = (
        "{shop}: your parcel {tracking_number} shipped! Get 20% OFF your next order with code "
        "SAVE20 - click here: bit.ly/sh0p"
    )
    assert run(body, "en", [SHOP, TRACKING, ETA]) == [
        ("marketing_phrase", "error", "20% OFF", "body"),
        ("marketing_phrase", "error", "click here", "body"),
        ("url_shortener", "error", "bit.ly/sh0p", "body"),
        ("forces_ucs2", "warning", "{shop}", "variables.shop"),
        ("unused_variable", "warning", "", "variables.eta"),
    ]


def test_a_spanish_template_with_a_foreign_link_and_typographic_quotes() -> None:
    body = (
        "Tu paquete {tracking_number} llegará mañana. Sigue el envío en "
        "https://seguimiento.ejemplo.es/{tracking_number} – “gracias”"
    )
    # GSM-7 has à, ì and ñ but not á or í.
    assert run(body, "es", [TRACKING]) == [
        ("link_domain_not_allowed", "error", "https://seguimiento.ejemplo.es/", "body"),
        ("forces_ucs2", "warning", "á", "body"),
        ("forces_ucs2", "warning", "í", "body"),
        ("forces_ucs2", "warning", "–", "body"),
        ("forces_ucs2", "warning", "“", "body"),
        ("forces_ucs2", "warning", "”", "body"),
        ("length_exceeds_segments", "warning", "", "body"),
    ]


def test_a_german_template_with_an_undeclared_variable_and_a_discount() -> None:
    body = "Ihr Paket {tracking_number} kommt am {datum}. Jetzt 10 % Rabatt sichern!"
    # mostly variable: 38 fixed characters of at most 48 + 22 + 80 (undeclared) = 150.
    assert run(body, "de", [TRACKING]) == [
        ("undeclared_variable", "error", "{datum}", "body"),
        ("marketing_phrase", "error", "Rabatt", "body"),
        ("mostly_variable", "warning", body, "body"),
        ("forces_ucs2", "warning", "{datum}", "variables.datum"),
    ]


def test_a_french_template_with_guillemets_and_a_promo_code() -> None:
    body = "Votre colis {tracking_number} est « en livraison ». Code promo BIENVENUE."
    assert run(body, "fr", [TRACKING]) == [
        ("marketing_phrase", "error", "Code promo", "body"),
        ("forces_ucs2", "warning", "«", "body"),
        ("forces_ucs2", "warning", "»", "body"),
        ("length_exceeds_segments", "warning", "", "body"),
    ]


def test_a_brazilian_template_written_without_accents_is_gsm7_and_clean() -> None:
    body = "Seu pedido {tracking_number} saiu para entrega e chega hoje. Obrigado pela compra!"
    assert run(body, "pt-BR", [TRACKING]) == []


def test_a_chinese_template_with_a_promotion() -> None:
    body = "【{shop}】您的包裹{tracking_number}已发货，预计{eta}送达。限时优惠，点击领取！"
    # mostly variable: 25 fixed characters of at most 25 + 30 + 22 + 16 = 93 (27 %);
    # UCS-2: 93 units need 2 parts of 67.
    assert run(body, "zh-Hans", [SHOP, TRACKING, ETA]) == [
        ("marketing_phrase", "error", "限时", "body"),
        ("marketing_phrase", "error", "优惠", "body"),
        ("mostly_variable", "warning", body, "body"),
        ("forces_ucs2", "warning", "您", "body"),  # the first letter; 【 is punctuation
        ("marketing_phrase", "warning", "点击", "body"),
        ("length_exceeds_segments", "warning", "", "body"),
    ]


def test_a_japanese_template_with_free_redelivery_is_a_service_notice() -> None:
    body = "{shop}です。お荷物（{tracking_number}）は{eta}にお届け予定です。再配達は無料です。"
    # mostly variable: 27 fixed characters of at most 27 + 30 + 22 + 16 = 95 (28 %).
    assert run(body, "ja", [SHOP, TRACKING, ETA]) == [
        ("mostly_variable", "warning", body, "body"),
        ("forces_ucs2", "warning", "で", "body"),
        ("length_exceeds_segments", "warning", "", "body"),
    ]


def test_an_arabic_template_with_a_discount_and_an_allowed_link() -> None:
    body = "تم شحن طردك {tracking_number}. تتبع: https://track.example.com/ar واحصل على خصم ١٠٪"
    assert run(body, "ar", [TRACKING]) == [
        ("marketing_phrase", "error", "خصم", "body"),
        ("forces_ucs2", "warning", "ت", "body"),
        ("length_exceeds_segments", "warning", "", "body"),
    ]


def test_mixed_scripts_and_emoji_in_one_template() -> None:
    body = "📦 {shop}: Ваш заказ {tracking_number} shipped ✅"
    # mostly variable: 18 fixed characters (under 20); UCS-2 at most 25 + 30 + 22 = 77 units.
    # One finding for the script (its first letter), none for the emoji it already pays for.
    assert run(body, "ru", [SHOP, TRACKING]) == [
        ("mostly_variable", "warning", body, "body"),
        ("forces_ucs2", "warning", "В", "body"),
        ("length_exceeds_segments", "warning", "", "body"),
    ]


def test_an_all_variable_template_with_a_syntax_error_reports_only_the_syntax() -> None:
    assert run("{shop} {Tracking}", "en", [SHOP]) == [
        ("placeholder_syntax", "error", "{Tracking}", "body"),
    ]


def test_an_all_variable_template() -> None:
    assert run("{shop}: {tracking_number}", "en", [SHOP, TRACKING]) == [
        ("all_variable", "error", "{shop}: {tracking_number}", "body"),
        ("forces_ucs2", "warning", "{shop}", "variables.shop"),
    ]


def test_findings_come_errors_first_then_by_position() -> None:
    body = "Free gift… bit.ly/x {a}"
    result = check_template(body, "en", declared_variables={}, allowed_link_domains=[])
    severities = [f.severity for f in result]
    assert severities == sorted(severities, key=lambda s: s != "error")
    errors = [f.span[0] for f in result if f.severity == "error" and f.span]
    assert errors == sorted(errors)
