"""Loading the TOML configuration with environment overrides, and its validation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from parcelsms.config import (
    DEFAULT_DATABASE_URL,
    SIMULATOR_CHANNEL_NAME,
    load_config,
    resolve_config_path,
)
from parcelsms.config.values import parse_duration
from parcelsms.domain.pricing import PriceList
from parcelsms.domain.route_plans import route
from parcelsms.domain.routing import MessageFacts, RouteTable
from parcelsms.errors import CatalogueError, ConfigError

CHANNEL = """
[[channels]]
name = "eu"
host = "127.0.0.1"
port = 2775
system_id = "acme"
password = "secret"
"""

FULL = (
    """
[server]
host = "0.0.0.0"
port = 9000
public_url = "https://sms.example.com"

[database]
url = "sqlite+aiosqlite:////var/lib/parcelsms/db.sqlite"

[security]
pepper = "0123456789abcdef0123"
"""
    + CHANNEL
    + """
bind = "transmitter_receiver"
window = 50
tps = 25
sessions = 2
enquire_link_interval = 15
source_ton = 5
source_npi = 0
default_sender_id = "ParcelCo"

[[channels]]
name = "latam"
host = "10.0.0.5"
port = 2776
system_id = "acme2"
password = "pw"

[[routes]]
countries = ["*"]
channels = ["eu"]

[[routes]]
countries = ["MX", "BR"]
channels = ["latam", "eu"]

[prices]
default = "0.05"

[prices.countries]
ES = "0.04"
MX = 0.0315
BR = 1

[dispatch]
max_segments = 6
validity = "2d"
refund_on_carrier_reject = true
unknown_outcome_policy = "assume_submitted"

[webhooks]
allow_private_targets = true
max_attempts = 5
timeout_seconds = 2.5

[simulator]
scenario = "scenarios/happy.toml"

[logging]
level = "debug"
format = "console"
"""
)


def plan_for(table: RouteTable, country: str) -> tuple[str, ...]:
    """The plan of a message to ``country`` (no other filter in these tables)."""
    return route(MessageFacts(country=country, e164=""), table)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "parcelsms.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str, environ: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return load_config(write(tmp_path, text), environ or {})


def config_error(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, text, environ)
    return caught.value


def test_no_file_gives_defaults_and_the_embedded_simulator() -> None:
    settings = load_config(None, {})
    assert (settings.server.host, settings.server.port) == ("127.0.0.1", 8080)
    assert settings.database.url == DEFAULT_DATABASE_URL
    assert settings.security.pepper is None
    assert settings.dispatch.max_segments == 10
    assert settings.dispatch.validity == timedelta(hours=48)
    assert settings.dispatch.unknown_outcome_policy == "resend"
    assert settings.webhooks.max_attempts == 0  # no limit by count: a day of retries
    assert settings.webhooks.retry_window == timedelta(hours=24)
    assert settings.webhooks.lease_seconds == 5.0
    assert not settings.webhooks.allow_private_targets
    assert (settings.logging.level, settings.logging.format) == ("info", "json")
    assert settings.simulator_embedded
    assert settings.channel_names() == (SIMULATOR_CHANNEL_NAME,)
    assert plan_for(settings.route_table(), "ES") == (SIMULATOR_CHANNEL_NAME,)
    assert settings.price_list() == PriceList(50_000, {})


def test_a_full_file_is_read_into_typed_settings(tmp_path: Path) -> None:
    settings = load_text(tmp_path, FULL)
    assert settings.server.port == 9000
    assert settings.server.public_url == "https://sms.example.com"
    eu, latam = settings.channels
    assert (eu.bind, eu.window, eu.tps, eu.sessions) == ("transmitter_receiver", 50, 25.0, 2)
    assert (eu.enquire_link_interval, eu.response_timeout) == (15.0, 10.0)
    assert (eu.source_ton, eu.source_npi, eu.default_sender_id) == (5, 0, "ParcelCo")
    assert (latam.kind, latam.bind, latam.window, latam.system_type) == (
        "smpp",
        "transceiver",
        100,
        "",
    )
    assert settings.dispatch.validity == timedelta(days=2)
    assert settings.dispatch.refund_on_carrier_reject
    assert settings.webhooks.timeout_seconds == 2.5
    assert not settings.simulator_embedded
    assert settings.channel_names() == ("eu", "latam")
    assert settings.simulator.scenario == str(tmp_path / "scenarios" / "happy.toml")


def test_domain_objects_come_from_the_settings(tmp_path: Path) -> None:
    settings = load_text(tmp_path, FULL)
    prices = settings.price_list()
    assert prices.price_per_segment("ES") == 40_000
    assert prices.price_per_segment("MX") == 31_500
    assert prices.price_per_segment("BR") == 1_000_000
    assert prices.price_per_segment("FR") == 50_000
    routes = settings.route_table()
    assert plan_for(routes, "MX") == ("latam", "eu")
    assert plan_for(routes, "DE") == ("eu",)


def test_without_routes_every_country_uses_all_channels_in_file_order(tmp_path: Path) -> None:
    second = CHANNEL.replace('"eu"', '"backup"')
    settings = load_text(tmp_path, CHANNEL + second)
    assert plan_for(settings.route_table(), "JP") == ("eu", "backup")


def test_explicit_embedded_simulator_is_an_extra_channel(tmp_path: Path) -> None:
    text = CHANNEL + '[simulator]\nembedded = true\n[[routes]]\ncountries=["*"]\n'
    text += 'channels = ["simulator", "eu"]\n'
    settings = load_text(tmp_path, text)
    assert plan_for(settings.route_table(), "ES") == ("simulator", "eu")


CHANNEL_FIELDS = CHANNEL.split("[[channels]]\n")[1]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[server]\nport = 70000\n", "server.port"),
        ('[server]\nport = "80"\n', "server.port"),
        ("[server]\nprot = 80\n", "server.prot"),
        ("[servr]\nport = 80\n", "servr"),
        ('[server]\npublic_url = "sms.example.com"\n', "server.public_url"),
        ('[database]\nurl = "parcelsms.db"\n', "database.url"),
        ('[security]\npepper = "short"\n', "security.pepper"),
        (CHANNEL + "window = 0\n", "channels[0].window"),
        (CHANNEL + "window = 1001\n", "channels[0].window"),
        (CHANNEL + "tps = 0\n", "channels[0].tps"),
        (CHANNEL + "sessions = 17\n", "channels[0].sessions"),
        (CHANNEL + 'bind = "receiver"\n', "channels[0].bind"),
        (CHANNEL + 'kind = "http"\n', "channels[0].kind"),
        (CHANNEL + "response_timeout = -1\n", "channels[0].response_timeout"),
        (CHANNEL + "source_ton = 256\n", "channels[0].source_ton"),
        (CHANNEL + "colour = 1\n", "channels[0].colour"),
        (CHANNEL + CHANNEL.replace("2775", "0"), "channels[1].port"),
        (CHANNEL + CHANNEL, "channels[1].name"),
        (CHANNEL.replace('password = "secret"', ""), "channels[0].password"),
        (CHANNEL.replace('"acme"', '"a-very-long-system-id"'), "channels[0].system_id"),
        (CHANNEL.replace('"secret"', '"123456789"'), "channels[0].password"),
        (CHANNEL.replace('"eu"', '"e u"'), "channels[0].name"),
        (
            CHANNEL.replace('"eu"', '"simulator"') + "[simulator]\nembedded = true\n",
            "channels[0].name",
        ),
        ('[[routes]]\ncountries = ["ES"]\nchannels = ["nope"]\n', "routes[0].channels"),
        (
            CHANNEL + '[[routes]]\ncountries = ["ES"]\nchannels = ["eu"]\n'
            '[[routes]]\ncountries = ["UK"]\nchannels = ["eu"]\n',
            "routes[1].countries",
        ),
        (CHANNEL + '[[routes]]\ncountries = ["ES"]\n', "routes[0].channels"),
        ('[prices]\ndefault = "-0.01"\n', "prices.default"),
        ('[prices]\ndefault = "cheap"\n', "prices.default"),
        ('[prices]\ndefault = "0.0000001"\n', "prices.default"),
        ("[prices]\ndefault = true\n", "prices.default"),
        ('[prices.countries]\nES = "abc"\n', "prices.countries.ES"),
        ("[prices.countries]\nES = [1]\n", "prices.countries.ES"),
        ('[prices.countries]\nUK = "0.04"\n', "prices.countries.UK"),
        ("[dispatch]\nmax_segments = 0\n", "dispatch.max_segments"),
        ('[dispatch]\nvalidity = "2 days"\n', "dispatch.validity"),
        ('[dispatch]\nvalidity = "0s"\n', "dispatch.validity"),
        ('[dispatch]\nunknown_outcome_policy = "guess"\n', "dispatch.unknown_outcome_policy"),
        ("[webhooks]\nmax_attempts = -1\n", "webhooks.max_attempts"),
        ('[webhooks]\nretry_window = "a day"\n', "webhooks.retry_window"),
        ("[webhooks]\nretry_base_seconds = 60\nretry_cap_seconds = 5\n", "webhooks"),
        ("[webhooks]\nendpoint_concurrency = 0\n", "webhooks.endpoint_concurrency"),
        ("[webhooks]\nlease_seconds = 0.1\n", "webhooks.lease_seconds"),
        ("[webhooks]\ntimeout_seconds = 0\n", "webhooks.timeout_seconds"),
        ('[logging]\nlevel = "loud"\n', "logging.level"),
        ('[logging]\nformat = "xml"\n', "logging.format"),
        ("[simulator]\nembedded = false\n", "channels"),
        ("colour = 1\n", "colour"),
        ('[server]\ntrusted_proxies = ["*"]\n', "server.trusted_proxies[0]"),
        ('[server]\ntrusted_proxies = ["127.0.0.1", "10.0.0.1/8"]\n', "server.trusted_proxies[1]"),
        ('[server]\ntrusted_proxies = ["proxy.example.com"]\n', "server.trusted_proxies[0]"),
        (CHANNEL + 'message_id_format = "guess"\n', "channels[0].message_id_format"),
        ('[receipts]\nearly_window = "soon"\n', "receipts.early_window"),
        ("[receipts]\nmemory_seconds = 0\n", "receipts.memory_seconds"),
    ],
)
def test_every_validation_error_names_its_key(tmp_path: Path, text: str, key: str) -> None:
    assert config_error(tmp_path, text).key == key


def test_no_proxy_is_trusted_unless_configured_and_configured_ones_become_networks(
    tmp_path: Path,
) -> None:
    assert load_config(None, {}).server.trusted_proxies == ()
    path = tmp_path / "parcelsms.toml"
    path.write_text('[server]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1"]\n')
    settings = load_config(path, {})
    assert settings.server.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")


def test_a_bad_trusted_proxy_says_how_to_write_one(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[server]\ntrusted_proxies = ["10.0.0.1/8"]\n')
    assert "CIDR" in str(error)
    assert "host bits" in str(error)


def test_receipt_settings_and_a_channels_id_format_are_read(tmp_path: Path) -> None:
    settings = load_text(
        tmp_path,
        CHANNEL
        + 'message_id_format = "hex_response_decimal_receipt"\n'
        + '[receipts]\nearly_window = "2s"\npending_ttl = "24h"\n',
    )
    assert settings.channels[0].message_id_format == "hex_response_decimal_receipt"
    assert settings.receipts.early_window == timedelta(seconds=2)
    assert settings.receipts.pending_ttl == timedelta(hours=24)
    assert load_config(None, {}).channels == ()
    assert load_config(None, {}).receipts.pending_ttl == timedelta(hours=72)


def test_unknown_key_message_asks_to_check_the_spelling(tmp_path: Path) -> None:
    error = config_error(tmp_path, "[server]\nprot = 80\n")
    assert "unknown setting" in str(error)
    assert str(error).startswith("server.prot: ")


def test_route_error_lists_the_configured_channels(tmp_path: Path) -> None:
    error = config_error(tmp_path, CHANNEL + '[[routes]]\ncountries=["ES"]\nchannels=["x"]\n')
    assert "'x'" in str(error)
    assert "eu" in str(error)


def test_toml_syntax_error_is_a_config_error(tmp_path: Path) -> None:
    error = config_error(tmp_path, "[server\nport = 1\n")
    assert "not valid TOML" in str(error)
    assert "line 1" in str(error)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "absent.toml", {})


# --- environment overrides -------------------------------------------------------------


def test_environment_overrides_file_values(tmp_path: Path) -> None:
    settings = load_text(
        tmp_path,
        FULL,
        {
            "PARCELSMS_SERVER__PORT": "9100",
            "PARCELSMS_DATABASE__URL": "sqlite+aiosqlite:///other.db",
            "PARCELSMS_WEBHOOKS__ALLOW_PRIVATE_TARGETS": "false",
            "PARCELSMS_DISPATCH__VALIDITY": "15m",
            "PARCELSMS_CHANNELS__1__PASSWORD": "123456",
            "PARCELSMS_CHANNELS__0__TPS": "12.5",
            "PARCELSMS_PRICES__COUNTRIES__FR": "0.07",
            "PARCELSMS_ROUTES__1__COUNTRIES": '["MX", "AR"]',
        },
    )
    assert settings.server.port == 9100
    assert settings.database.url == "sqlite+aiosqlite:///other.db"
    assert not settings.webhooks.allow_private_targets
    assert settings.dispatch.validity == timedelta(minutes=15)
    assert settings.channels[1].password == "123456"
    assert settings.channels[0].tps == 12.5
    assert settings.price_list().price_per_segment("FR") == 70_000
    assert plan_for(settings.route_table(), "AR") == ("latam", "eu")


def test_environment_alone_configures_without_a_file() -> None:
    settings = load_config(
        None, {"PARCELSMS_SERVER__PORT": "0", "PARCELSMS_SECURITY__PEPPER": "x" * 32}
    )
    assert settings.server.port == 0
    assert settings.security.pepper == "x" * 32


def test_a_new_list_item_can_be_added_at_the_next_index(tmp_path: Path) -> None:
    environ = {
        f"PARCELSMS_CHANNELS__1__{key.upper()}": value
        for key, value in {
            "name": "extra",
            "host": "127.0.0.1",
            "port": "2800",
            "system_id": "x",
            "password": "y",
        }.items()
    }
    settings = load_text(tmp_path, CHANNEL, environ)
    assert [channel.name for channel in settings.channels] == ["eu", "extra"]
    assert settings.channels[1].port == 2800


def test_variables_without_double_underscore_are_not_overrides(tmp_path: Path) -> None:
    settings = load_text(tmp_path, CHANNEL, {"PARCELSMS_CONFIG": "x.toml", "PARCELSMS_X": "1"})
    assert settings.channels[0].name == "eu"


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("PARCELSMS_SERVER__PROT", "1", "server.prot"),
        ("PARCELSMS_NOPE__X", "1", "nope"),
        ("PARCELSMS_SERVER__PORT", "eighty", "server.port"),
        ("PARCELSMS_SERVER__PORT__X", "1", "server.port"),
        ("PARCELSMS_CHANNELS__5__PORT", "1", "channels"),
        ("PARCELSMS_CHANNELS__X__PORT", "1", "channels"),
        ("PARCELSMS_CHANNELS__0__WINDOW", "0", "channels[0].window"),
        ("PARCELSMS_DISPATCH__VALIDITY", "soon", "dispatch.validity"),
        ("PARCELSMS_PRICES__COUNTRIES__XX", "0.1", "prices.countries.XX"),
    ],
)
def test_bad_environment_overrides_name_the_key_and_the_variable(
    tmp_path: Path, variable: str, value: str, key: str
) -> None:
    error = config_error(tmp_path, CHANNEL, {variable: value})
    assert error.key == key
    assert variable in str(error)


# --- durations and file resolution -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("48h", timedelta(hours=48)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(minutes=90)),
        ("1.5h", timedelta(minutes=90)),
        (" 10S ", timedelta(seconds=10)),
        (3600, timedelta(hours=1)),
        (0.5, timedelta(milliseconds=500)),
    ],
)
def test_durations_parse(text: str | int | float, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "10", "10x", "h", "-5s", "0s", "5 m", "1h-30m", True, None])
def test_bad_durations_say_how_to_write_one(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_cli_path_wins_over_environment_and_default(tmp_path: Path) -> None:
    (tmp_path / "parcelsms.toml").write_text("", encoding="utf-8")
    environ = {"PARCELSMS_CONFIG": "env.toml"}
    assert resolve_config_path("cli.toml", environ, tmp_path) == tmp_path / "cli.toml"
    assert resolve_config_path(Path("/etc/p.toml"), environ, tmp_path) == Path("/etc/p.toml")


def test_environment_names_the_file_when_no_cli_path(tmp_path: Path) -> None:
    (tmp_path / "parcelsms.toml").write_text("", encoding="utf-8")
    found = resolve_config_path(None, {"PARCELSMS_CONFIG": "env.toml"}, tmp_path)
    assert found == tmp_path / "env.toml"


def test_default_file_is_used_only_when_present(tmp_path: Path) -> None:
    assert resolve_config_path(None, {}, tmp_path) is None
    (tmp_path / "parcelsms.toml").write_text("", encoding="utf-8")
    assert resolve_config_path(None, {}, tmp_path) == tmp_path / "parcelsms.toml"


def test_route_table_from_settings_raises_unsupported_country(tmp_path: Path) -> None:
    settings = load_text(tmp_path, CHANNEL + '[[routes]]\ncountries=["ES"]\nchannels=["eu"]\n')
    with pytest.raises(CatalogueError) as caught:
        plan_for(settings.route_table(), "FR")
    assert caught.value.code == "unsupported_country"


def test_list_items_added_from_the_environment_follow_numeric_order() -> None:
    environ: dict[str, str] = {}
    for index in range(11):
        for key, value in {
            "name": f"c{index}",
            "host": "127.0.0.1",
            "port": str(2000 + index),
            "system_id": "x",
            "password": "y",
        }.items():
            environ[f"PARCELSMS_CHANNELS__{index}__{key.upper()}"] = value
    settings = load_config(None, environ)
    assert [channel.name for channel in settings.channels] == [f"c{i}" for i in range(11)]


def test_the_takeover_time_of_pipeline_leases_defaults_to_ten_seconds_and_is_bounded(
    tmp_path: Path,
) -> None:
    assert load_config(None, {}).cluster.takeover == timedelta(seconds=10)
    assert load_text(tmp_path, "[cluster]\ntakeover_seconds = 30\n").cluster.takeover_seconds == 30
    error = config_error(tmp_path, "[cluster]\ntakeover_seconds = 1\n")
    assert error.key == "cluster.takeover_seconds"
    assert ">= 3" in str(error)
