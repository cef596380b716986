"""Password file lines for test brokers.

hash_pbkdf2() makes the `$7$` form that mosquitto_passwd writes (PBKDF2 with
SHA-512: `$7$ITERATIONS$BASE64(SALT)$BASE64(KEY)`, 12-byte salt, 64-byte
key), which both mosquitto's password_file and Petrel's users.properties
accept. Written from the format description, checked against mosquitto.
"""

import base64
import hashlib
import os


def hash_pbkdf2(password, iterations=101, salt=None):
    salt = salt if salt is not None else os.urandom(12)
    key = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return "$7$%d$%s$%s" % (iterations, base64.b64encode(salt).decode(),
                            base64.b64encode(key).decode())


def password_file(users, iterations=101):
    """mosquitto password_file text for {user: password} (hashed)."""
    return "".join("%s:%s\n" % (u, hash_pbkdf2(p, iterations)) for u, p in users.items())


def users_properties(users, hashed=True, iterations=101):
    """Apollo-style users.properties text (user=password), hashed or plain."""
    return "".join("%s=%s\n" % (u, hash_pbkdf2(p, iterations) if hashed else p)
                   for u, p in users.items())
