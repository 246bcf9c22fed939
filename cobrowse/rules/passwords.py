"""Password hashing for agents: scrypt from the standard library, with a random salt.

Stored as ``scrypt$n$r$p$salt_hex$hash_hex`` so the cost can be raised later without
breaking old hashes.
"""

import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1
_DUMMY = None


def hash_password(password: str) -> str:
    """A fresh salted hash of ``password``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check; an unknown user costs the same time as a known one."""
    global _DUMMY
    if not stored:
        _DUMMY = _DUMMY or hash_password("x")
        stored, ok = _DUMMY, False
    else:
        ok = True
    try:
        _, n, r, p, salt, want = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(want) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), want) and ok
