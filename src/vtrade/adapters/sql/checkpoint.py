"""WAL checkpoints off the commit path (SQLite files).

SQLite copies the WAL back into the database inside the commit that crosses
`wal_autocheckpoint` pages, so about one group commit in ten waited several milliseconds for
the copy and its fsync. Here a worker thread runs a PASSIVE checkpoint (it never blocks
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

    One worker thread, started with the first checkpoint, waits for the next one to be due:
    starting a thread per checkpoint made the committing thread wait for each start. The
    checkpoints use a connection of their own: had they borrowed one from the store's pool,
    the store's next transactions would alternate between connections, and each would find
    its page cache stale (SQLite drops a connection's cache when another one wrote).
    """

    def __init__(self, path: str, every: int = 4) -> None:
        self._path = path
        self._every = every
        self._commits = 0
        self._due = threading.Event()  # set: a checkpoint is due (one run takes them all)
        self._closing = False
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        """Count a commit; wake the worker when a checkpoint is due."""
        self._commits += 1
        if self._commits % self._every:
            return
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._work, name="sqlite-checkpoint", daemon=True
            )
            self._thread.start()
        self._due.set()

    def close(self) -> None:
        """Wait for a running checkpoint, then stop the worker (it closes its connection)."""
        if self._thread is not None:
            self._closing = True
            self._due.set()
            self._thread.join()
            self._thread = None
            self._closing = False

    def _work(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._due.wait()
                self._due.clear()
                if self._closing:
                    return
                conn = self._checkpoint(conn)
        finally:
            if conn is not None:
                conn.close()

    def _checkpoint(self, conn: sqlite3.Connection | None) -> sqlite3.Connection | None:
        """Run a PASSIVE checkpoint (it never blocks the writer or readers), connecting first
        if need be; return the connection."""
        try:
            if conn is None:
                conn = sqlite3.connect(self._path, isolation_level=None)
                conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # a missed checkpoint is made up by the next one (or the backstop)
            log.warning("background WAL checkpoint failed", exc_info=True)
        return conn
