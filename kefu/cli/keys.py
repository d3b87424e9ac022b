"""`kefu keys`: the master key of personal data (docs/operations.md).

`kefu keys new` prints a fresh master key (32 random bytes, base64) for KEFU_MASTER_KEY or a
KEFU_MASTER_KEY_FILE. `kefu keys rotate --old-file OLD` re-wraps every live data key, now
wrapped by the key in OLD, with the configured key (KEFU_MASTER_KEY or KEFU_MASTER_KEY_FILE):
the events are not touched (their data keys stay the same). Run it again if it was
interrupted: keys already wrapped by the new key are left alone.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kefu.store.master_key import new_master_key_text, read_master_key_file


def add_keys_parser(commands: Any) -> None:
    keys = commands.add_parser("keys", help="the master key of personal data")
    what = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    what.add_parser("new", help="print a new master key (base64) to configure")
    rotate = what.add_parser("rotate", help="re-wrap every data key with the configured key")
    rotate.add_argument("--old-file", required=True, help="a file holding the previous key")


def run_keys(args: argparse.Namespace) -> int:
    if args.action == "new":
        print(new_master_key_text())
        return 0
    from kefu.application import ServiceDesk
    from kefu.settings import Settings, SettingsError
    from kefu.store.personal_crypto import MasterKeyError, rewrap_all

    settings = Settings.from_env()
    if not (settings.master_key or settings.master_key_file):
        raise SettingsError("set KEFU_MASTER_KEY or KEFU_MASTER_KEY_FILE to the new key")
    try:
        old = read_master_key_file(Path(args.old_file))
    except (OSError, MasterKeyError) as e:
        raise SettingsError(f"--old-file {args.old_file}: {e}") from None
    new = settings.personal_data_key()
    app = ServiceDesk(settings.database_url, settings.chain_keyring(), new)
    try:
        count = rewrap_all(app.data_keys.store, old, new)
    finally:
        app.close()
    print(f"{count} data keys re-wrapped with master key {new.key_id}")
    return 0
