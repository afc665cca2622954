"""A throwaway PostgreSQL cluster on loopback for the tests: `initdb` into a temporary
directory, `pg_ctl start` on a free port, stopped and deleted afterwards.

initdb and postgres refuse to run as root (CI runs as root), so there they run as the
``postgres`` system user that the server package creates. The cluster listens on 127.0.0.1
only, with no Unix socket, and asks for a password (scram) so that the tests can check that
passwords never leak into logs, reprs or errors.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

USER = "debtkit"
PASSWORD = "s3cret-pg-password"  # a test secret: tests assert it never appears in output


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def binaries_available() -> bool:
    return _binary("initdb") is not None and _binary("pg_ctl") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """The command prefix, uid and gid to run the server under (nothing when not root)."""
    if os.geteuid() != 0:
        return [], None, None
    account = pwd.getpwnam("postgres")
    return (
        ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups"],
        (account.pw_uid),
        account.pw_gid,
    )


@contextmanager
def running_cluster() -> Iterator[str]:
    """Start a cluster and yield its URL (database ``postgres``, user `USER`)."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError("PostgreSQL server binaries are missing")
    prefix, uid, gid = _as_server_user()
    home = Path(tempfile.mkdtemp(prefix="debtkit-pg-"))
    data, pwfile, log = home / "data", home / "pw", home / "server.log"
    pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
    if uid is not None and gid is not None:
        os.chown(home, uid, gid)
        os.chown(pwfile, uid, gid)
    port = _free_port()
    try:
        subprocess.run(
            [
                *prefix,
                initdb,
                "-D",
                str(data),
                "-U",
                USER,
                f"--pwfile={pwfile}",
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [
                *prefix,
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                "120",
                "start",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            yield f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)
