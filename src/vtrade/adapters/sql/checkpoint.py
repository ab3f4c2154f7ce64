"""WAL checkpoints off the commit path (SQLite files).

SQLite copies the WAL back into the database inside the commit that crosses
`wal_autocheckpoint` pages, so about one group commit in ten waited several milliseconds for
the copy and its fsync. Here a short-lived thread runs a PASSIVE checkpoint (it never blocks
the writer or readers) every few commits while the committing thread goes on: sqlite3 releases
the GIL while it copies. SQLite's own automatic checkpoint stays as a backstop at a larger size
(`BACKSTOP_PAGES`) should the thread fall behind. Durability is unchanged: a commit is durable
once it is in the WAL, checkpointed or not.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

BACKSTOP_PAGES = 16_000  # SQLite's default is 1,000 (4 MB of WAL at 4 KB pages)


class Checkpointer:
    """Checkpoint the WAL of the database file `path` in the background, every `every` commits.

    The checkpoints use a connection of their own: had they borrowed one from the store's pool,
    the store's next transactions would alternate between connections, and each would find
    its page cache stale (SQLite drops a connection's cache when another one wrote).
    """

    def __init__(self, path: str, every: int = 4) -> None:
        self._path = path
        self._every = every
        self._commits = 0
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None

    def committed(self) -> None:
        """Count a commit; start a checkpoint when one is due and none is running."""
        self._commits += 1
        if self._commits % self._every:
            return
        if self._thread is not None and self._thread.is_alive():
            return  # the running one will take these frames too, or the next one will
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Wait for a running checkpoint, then close the connection."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _run(self) -> None:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(
                    self._path, isolation_level=None, check_same_thread=False
                )
                self._conn.execute("PRAGMA busy_timeout=10000")
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # a missed checkpoint is made up by the next one (or the backstop)
            log.warning("background WAL checkpoint failed", exc_info=True)
