"""What the runner (run.py) passes to a test file, read from the environment.

Every setting has a default, so a test file can also be run directly:
    /usr/bin/python3 tests/integration/01-connect-v311.py

PETREL_BIN        directory holding the petrel binaries (default: build/bin)
PETREL_BROKER     "petrel" (default) or "mosquitto"
PETREL_THREADS    written as `threads N` into every Petrel config (default: unset)
PETREL_PERSISTENCE  1: `persistence true` (sync off) in every Petrel config
PETREL_SANITIZED  "1": the broker is an ASan/UBSan build; waits are longer and a
                  sanitizer report in the broker log fails the test
PETREL_TEST_DIR   where brokers put their configs and logs (default: a new temp dir)
PETREL_RUNNER     "1" when run.py runs the file (it prints broker logs itself)
PETREL_FORCE_PETREL_ONLY  "1": run @case(petrel_only=...) cases against mosquitto
                  too, to see how mosquitto differs (they are expected to fail)
"""

import os
import shutil
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tests/integration
REPO = os.path.dirname(os.path.dirname(ROOT))
JS_DIR = os.path.join(ROOT, "js")
NODE_MODULES = os.path.join(REPO, "tests", "node_modules")

BIN = os.path.abspath(os.environ.get("PETREL_BIN") or os.path.join(REPO, "build", "bin"))
BROKER = os.environ.get("PETREL_BROKER") or "petrel"
THREADS = os.environ.get("PETREL_THREADS") or None
PERSISTENCE = os.environ.get("PETREL_PERSISTENCE") == "1"
SANITIZED = os.environ.get("PETREL_SANITIZED") == "1"
UNDER_RUNNER = os.environ.get("PETREL_RUNNER") == "1"
FORCE_PETREL_ONLY = os.environ.get("PETREL_FORCE_PETREL_ONLY") == "1"
MOSQUITTO = "/usr/sbin/mosquitto"

# Every wait in the helpers is multiplied by SCALE: a sanitized broker is
# several times slower, and its start-up costs more still.
SCALE = 3.0 if SANITIZED else 1.0

_test_dir = os.environ.get("PETREL_TEST_DIR")
_made_here = False


def is_mosquitto():
    """True when the suite runs against mosquitto instead of Petrel."""
    return BROKER == "mosquitto"


def test_dir():
    """The directory where this test file's brokers keep their files."""
    global _test_dir, _made_here
    if not _test_dir:
        _test_dir = tempfile.mkdtemp(prefix="petrel-test-")
        _made_here = True
    os.makedirs(_test_dir, exist_ok=True)
    return _test_dir


def scaled(seconds):
    """A timeout in seconds, stretched for sanitized builds."""
    return seconds * SCALE


def remove_own_test_dir():
    """Removes the temp dir when this process made it (run without run.py)."""
    if _made_here and _test_dir:
        shutil.rmtree(_test_dir, ignore_errors=True)
