"""One email sync in a process of its own, so its peak memory is its own (the benchmark
holds the whole corpus in memory; the sync process does not).

    python -m bench.ingest_probe HOST PORT USER N

Prints one JSON line: seconds, messages, CPU seconds of the sync process and of its parse
workers, and the peak RSS of each (ru_maxrss). `CLINIC_INBOX_MIME=stdlib` in the
environment gives the stdlib-only parse path.
"""

from __future__ import annotations

import json
import resource
import sys
from types import SimpleNamespace


def main() -> int:
    from bench.__main__ import clinic_sync
    from clinic_inbox.sources import mime_lean

    host, port, user, n = sys.argv[1:5]
    server = SimpleNamespace(host=host, port=int(port))  # all clinic_sync needs of it
    elapsed, clinic = clinic_sync(server, int(n), user=user)  # type: ignore[arg-type]
    clinic.store.close()
    me = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "messages": int(n),
                "lean_reader": mime_lean.ENABLED,
                "cpu_sync_s": me.ru_utime + me.ru_stime,
                "cpu_workers_s": workers.ru_utime + workers.ru_stime,
                "peak_rss_mb": me.ru_maxrss / 1024,
                "peak_rss_worker_mb": workers.ru_maxrss / 1024,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
