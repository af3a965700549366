"""Two checkouts' email sync side by side on one mailbox, taking turns, with the bare
fetch and (optionally) mbsync + notmuch in the same rounds: on a shared machine whose
load moves by the minute, only figures measured together compare.

    python -m bench.ingest_compare --before /path/to/old/checkout [--n 10000]
        [--repeat 2] [--before-batch 50] [--peers]

Each sync runs in its own process from its own tree (that tree's bench/ingest_probe.py,
with the app's batch size: `--before-batch` for a tree whose probe fixed its own). The
load average is read before and after every sync. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def probe(tree: Path, host: str, port: int, user: str, n: int, batch: int | None) -> dict:
    cmd = [sys.executable, "-m", "bench.ingest_probe", host, str(port), user, str(n)]
    if batch:
        cmd.append(str(batch))
    env = {**os.environ, "PYTHONPATH": str(tree), "CLINIC_INBOX_MIME": ""}
    load = os.getloadavg()[0]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tree, timeout=14400)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    got = json.loads(out.stdout.strip().splitlines()[-1])
    got["load"] = [round(load, 1), round(os.getloadavg()[0], 1)]
    return got


def summary(runs: list[dict], n: int) -> dict:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    return {
        "msgs_per_s": n / med("seconds"),
        "cpu_ms_per_msg_sync": 1000 * med("cpu_sync_s") / n,
        "cpu_ms_per_msg_workers": 1000 * med("cpu_workers_s") / n,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "peak_rss_worker_mb": max(r["peak_rss_worker_mb"] for r in runs),
        "runs": runs,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--after", type=Path, default=ROOT)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--before-batch", type=int, default=50, help="the old app's batch size")
    ap.add_argument("--after-batch", type=int, default=0, help="0: the app's own batches")
    ap.add_argument("--peers", action="store_true", help="mbsync + notmuch in each round")
    ap.add_argument("--skip-before", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from support.dovecot import DovecotServer
    from support.mailgen import corpus

    from bench import peers
    from bench.__main__ import PASSWORD, USER, bare_fetch

    scratch = tempfile.mkdtemp(prefix="clinic-inbox-compare-")
    os.chmod(scratch, 0o755)  # Dovecot's unprivileged processes read their files here
    tempfile.tempdir = scratch
    started = datetime.now(UTC)
    rows: dict = {"n": args.n, "started": started.isoformat(timespec="seconds")}
    t = time.perf_counter()
    raw = corpus(args.n, seed=11)
    server = DovecotServer().start()
    try:
        server.add_user(USER, PASSWORD)
        server.deliver_many(USER, raw, arrived=started - timedelta(days=2))
        del raw
        rows["fill_s"] = time.perf_counter() - t
        fetch, before, after, peer = [], [], [], []
        for _ in range(args.repeat):
            fetch.append(bare_fetch(server))
            if not args.skip_before:
                before.append(
                    probe(args.before, server.host, server.port, USER, args.n, args.before_batch)
                )
            after.append(
                probe(args.after, server.host, server.port, USER, args.n, args.after_batch or None)
            )
            if args.peers:
                work = Path(tempfile.mkdtemp(prefix="peer-"))
                got = peers.mbsync_notmuch_ingest(server.host, server.port, USER, PASSWORD, work)
                got["load"] = round(os.getloadavg()[0], 1)
                peer.append(got)
                print(json.dumps({"peer": got}), file=sys.stderr, flush=True)
            print(
                json.dumps({"round": len(fetch), "after": after[-1]}), file=sys.stderr, flush=True
            )
    finally:
        server.close()
    n = args.n
    rows["bare_fetch_msgs_per_s"] = n / statistics.median(fetch)
    rows["after"] = summary(after, n)
    if before:
        rows["before"] = summary(before, n)
        rows["after_over_before"] = rows["after"]["msgs_per_s"] / rows["before"]["msgs_per_s"]
    rows["after"]["ratio_to_bare_fetch"] = (
        rows["after"]["msgs_per_s"] / rows["bare_fetch_msgs_per_s"]
    )
    if peer:
        total = statistics.median(p["total_s"] for p in peer)
        rows["mbsync_notmuch_msgs_per_s"] = n / total
        rows["mbsync_msgs_per_s"] = n / statistics.median(p["mbsync_s"] for p in peer)
        rows["peers"] = peer
        for side in ("before", "after"):
            if side in rows:
                rows[side]["ratio_to_mbsync_notmuch"] = rows[side]["msgs_per_s"] / (n / total)
    rows["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    rows["load_average_at_end"] = os.getloadavg()
    print(json.dumps(rows, indent=1))
    import shutil

    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
