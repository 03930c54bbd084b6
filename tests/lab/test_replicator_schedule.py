"""The lab's replication schedule: every full_every-th round is a full sync (lab/samba_replica.py Replicator),
so a write an incremental pull left behind still reaches the reader DC."""
from __future__ import annotations

import time

from lab import samba_replica


def test_every_fifth_round_is_a_full_sync(monkeypatch):
    calls: list[bool] = []
    monkeypatch.setattr(samba_replica, "replicate_once", lambda direction="both", full=False: calls.append(full))
    rep = samba_replica.Replicator(interval=0.001, full_every=5).start()
    deadline = time.monotonic() + 10
    while len(calls) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    rep.stop()
    assert calls[:10] == [False, False, False, False, True] * 2
    assert "0 failed" in rep.summary()
