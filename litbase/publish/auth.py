"""Who may screen on the web: the reviewers file, salted password hashes, and the actor they sign in as.

The file (``litbase serve --reviewers FILE``) holds one reviewer a line,
``NAME:scrypt:N:R:P:SALT:HASH`` (hex salt and hash of hashlib.scrypt), never a
password; lines starting with # are comments. ``litbase reviewers add FILE
NAME`` writes a line. There is no default account: without a file nobody
signs in, and nobody writes. A file others may read is refused, as ssh
refuses a private key others may read.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from pathlib import Path

# scrypt's cost: 16 MiB of memory and ~50 ms a check here (n=2**14, r=8; the
# parameters OWASP lists as a floor), written into each line so they can grow.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
# The actor a reviewer signs in as; "litbase" marks it as ours, so an actor of
# another plugin that happens to carry a reviewer's id is not taken for them.
ACTOR_KEY = "litbase"
ACTOR_ROLE = "reviewer"
SCREEN_ACTION = "litbase-screen"


class ReviewersError(ValueError):
    """A reviewers file that cannot be used; the message is one line."""


def hash_password(password: str, salt: bytes | None = None, n: int = SCRYPT["n"], r: int = SCRYPT["r"],
                  p: int = SCRYPT["p"]) -> str:
    """``scrypt:N:R:P:SALT:HASH`` for a password (a fresh 16-byte salt unless given)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt:{n}:{r}:{p}:{salt.hex()}:{digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether a password matches a stored ``scrypt:...`` hash (compared in constant time)."""
    try:
        method, n, r, p, salt, digest = stored.split(":")
        if method != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        found = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                               p=int(p), dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(found, expected)


def check_private(path: Path) -> None:
    """ReviewersError unless the file exists and only its owner (and group) may read it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ReviewersError(f"reviewers file {path} does not exist (litbase reviewers add {path} NAME makes it)")
    if mode & stat.S_IROTH:
        raise ReviewersError(f"reviewers file {path} is readable by everyone: chmod 600 {path}")


def read_reviewers(path) -> dict[str, str]:
    """NAME -> stored hash, from a reviewers file; ReviewersError naming the line that is wrong."""
    path = Path(path)
    check_private(path)
    reviewers = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, stored = line.partition(":")
        if not NAME.match(name) or not stored.startswith("scrypt:") or stored.count(":") != 5:
            raise ReviewersError(f"{path} line {number}: not NAME:scrypt:N:R:P:SALT:HASH"
                                 " (litbase reviewers add writes one)")
        if name in reviewers:
            raise ReviewersError(f"{path} line {number}: reviewer {name!r} is listed twice")
        reviewers[name] = stored
    return reviewers


def add_reviewer(path, name: str, password: str) -> bool:
    """Add a reviewer, or set a listed reviewer's password; True when the name is new.

    A new file is made readable by its owner only.
    """
    path = Path(path)
    if not NAME.match(name):
        raise ReviewersError(f"reviewer name {name!r}: letters, digits, and . _ @ - (up to 64)")
    if len(password) < 8:
        raise ReviewersError("a password needs at least 8 characters")
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    if path.exists():
        read_reviewers(path)  # refuses a readable or broken file before changing it
    entry = f"{name}:{hash_password(password)}"
    new = not any(line.split(":", 1)[0] == name for line in lines)
    lines = [entry if line.split(":", 1)[0] == name else line for line in lines] + ([entry] if new else [])
    # Written beside the file and renamed over it, with owner-only permissions from the start.
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    os.replace(temporary, path)
    return new


def sign_in(path, name: str, password: str) -> dict | None:
    """The actor for a reviewer whose password matches, else None (a missing name costs the same time)."""
    try:
        reviewers = read_reviewers(path)
    except ReviewersError:
        return None
    # A name not listed is checked against a throwaway hash, so timing does not tell names apart.
    stored = reviewers.get(name) or hash_password("", salt=b"\0" * 16)
    if verify_password(password, stored) and name in reviewers:
        return {"id": name, ACTOR_KEY: ACTOR_ROLE}
    return None


def is_reviewer(path, actor: dict | None) -> bool:
    """Whether an actor signed in as a reviewer who is still listed in the file."""
    if not path or not actor or actor.get(ACTOR_KEY) != ACTOR_ROLE:
        return False
    try:
        return actor.get("id") in read_reviewers(path)
    except ReviewersError:
        return False
