"""`kefu serve`'s development token: kept beside the SQLite file, owner-only, the same after a
restart; none when tokens are configured or the store is PostgreSQL."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from kefu.cli.serve import dev_token_path, ensure_dev_token
from kefu.settings import Settings


@pytest.fixture(autouse=True)
def restored_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEFU_API_TOKENS", raising=False)  # ensure_dev_token sets it


def test_the_token_is_kept_in_the_data_folder_readable_by_its_owner_only(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/data/kefu.sqlite3")
    first = ensure_dev_token(settings)
    path = dev_token_path(settings)
    assert path == tmp_path / "data" / "kefu-dev-token"
    assert first is not None and path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_dev_token(settings) == first  # a restart keeps it
    path.unlink()
    assert ensure_dev_token(settings) not in (None, first)  # deleting it makes a new one


def test_no_development_token_when_tokens_are_configured_or_on_postgresql(tmp_path: Path) -> None:
    sqlite = f"sqlite:///{tmp_path}/kefu.sqlite3"
    assert ensure_dev_token(Settings(database_url=sqlite, api_tokens="t:me:admin")) is None
    assert ensure_dev_token(Settings(database_url="postgresql://u:p@h/db")) is None
    assert not (tmp_path / "kefu-dev-token").exists()
