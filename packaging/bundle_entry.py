"""The bundle's program: `clinic-inbox` as the wheel's console script runs it.

freeze_support() first: the triage's worker processes (forkserver or spawn) start
this same executable, and must become workers instead of a second app.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from clinic_inbox.cli import main

    sys.exit(main())
