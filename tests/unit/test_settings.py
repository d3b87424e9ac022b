"""Settings read once from KEFU_* environment variables, and the deadline spec they carry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.domain.deadlines import DeadlinePolicy, Priority, ResponseTimes
from kefu.settings import Settings, SettingsError, parse_deadlines
from kefu.store.database import DEFAULT_DATABASE_URL

DEFAULT_SPEC = "urgent=10m/4h,important=1h/24h,normal=4h/72h"


def test_without_kefu_variables_the_settings_are_the_defaults() -> None:
    settings = Settings.from_env({})

    assert settings == Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///var/kefu.sqlite3"
    assert (settings.api_tokens, settings.api_tokens_file) == ("", "")
    assert settings.deadlines == DEFAULT_SPEC
    assert settings.timezone == "Asia/Shanghai"
    assert settings.read_wait_seconds == 2.0


def test_the_default_deadlines_are_the_call_centre_ones() -> None:
    policy = Settings.from_env({}).deadline_policy()

    assert policy == DeadlinePolicy()
    assert policy.times[Priority.URGENT] == ResponseTimes(timedelta(minutes=10), timedelta(hours=4))
    assert policy.times[Priority.IMPORTANT] == ResponseTimes(
        timedelta(hours=1), timedelta(hours=24)
    )
    assert policy.times[Priority.NORMAL] == ResponseTimes(timedelta(hours=4), timedelta(hours=72))


def test_each_kefu_variable_sets_its_setting() -> None:
    settings = Settings.from_env(
        {
            "KEFU_DATABASE_URL": "postgresql://kefu:secret@db:5432/kefu",
            "KEFU_API_TOKENS": "t1:svc-1:service,t2:aud-1:auditor",
            "KEFU_API_TOKENS_FILE": "/etc/kefu/tokens",
            "KEFU_DEADLINES": "urgent=5m/2h,important=30m/12h,normal=2h/3d",
            "KEFU_TIMEZONE": "Europe/Paris",
            "KEFU_READ_WAIT_SECONDS": "0.25",
        }
    )

    assert settings == Settings(
        database_url="postgresql://kefu:secret@db:5432/kefu",
        api_tokens="t1:svc-1:service,t2:aud-1:auditor",
        api_tokens_file="/etc/kefu/tokens",
        deadlines="urgent=5m/2h,important=30m/12h,normal=2h/3d",
        timezone="Europe/Paris",
        read_wait_seconds=0.25,
    )


def test_variables_without_the_kefu_prefix_are_ignored() -> None:
    settings = Settings.from_env(
        {"DATABASE_URL": "postgresql://x@y/z", "kefu_timezone": "UTC", "TIMEZONE": "UTC"}
    )

    assert settings == Settings()


def test_without_a_mapping_the_settings_come_from_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KEFU_TIMEZONE", "Asia/Hong_Kong")
    monkeypatch.setenv("KEFU_READ_WAIT_SECONDS", "5")

    settings = Settings.from_env()

    assert settings.timezone == "Asia/Hong_Kong"
    assert settings.read_wait_seconds == 5.0


def test_a_read_wait_that_is_not_a_number_is_refused_naming_the_setting() -> None:
    with pytest.raises(SettingsError, match=r"^KEFU_READ_WAIT_SECONDS: Expected `float`"):
        Settings.from_env({"KEFU_READ_WAIT_SECONDS": "two seconds"})


@pytest.mark.parametrize("seconds", ["-1", "nan", "inf"])
def test_a_read_wait_that_is_negative_or_not_finite_is_refused(seconds: str) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"KEFU_READ_WAIT_SECONDS": seconds})


# Custom deadlines


def test_custom_deadlines_give_a_policy_with_those_times() -> None:
    settings = Settings.from_env({"KEFU_DEADLINES": "urgent=5m/2h,important=30m/12h,normal=2h/3d"})

    assert settings.deadline_policy().times == {
        Priority.URGENT: ResponseTimes(timedelta(minutes=5), timedelta(hours=2)),
        Priority.IMPORTANT: ResponseTimes(timedelta(minutes=30), timedelta(hours=12)),
        Priority.NORMAL: ResponseTimes(timedelta(hours=2), timedelta(days=3)),
    }


def test_a_deadline_spec_may_list_priorities_in_any_order_with_spaces() -> None:
    times = parse_deadlines(" normal = 1d / 7d , urgent=1m/30m,important=15m/8h, ")

    assert times[Priority.NORMAL] == ResponseTimes(timedelta(days=1), timedelta(days=7))
    assert times[Priority.URGENT] == ResponseTimes(timedelta(minutes=1), timedelta(minutes=30))
    assert times[Priority.IMPORTANT] == ResponseTimes(timedelta(minutes=15), timedelta(hours=8))


def test_the_default_spec_parses_to_the_default_policy() -> None:
    assert DeadlinePolicy(parse_deadlines(DEFAULT_SPEC)) == DeadlinePolicy()


# Bad deadline specs


@pytest.mark.parametrize(
    ("spec", "missing"),
    [
        ("urgent=10m/4h,important=1h/24h", "normal"),
        ("normal=4h/72h", "important, urgent"),
        ("", "important, normal, urgent"),
    ],
)
def test_a_deadline_spec_without_every_priority_names_the_missing_ones(
    spec: str, missing: str
) -> None:
    with pytest.raises(SettingsError) as error:
        parse_deadlines(spec)

    assert str(error.value) == f"KEFU_DEADLINES misses {missing}"


@pytest.mark.parametrize("duration", ["10x", "10", "m", "-5m", "1.5h", "10 min", "10M"])
def test_a_duration_without_a_whole_number_and_a_known_unit_is_refused(duration: str) -> None:
    spec = f"urgent={duration}/4h,important=1h/24h,normal=4h/72h"

    with pytest.raises(SettingsError) as error:
        parse_deadlines(spec)

    message = str(error.value)
    assert message.startswith("KEFU_DEADLINES")
    assert repr(duration.strip()) in message
    assert "10m, 4h or 3d" in message


def test_an_unknown_priority_is_refused_by_name() -> None:
    with pytest.raises(SettingsError) as error:
        parse_deadlines("critical=1m/1h," + DEFAULT_SPEC)

    assert "KEFU_DEADLINES" in str(error.value)
    assert "'critical'" in str(error.value)


@pytest.mark.parametrize(
    "spec", ["garbage", "urgent=10m", "urgent=10m/4h/8h", "urgent:10m:4h", "a=b=c"]
)
def test_a_garbled_deadline_spec_is_refused_quoting_the_variable_and_its_value(spec: str) -> None:
    with pytest.raises(SettingsError) as error:
        parse_deadlines(spec)

    assert str(error.value).startswith(f"KEFU_DEADLINES {spec!r}")


@pytest.mark.parametrize("spec", ["garbage", "urgent=10m", "urgent=10m/4h/8h"])
def test_a_garbled_deadline_spec_is_refused_showing_the_expected_shape(spec: str) -> None:
    with pytest.raises(SettingsError) as error:
        parse_deadlines(spec)

    explanation = str(error.value).replace(repr(spec), "")
    assert "unpack" not in explanation
    assert "urgent=10m/4h" in explanation


@pytest.mark.parametrize("spec", ["garbage", "urgent=10x/4h", "urgent=10m/4h"])
def test_bad_deadlines_stop_the_settings_from_loading(spec: str) -> None:
    with pytest.raises(SettingsError, match="KEFU_DEADLINES"):
        Settings.from_env({"KEFU_DEADLINES": spec})


def test_a_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_the_department_directory_is_configured_by_ascii_keys_with_display_names() -> None:
    default = Settings.from_env({}).department_directory()
    configured = Settings.from_env({"KEFU_DEPARTMENTS": "vip_desk=贵宾部, finance"})

    assert {"customer_service", "sales", "after_sales", "finance"} <= set(default.keys())
    assert default.names["after_sales"] == "售后"
    assert configured.department_directory().names == {"vip_desk": "贵宾部", "finance": "finance"}


@pytest.mark.parametrize("spec", ["Billing Dept", "", "finance,售后"])
def test_a_department_directory_that_is_not_ascii_keys_stops_the_start(spec: str) -> None:
    with pytest.raises(SettingsError, match="KEFU_DEPARTMENTS"):
        Settings.from_env({"KEFU_DEPARTMENTS": spec})


def test_the_limit_of_missed_offers_in_a_row_reaches_the_routing_policy() -> None:
    assert Settings.from_env({}).routing_policy().max_missed_offers == 1
    policy = Settings.from_env({"KEFU_MAX_MISSED_OFFERS": "3"}).routing_policy()
    assert policy.max_missed_offers == 3
    with pytest.raises(SettingsError):
        Settings.from_env({"KEFU_MAX_MISSED_OFFERS": "0"})


def test_an_overflow_rule_that_cannot_be_read_stops_the_start() -> None:
    policy = Settings.from_env({"KEFU_OVERFLOW": "vip=60s>sales"}).routing_policy()
    assert policy.overflow_for("vip", timedelta(minutes=1)) == "sales"
    with pytest.raises(SettingsError, match="KEFU_OVERFLOW"):
        Settings.from_env({"KEFU_OVERFLOW": "vip>sales"})


def test_the_complaint_policy_comes_from_kefu_complaint_policy() -> None:
    default = Settings.from_env({}).complaints()
    configured = Settings.from_env({"KEFU_COMPLAINT_POLICY": "first_reply=12h"}).complaints()

    assert (default.first_reply_within, default.manager) == (timedelta(hours=24), "duty-manager")
    assert (configured.first_reply_within, configured.final_answer_within) == (
        timedelta(hours=12),
        timedelta(days=3),
    )
    with pytest.raises(SettingsError, match="KEFU_COMPLAINT_POLICY"):
        Settings.from_env({"KEFU_COMPLAINT_POLICY": "first_reply=soon"})


@pytest.mark.parametrize(
    ("primary", "standby", "refusal"),
    [
        ("sqlite:///:memory:", "postgresql://u@standby/kefu", "a standby needs PostgreSQL"),
        ("postgresql://u@primary/kefu", "sqlite:///:memory:", "a standby needs PostgreSQL"),
        ("postgresql://u@primary/kefu", "mysql://u@standby/kefu", "unsupported database URL"),
    ],
)
def test_a_read_database_must_be_a_postgresql_standby_of_a_postgresql_primary(
    primary: str, standby: str, refusal: str
) -> None:
    env = {"KEFU_DATABASE_URL": primary, "KEFU_READ_DATABASE_URL": standby}
    with pytest.raises(SettingsError, match=f"KEFU_READ_DATABASE_URL: {refusal}"):
        Settings.from_env(env)
    accepted = {"KEFU_DATABASE_URL": "postgresql://u@primary/kefu"}
    accepted["KEFU_READ_DATABASE_URL"] = "postgresql://u@standby/kefu"
    assert Settings.from_env(accepted).read_database_url == "postgresql://u@standby/kefu"
