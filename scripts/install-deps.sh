#!/bin/sh
# Install the Debian packages Petrel needs to build and test, and the npm
# packages its integration tests use. Idempotent: quiet when nothing is
# missing. Runs apt-get update once before the first install.
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev \
libuv1-dev libssl-dev libsqlite3-dev libcmocka-dev libargon2-dev libcjson-dev \
mosquitto mosquitto-clients python3 python3-paho-mqtt"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

# Node.js may come from another source (it bundles npm there); take Debian's
# only when there is none.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # mosquitto's package starts a system broker on 1883; we never want it.
    # policy-rc.d keeps the service from starting during install.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod +x /usr/sbin/policy-rc.d
        trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# MQTT.js for the integration tests, installed into tests/node_modules.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$here/tests/node_modules/mqtt" ]; then
    echo "install-deps: installing npm mqtt into tests/"
    (cd "$here/tests" && npm install --no-audit --no-fund --silent >/dev/null)
fi
