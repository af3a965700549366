"""Benchmarks, printed as one table and written to bench/results.json.

Medians over repeated runs, ratios to the peer measured in the same run.
Real parts only: a Dovecot on 127.0.0.1, the SQLCipher store, offscreen Qt.

    python -m bench                 # 10,000 emails, 100,000-message store, 10,000 portal
    python -m bench --large         # 100,000 emails
    python -m bench --quick         # small sizes, one run
"""

from __future__ import annotations

import argparse
import imaplib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from support.dovecot import DovecotServer  # noqa: E402
from support.mailgen import corpus  # noqa: E402

from bench.common import QUERIES, MemoryKeyring  # noqa: E402
from clinic_inbox.core import services  # noqa: E402
from clinic_inbox.core.accounts import ImapAccount  # noqa: E402
from clinic_inbox.core.credentials import Credentials  # noqa: E402
from clinic_inbox.core.home import create_clinic  # noqa: E402
from clinic_inbox.core.ingest import ingest  # noqa: E402
from clinic_inbox.core.keys import KeyCustody  # noqa: E402
from clinic_inbox.core.store import create_store  # noqa: E402
from clinic_inbox.core.store import queries as q  # noqa: E402
from clinic_inbox.core.triage import load_rules  # noqa: E402
from clinic_inbox.sources import email_sync, mime  # noqa: E402
from clinic_inbox.sources.sync_rules import RulesLater  # noqa: E402

USER, PASSWORD = "inbox@clinic.example", "bench-password"
SCALE_PASSPHRASE = "bench passphrase 123"


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def bare_fetch(server: DovecotServer) -> float:
    t = time.perf_counter()
    conn = imaplib.IMAP4(server.host, server.port)
    conn.login(USER, PASSWORD)
    conn.select("INBOX", readonly=True)
    typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
    conn.logout()
    assert typ == "OK"
    return time.perf_counter() - t


def clinic_sync(
    server: DovecotServer,
    n: int,
    user: str = USER,
    batch_size: int | None = None,
    on_start: Callable[[], None] | None = None,
) -> tuple[float, object]:
    """One first sync of `n` messages into a new clinic; `on_start` is called just before
    the sync itself (after the clinic and its keys are made)."""
    home = Path(tempfile.mkdtemp(prefix="bench-clinic-"))
    clinic, _ = create_clinic(
        home, lambda p, c: "bench passphrase 123", KeyCustody(home, detect=False)
    )
    clinic.credentials = Credentials(clinic, MemoryKeyring())
    services.create_first_admin(clinic, "admin", "Admin", "quartz lantern meadow violin")
    admin = services.login(clinic, "admin", "quartz lantern meadow violin")
    account = ImapAccount(
        name="Bench",
        host=server.host,
        port=server.port,
        username=user,
        security="none",
        smtp_host=server.host,
        smtp_security="none",
        from_address=user,
    )
    services.add_imap_account(clinic, admin, account, PASSWORD)
    account = q  # noqa: F841 - keep the name free
    from clinic_inbox.core import accounts as acc

    account = acc.imap_accounts(clinic.store)[0]
    # as the app's pass does (sources/sync.py): the sync compiles the rules once it has
    # listed the mailbox, after starting the parse workers' fork server if it will use
    # them; both are timed, as they are part of a first sync's wait
    rules = RulesLater(None)
    if on_start is not None:
        on_start()
    t = time.perf_counter()
    report = email_sync.sync_account(clinic, rules, account, PASSWORD, batch_size=batch_size)
    elapsed = time.perf_counter() - t
    assert report.stored == n, report
    return elapsed, clinic


def sync_probe(server: DovecotServer, n: int, path: str) -> dict:
    """One sync in a child process (bench/ingest_probe.py); `path` "stdlib" turns the lean
    reader off there."""
    import subprocess

    env = dict(os.environ, CLINIC_INBOX_MIME="stdlib" if path == "stdlib" else "")
    out = subprocess.run(
        [sys.executable, "-m", "bench.ingest_probe", server.host, str(server.port), USER, str(n)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=7200,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def store_ingest(raw: list[bytes], encrypted: bool) -> float:
    """Parse, sanitise, triage, index and write, without the network: encryption's cost."""
    from datetime import UTC, datetime

    from clinic_inbox.core.config import load_config
    from clinic_inbox.sources.imap import Fetched

    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    store = create_store(folder / "s.db", os.urandom(32), encrypted=encrypted)
    cfg, rules = load_config(), load_rules()
    account = ImapAccount(
        name="x",
        host="127.0.0.1",
        port=1,
        username=USER,
        security="none",
        smtp_host="127.0.0.1",
        smtp_security="none",
        id=1,
    )
    with store.transaction():
        q.ensure_account(store, "x", "imap")
    t = time.perf_counter()
    for start in range(0, len(raw), 200):
        batch = [
            Fetched(i + 1, r, len(r), datetime.now(UTC))
            for i, r in enumerate(raw[start : start + 200], start)
        ]
        msgs = [email_sync.to_incoming(account, f, 1, mime.DEFAULT_LIMITS) for f in batch]
        with store.transaction():
            for m in msgs:
                ingest(store, cfg, rules, m)
    elapsed = time.perf_counter() - t
    store.close()
    return elapsed


class ScaleKeys:
    """Where the scale clinic's key is kept: a real gnome-keyring on a private D-Bus, as a
    clinic workstation keeps it, or (without gnome-keyring) the passphrase-wrapped file."""

    def __init__(self, keyring: bool = True) -> None:
        from support.secret_service import SecretService, SecretServiceUnavailable

        self.service = None
        if not keyring:  # a store kept between runs: its key cannot live in a keyring
            return  # that ends with the run
        try:
            self.service: object | None = SecretService().start()
        except SecretServiceUnavailable as exc:
            print(f"  no Secret Service ({exc}); the key is passphrase-wrapped")
            self.service = None

    def custody(self, home: Path) -> KeyCustody:
        if self.service is None:
            return KeyCustody(home, detect=False)
        return KeyCustody(home, self.service.backend())  # type: ignore[attr-defined]

    def env(self) -> dict[str, str]:
        if self.service is None:
            return {}
        return {**self.service.env, "BENCH_KEYRING": "1"}  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()  # type: ignore[attr-defined]


def scale_clinic(messages: int, keys: ScaleKeys) -> Path:
    """A demo clinic of about `messages` messages (older conversations finished)."""
    from clinic_inbox import demo

    home = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    threads = max(int(messages / 2.2), 100)
    clinic, _, summary = demo.create_demo_clinic(
        home,
        keys.custody(home),
        lambda p, c: SCALE_PASSPHRASE,
        scale={"threads": threads, "patients": 3000, "days": 730},
    )
    clinic.close()
    print(f"  scale clinic: {summary.messages:,} messages in {summary.threads:,} conversations")
    return home


def cached_scale_clinic(messages: int, keys: ScaleKeys, cache: Path) -> Path:
    """The scale clinic built once into `cache` and a fresh copy of it for this run (the
    gui stage adds a mail account and syncs into it). 100,000 messages take long to
    build; the copy takes seconds."""
    import shutil

    kept = cache / f"scale-{messages}"
    if not (kept / "READY").exists():
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.rmtree(kept, ignore_errors=True)  # a build that did not finish
        built = scale_clinic(messages, keys)
        shutil.copytree(built, kept)
        (kept / "READY").write_text(f"{messages}\n")
        shutil.rmtree(built, ignore_errors=True)
    else:
        print(f"  reusing the scale clinic kept in {kept}")
    copy = Path(tempfile.mkdtemp(prefix="bench-scale-")) / "clinic"
    shutil.copytree(kept, copy, ignore=shutil.ignore_patterns("READY"))
    return copy


def open_scale(home: Path, keys: ScaleKeys):  # noqa: ANN201
    from bench.common import open_bench_clinic

    return open_bench_clinic(home, SCALE_PASSPHRASE, keys.custody(home))


def board_at_scale(home: Path, repeat: int, keys: ScaleKeys) -> dict:
    """Process start to board painted, in a child process, as a physician opens the app."""
    import subprocess

    env = dict(
        os.environ, BENCH_PASSPHRASE=SCALE_PASSPHRASE, QT_QPA_PLATFORM="offscreen", **keys.env()
    )
    runs = []
    for _ in range(repeat):
        t = time.time()
        out = subprocess.run(
            [sys.executable, "-m", "bench.board_probe", str(home), "dr.okafor", "demo"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=600,
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-2000:])
        d = json.loads(out.stdout.strip().splitlines()[-1])
        d["paint_s"] = d["painted_at"] - t
        runs.append(d)
    pick = sorted(runs, key=lambda d: d["paint_s"])[len(runs) // 2]
    return pick


def gui_during_sync(home: Path, n: int, keys: ScaleKeys, actions: int = 40) -> dict:
    """The board open on the scale clinic (a child process): the event loop's stalls and
    action-to-repaint times, without a sync and while `n` emails sync from Dovecot."""
    import subprocess

    server = DovecotServer().start()
    try:
        server.add_user(USER, PASSWORD)
        server.deliver_many(USER, corpus(n, seed=23), arrived=datetime.now(UTC) - timedelta(days=2))
        before = os.getloadavg()
        env = dict(
            os.environ,
            BENCH_PASSPHRASE=SCALE_PASSPHRASE,
            QT_QPA_PLATFORM="offscreen",
            **keys.env(),
        )
        out = subprocess.run(
            [sys.executable, "-m", "bench.gui_probe", str(home), server.host, str(server.port)]
            + [USER, PASSWORD, str(actions)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=3600,
        )
    finally:
        server.close()
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    d = json.loads(out.stdout.strip().splitlines()[-1])
    d["sync_messages"] = n
    d["load_average_before"] = before
    d["load_average"] = os.getloadavg()  # other work on the machine inflates every figure
    return d


def stage(title: str) -> None:
    print(f"\n== {title}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000, help="email ingest corpus size")
    ap.add_argument("--large", action="store_true", help="email ingest of 100,000 messages")
    ap.add_argument("--scale", type=int, default=100_000, help="store size for search/board")
    ap.add_argument("--portal", type=int, default=10_000, help="portal Communications")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small sizes, one run: a smoke test")
    ap.add_argument(
        "--gui-full",
        action="store_true",
        help="only the responsiveness stage at the issue's size: 10,000 emails syncing into "
        "a 100,000-message store, the store built once and kept (see --scale-cache)",
    )
    ap.add_argument(
        "--scale-cache",
        type=Path,
        default=None,
        help="keep the scale clinic here and reuse it (key passphrase-wrapped, not in a "
        "keyring); default with --gui-full: ~/.cache/clinic-inbox-bench",
    )
    ap.add_argument(
        "--sync-in",
        choices=("process", "thread"),
        default="process",
        help="where the gui stage's sync pass runs: its own process (as the app) or the "
        "sync loop's thread (as before issue 19's leftovers), for comparison",
    )
    ap.add_argument(
        "--skip",
        default="",
        help="comma list: ingest,encryption,search,board,gui,portal,triage,shared",
    )
    args = ap.parse_args()
    # every store, maildir and notmuch database of the run lives here and goes at the end
    scratch = tempfile.mkdtemp(prefix="clinic-inbox-bench-")
    os.chmod(scratch, 0o755)  # Dovecot's unprivileged processes read their files in here
    tempfile.tempdir = scratch
    try:
        return run(args)
    finally:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    if args.large:
        args.n = 100_000
    if args.quick:
        args.n, args.scale, args.portal, args.repeat = 1000, 10_000, 500, 1
    skip = {x.strip() for x in args.skip.split(",") if x.strip()}
    if args.gui_full:
        args.n, args.scale, args.repeat = 10_000, 100_000, 1
        skip = {"ingest", "encryption", "search", "board", "portal", "triage", "shared"}
        if args.scale_cache is None:
            args.scale_cache = Path.home() / ".cache" / "clinic-inbox-bench"
    os.environ["BENCH_SYNC"] = args.sync_in
    rows: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "repeat": args.repeat,
    }
    from bench import peers

    tools_missing = peers.ensure_tools()

    if "ingest" not in skip:
        stage(f"email ingest: {args.n:,} messages through Dovecot on loopback")
        raw = corpus(args.n, seed=11)
        server = DovecotServer().start()
        try:
            server.add_user(USER, PASSWORD)
            # a first sync of a clinic's mailbox: mail that arrived before today, which is
            # stored but not acknowledged (acknowledging is measured below on fresh mail)
            server.deliver_many(USER, raw, arrived=datetime.now(UTC) - timedelta(days=2))
            fetch = [bare_fetch(server) for _ in range(args.repeat)]
            # each sync in a process of its own (its peak memory), the lean reader and
            # the stdlib-only parse path taking turns
            probes: dict[str, list[dict]] = {"lean": [], "stdlib": []}
            for _ in range(args.repeat):
                for path in probes:
                    probes[path].append(sync_probe(server, args.n, path))
            syncs = [p["seconds"] for p in probes["lean"]]
            fresh_n = max(args.n // 10, 200)
            fresh_user = "fresh@clinic.example"
            server.add_user(fresh_user, PASSWORD)
            server.deliver_many(fresh_user, raw[:fresh_n])
            fresh = [clinic_sync(server, fresh_n, user=fresh_user) for _ in range(args.repeat)]
            for _, c in fresh:
                c.store.close()
            peer = []
            if tools_missing is None:
                for _ in range(args.repeat):
                    work = Path(tempfile.mkdtemp(prefix="bench-peer-"))
                    got = peers.mbsync_notmuch_ingest(
                        server.host, server.port, USER, PASSWORD, work
                    )
                    assert got["messages"] == args.n, got
                    peer.append(got)
        finally:
            server.close()
        n = args.n
        stdlib = [p["seconds"] for p in probes["stdlib"]]
        rows["ingest"] = {
            "messages": n,
            "load_average": os.getloadavg(),
            "bare_fetch_msgs_per_s": n / median(fetch),
            "clinic_sync_msgs_per_s": n / median(syncs),
            "ratio_to_bare_fetch": median(fetch) / median(syncs),
            "stdlib_sync_msgs_per_s": n / median(stdlib),
            "cpu_ms_per_msg": {
                path: {
                    "sync": 1000 * median([p["cpu_sync_s"] for p in runs]) / n,
                    "workers": 1000 * median([p["cpu_workers_s"] for p in runs]) / n,
                }
                for path, runs in probes.items()
            },
            "peak_rss_mb": max(p["peak_rss_mb"] for p in probes["lean"]),
            "peak_rss_worker_mb": max(p["peak_rss_worker_mb"] for p in probes["lean"]),
            "fetch_ms_per_msg": 1000 * median(fetch) / n,
            "fresh_messages": fresh_n,
            "fresh_sync_msgs_per_s": fresh_n / median([e for e, _ in fresh]),
        }
        stage("ingest stages: CPU per message, one process, no network")
        from bench import ingest_stages

        rows["ingest"]["stages"] = ingest_stages.stage_costs(raw[: min(n, 3000)])
        if peer:
            total = median([p["total_s"] for p in peer])
            rows["ingest"].update(
                mbsync_msgs_per_s=n / median([p["mbsync_s"] for p in peer]),
                mbsync_notmuch_msgs_per_s=n / total,
                ratio_to_mbsync_notmuch=total / median(syncs),
            )
        if "encryption" not in skip:
            stage("encryption cost: the same ingest into an encrypted and a plain store")
            sample = raw[: min(n, 5000)]
            enc = [store_ingest(sample, True) for _ in range(args.repeat)]
            plain = [store_ingest(sample, False) for _ in range(args.repeat)]
            rows["encryption"] = {
                "messages": len(sample),
                "encrypted_msgs_per_s": len(sample) / median(enc),
                "plain_msgs_per_s": len(sample) / median(plain),
                "cost": median(enc) / median(plain) - 1,
            }
        del raw

    home = None
    wanted = {"search", "board", "gui"} - skip
    keys = ScaleKeys(keyring=args.scale_cache is None) if wanted else None
    try:
        if keys is not None:
            stage(f"a clinic of {args.scale:,} messages for search and the board")
            if args.scale_cache is not None:
                home = cached_scale_clinic(args.scale, keys, args.scale_cache)
            else:
                home = scale_clinic(args.scale, keys)
        if "search" not in skip and home is not None and keys is not None:
            stage("search: 50 queries, ours against notmuch over the same messages")
            from bench import search_bench

            with open_scale(home, keys) as clinic:
                work = Path(tempfile.mkdtemp(prefix="bench-notmuch-"))
                rows["search"] = search_bench.compare(clinic, QUERIES, work, repeat=2)
        if "board" not in skip and home is not None and keys is not None:
            stage("the board: process start to painted, a filter, scrolling, memory")
            rows["board"] = board_at_scale(home, args.repeat, keys)
            rows["board"]["store_messages"] = args.scale
        if "gui" not in skip and home is not None and keys is not None:
            # last: it adds a mail account to the scale clinic and syncs into it
            stage(f"responsiveness: actions and the event loop while {args.n:,} emails sync")
            rows["gui"] = gui_during_sync(home, args.n, keys)
            rows["gui"]["store_messages"] = args.scale
    finally:
        if keys is not None:
            keys.stop()
    if "portal" not in skip:
        stage(f"portal ingest: {args.portal:,} Communications from the loopback FHIR server")
        from bench import portal_bench

        rows["portal"] = portal_bench.portal_ingest(args.portal, repeat=1)
    if "triage" not in skip:
        stage("triage: every message of both labelled sets, each one new to the caches")
        from bench import triage_bench

        rows["triage"] = triage_bench.triage_cost()
        from bench import language_bench

        rows["language"] = language_bench.detect_cost()

    if "shared" not in skip:
        stage("shared queue: a change on one workstation process shown on another")
        from bench import shared_bench

        rows["shared"] = shared_bench.propagation(20 if args.quick else 50)

    (ROOT / "bench" / "results.json").write_text(json.dumps(rows, indent=2, default=str))
    print_table(rows, tools_missing)
    return 0


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_table(rows: dict, tools_missing: str | None) -> None:
    print(f"\nClinic Inbox benchmarks — {rows['machine']}, medians of {rows['repeat']} runs\n")
    line = f"{'measure':50} {'value':>16}  target"
    print(line)
    print("-" * len(line) + "-" * 24)

    def out(name: str, value: str, target: str = "") -> None:
        print(f"{name:50} {value:>16}  {target}")

    if "ingest" in rows:
        g = rows["ingest"]
        out(
            f"bare IMAP fetch ({g['messages']:,} msgs, imaplib)",
            f"{g['bare_fetch_msgs_per_s']:,.0f} m/s",
        )
        out(
            "clinic-inbox sync (parse, sanitise, triage, encrypt)",
            f"{g['clinic_sync_msgs_per_s']:,.0f} m/s",
        )
        out(
            "  ratio to the bare fetch",
            f"{g['ratio_to_bare_fetch']:.3f}x",
            f">= 0.1x (issue 20): {_verdict(g['ratio_to_bare_fetch'] >= 0.1)}",
        )
        out(
            "  the same, stdlib parser only (CLINIC_INBOX_MIME=stdlib)",
            f"{g['stdlib_sync_msgs_per_s']:,.0f} m/s",
        )
        for path, cpu in g["cpu_ms_per_msg"].items():
            out(
                f"  CPU per message, sync process + parse workers ({path})",
                f"{cpu['sync']:.2f} + {cpu['workers']:.2f} ms",
            )
        out(
            "  peak memory: sync process / a parse worker (sampled)",
            f"{g['peak_rss_mb']:.0f} / {g['peak_rss_worker_mb']:.0f} MB",
            f"sync process < 500 MB: {_verdict(g['peak_rss_mb'] < 500)}",
        )
        out("  load average during the ingest stage (1 min)", f"{g['load_average'][0]:.1f}")
        st = g.get("stages")
        if st:
            out(
                f"  stages, CPU ms/msg ({st['messages']:,} msgs, {st['lean_share']:.0%} lean):",
                "",
            )
            out("    fetch (bare fetch, wall)", f"{g['fetch_ms_per_msg']:.3f} ms")
            out(
                "    parse: lean reader / stdlib only",
                f"{st['parse_lean_ms']:.3f} / {st['parse_stdlib_ms']:.3f} ms",
            )
            out("    parse and sender check", f"{st['parse_and_sender_check_ms']:.3f} ms")
            out("    triage", f"{st['triage_ms']:.3f} ms")
            out(
                "    store (threading, matching, insert) incl. index / index alone",
                f"{st['store_with_index_ms']:.3f} / {st['index_ms']:.3f} ms",
            )
        out(
            f"fresh mail, every conversation acknowledged ({g['fresh_messages']:,} msgs)",
            f"{g['fresh_sync_msgs_per_s']:,.0f} m/s",
        )
        if "mbsync_notmuch_msgs_per_s" in g:
            out("mbsync alone", f"{g['mbsync_msgs_per_s']:,.0f} m/s")
            out("mbsync + notmuch new", f"{g['mbsync_notmuch_msgs_per_s']:,.0f} m/s")
            out(
                "  ratio to mbsync + notmuch",
                f"{g['ratio_to_mbsync_notmuch']:.2f}x",
                f">= 2x (issue 20): {_verdict(g['ratio_to_mbsync_notmuch'] >= 2)}",
            )
        else:
            out("mbsync + notmuch", "not measured", tools_missing or "")
    if "encryption" in rows:
        e = rows["encryption"]
        out(
            f"ingest, encrypted store ({e['messages']:,} msgs, no network)",
            f"{e['encrypted_msgs_per_s']:,.0f} m/s",
        )
        out("ingest, plain store (test-only switch)", f"{e['plain_msgs_per_s']:,.0f} m/s")
        out("  encryption cost", f"{e['cost']:.1%}", f"< 15%: {_verdict(e['cost'] < 0.15)}")
    if "search" in rows:
        s = rows["search"]
        out(
            f"search p50 / p95, ours ({s.get('messages', 0):,} msgs)",
            f"{s['ours_p50_ms']:.1f} / {s['ours_p95_ms']:.1f} ms",
            f"p95 < 50 ms: {_verdict(s['ours_p95_ms'] < 50)}",
        )
        out(
            "search p50 / p95, notmuch search (incl. start-up)",
            f"{s['notmuch_p50_ms']:.1f} / {s['notmuch_p95_ms']:.1f} ms",
            f"no slower: {_verdict(s['ours_p95_ms'] <= s['notmuch_p95_ms'])}",
        )
        out("  notmuch process start-up alone", f"{s['notmuch_startup_ms']:.1f} ms")
    if "board" in rows:
        b = rows["board"]
        out(
            f"board: process start to painted ({b['store_messages']:,} msgs)",
            f"{b['paint_s']:.2f} s",
            f"< 1.5 s: {_verdict(b['paint_s'] < 1.5)}",
        )
        where = (
            "the keyring"
            if b.get("key_custody", "passphrase") != "passphrase"
            else ("the passphrase's key derivation")
        )
        out(f"  of which fetching the key ({where})", f"{b['passphrase_unlock_s']:.3f} s")
        out(
            "  page check alone / still waited for after loading (runs beside sign-in)",
            f"{b['page_check_s']:.2f} / {b['waited_for_page_check_s']:.2f} s",
        )
        out(f"  conversations loaded ({b['loaded_threads']:,})", "")
        out("apply a category filter", f"{b['filter_s'] * 1000:.0f} ms")
        out("switch to the All view", f"{b['all_view_s'] * 1000:.0f} ms")
        out(f"scroll through every card ({b['scrolled_rows']:,} rows)", f"{b['scroll_s']:.2f} s")
        out(
            "peak memory (RSS)",
            f"{b['peak_rss_mb']:.0f} MB",
            f"< 300 MB: {_verdict(b['peak_rss_mb'] < 300)}",
        )
    if "gui" in rows:
        g = rows["gui"]
        for key, words in (("quiet", "no sync"), ("syncing", f"{g['sync_messages']:,}-email sync")):
            r = g[key]
            out(
                f"event loop, longest stall / p99 gap ({words})",
                f"{r['longest_stall_ms']:.0f} / {r['p99_gap_ms']:.0f} ms",
                f"< 50 / < 16 ms: {_verdict(r['longest_stall_ms'] < 50 and r['p99_gap_ms'] < 16)}",
            )
            out(
                f"assign/status to card repainted, p50 / p95 ({words})",
                f"{r['action_p50_ms']:.0f} / {r['action_p95_ms']:.0f} ms",
                f"p95 < 100 ms: {_verdict(r['action_p95_ms'] < 100)} "
                f"({r['repainted']} of {r['actions']} repainted)",
            )
            if "answer_p95_ms" in r:  # where that time goes
                out(
                    f"  of which click to the writer's answer / answer to paint ({words})",
                    f"{r['answer_p50_ms']:.0f} / {r['answer_p95_ms']:.0f} ms, "
                    f"{r['answer_to_paint_p50_ms']:.0f} / {r['answer_to_paint_p95_ms']:.0f} ms",
                )
        out(
            "  load average before / after the responsiveness run (1 min)",
            f"{g.get('load_average_before', [float('nan')])[0]:.1f} / {g['load_average'][0]:.1f}",
        )
        out(
            "  the sync pass ran in",
            "its own process" if g.get("sync_in", "process") == "process" else "a thread",
        )
        if "reload_ms" in g["quiet"]:
            out(
                "F5: whole board read again, longest stall meanwhile (no sync)",
                f"{g['quiet']['reload_ms']:.0f} ms, {g['quiet']['reload_longest_stall_ms']:.0f} ms",
            )
    if "portal" in rows:
        p = rows["portal"]
        out(f"portal ingest ({p['messages']:,} Communications)", f"{p['msgs_per_s']:,.0f} m/s")
    if "triage" in rows:
        t = rows["triage"]
        out(
            f"triage per message, median / p95 ({t['messages']:,} msgs)",
            f"{t['p50_ms']:.2f} / {t['p95_ms']:.2f} ms",
            f"median < 1 ms: {_verdict(t['p50_ms'] < 1)}",
        )
        out(
            "  the same in CPU time (not inflated by load)",
            f"{t['cpu_p50_ms']:.2f} / {t['cpu_p95_ms']:.2f} ms",
        )
    if "language" in rows:
        out(
            "  of which: language detection, ~500 characters (CPU)",
            f"{rows['language']['cpu_ms']:.3f} ms",
            f"< 0.2 ms: {_verdict(rows['language']['cpu_ms'] < 0.2)}",
        )
    if "shared" in rows:
        r = rows["shared"]
        out(
            f"shared queue change A -> B, p50 / p95 ({r['changes']} changes)",
            f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f} ms",
            f"p95 < 2000 ms: {_verdict(r['p95_ms'] < 2000)}",
        )
    print()


if __name__ == "__main__":
    raise SystemExit(main())
