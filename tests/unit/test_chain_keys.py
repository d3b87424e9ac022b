"""The chain's keyring: configuration, the development key, and which key links a batch."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from kefu.cli.serve import chain_key_warning
from kefu.settings import Settings, SettingsError
from kefu.store.chain_keys import (
    ChainKeyError,
    ChainKeying,
    ChainKeyMissing,
    Keyring,
    batch_key,
    new_key_line,
    parse_keyring,
    plan_segment,
    seal,
)

OLD, NEW = "old:" + "11" * 32, "new:" + "22" * 32


def test_a_keyring_file_lists_keys_and_its_last_line_is_active(tmp_path: Path) -> None:
    keys = tmp_path / "chain.keys"
    keys.write_text(f"# rotated 2027-01\n{OLD}\n\n{NEW}\n")

    keyring = Settings(chain_keys_file=str(keys)).chain_keyring()

    assert keyring.active == "new" and set(keyring.secrets) == {"old", "new"}
    assert Settings(chain_keys_file=str(keys), chain_key=OLD).chain_keyring().active == "old"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("k1:" + "ab" * 16, "at least 32 bytes"),
        ("k1:xyz", "not hexadecimal"),
        ("k 1:" + "ab" * 32, "a key looks like"),
        (f"{OLD}\n{OLD}", "given twice"),
    ],
)
def test_a_bad_key_is_refused_naming_the_problem(text: str, complaint: str) -> None:
    with pytest.raises(ChainKeyError, match=complaint):
        parse_keyring(text, "keys")


def test_settings_refuse_an_unreadable_keys_file_or_a_conflicting_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read"):
        Settings.from_env({"KEFU_CHAIN_KEYS_FILE": str(tmp_path / "absent")})
    keys = tmp_path / "chain.keys"
    keys.write_text(OLD)
    with pytest.raises(SettingsError, match="another secret"):
        Settings.from_env({"KEFU_CHAIN_KEYS_FILE": str(keys), "KEFU_CHAIN_KEY": "old:" + "33" * 32})


def test_without_configured_keys_a_private_development_key_is_made_once(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/data/kefu.sqlite3")

    first, again = settings.chain_keyring(), settings.chain_keyring()

    path = tmp_path / "data" / "chain.keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first == again and first.active is not None and first.active.startswith("dev-")
    assert "no chain key configured" in (chain_key_warning(settings) or "")


def test_a_new_store_starts_keyed_an_old_one_stays_unkeyed_a_keyed_one_needs_its_key() -> None:
    keyring = parse_keyring(OLD, "keys")

    fresh = batch_key(keyring, None, chain_empty=True, first_position=1)
    written_before_keys = batch_key(keyring, None, chain_empty=False, first_position=9)

    assert fresh.new_segment is not None and fresh.new_segment.key_id == "old"
    assert fresh.secret == keyring.secret("old")
    assert written_before_keys == batch_key(Keyring(), None, True, 1)
    assert written_before_keys.secret is None and written_before_keys.new_segment is None
    with pytest.raises(ChainKeyMissing, match="'new'"):
        batch_key(keyring, "new", chain_empty=False, first_position=9)


def test_rotation_and_migration_markers_follow_the_head_and_refuse_what_makes_no_sense() -> None:
    keyring = parse_keyring(f"{OLD}\n{NEW}", "keys")
    head = bytes(range(32))

    rotation = plan_segment(keyring, "new", True, 41, head, "old")

    assert rotation.from_position == 42
    assert rotation.seal == seal(keyring.secrets["new"], 42, "new", head)
    assert ChainKeying([rotation], keyring).segment_at(41) is None
    assert ChainKeying([rotation], keyring).secret_at(42) == keyring.secrets["new"]
    with pytest.raises(ChainKeyError, match="not keyed yet"):
        plan_segment(keyring, "new", True, 41, head, None)
    with pytest.raises(ChainKeyError, match="keyed already"):
        plan_segment(keyring, "new", False, 41, head, "old")
    with pytest.raises(ChainKeyError, match="already"):
        plan_segment(keyring, "old", True, 41, head, "old")


def test_new_key_lines_parse_and_differ() -> None:
    first, second = new_key_line("2027-01"), new_key_line("2027-01")
    assert first != second
    assert parse_keyring(first, "line").active == "2027-01"


def test_serve_warns_about_postgresql_without_a_configured_chain_key() -> None:
    postgres = "postgresql://kefu@db/kefu"

    warning = chain_key_warning(Settings(database_url=postgres))

    assert warning is not None and "KEFU_CHAIN_KEY" in warning
    assert chain_key_warning(Settings(database_url=postgres, chain_key=OLD)) is None
    assert chain_key_warning(Settings(database_url="sqlite:///k.db", chain_key=OLD)) is None
