"""A writer killed with SIGKILL in the middle of a transaction loses nothing it reported
saved, and leaves a wallet that opens cleanly (no half-written state)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.unit.wallet.conftest import FAST_KDF, PASSPHRASE
from wallet.storage.store import WalletStore

ROOT = Path(__file__).resolve().parents[3]

CHILD = textwrap.dedent(
    """
    import sys, time
    from sqlmodel import Session
    from tests.unit.wallet.test_vault import SECRET, entry
    from wallet.storage.store import WalletStore

    real_commit = Session.commit
    state = {"n": 0}

    def slow_commit(self):
        if state["n"] >= 3:  # from the 4th write on, stall inside the open transaction
            print("in-transaction", flush=True)
            time.sleep(30)
        real_commit(self)

    Session.commit = slow_commit
    store = WalletStore.open(sys.argv[1], sys.argv[2])
    for n in range(10):
        ident = f"c{n}"
        store.commit(
            store.catalog.with_credentials({**store.catalog.credentials, ident: entry(ident)}),
            credentials=[(ident, SECRET)],
        )
        state["n"] += 1
        print(f"saved {ident}", flush=True)
    """
)


def test_sigkill_mid_transaction_loses_nothing_saved(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    WalletStore.create(path, PASSPHRASE, kdf=FAST_KDF).close()
    reported = []
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), PASSPHRASE],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as child:
        assert child.stdout is not None
        try:
            for line in child.stdout:
                if line.startswith("saved "):
                    reported.append(line.split()[1])
                if line.strip() == "in-transaction":
                    os.kill(child.pid, signal.SIGKILL)
                    break
        finally:
            child.kill()
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert reported == ["c0", "c1", "c2"]
    store = WalletStore.open(path, PASSPHRASE)  # integrity checks pass: no partial write
    assert sorted(store.catalog.credentials) == ["c0", "c1", "c2"]
    for ident in reported:
        assert store.read_credential(ident).copies
    store.close()
