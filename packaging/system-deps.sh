#!/bin/sh
# Debian/Ubuntu packages Clinic Inbox needs beyond Python.
#   system-deps.sh run   what the desktop app needs (Qt's X11/Wayland libraries)
#   system-deps.sh test  what the test suite needs (offscreen Qt, a private Secret
#                        Service, Dovecot IMAP, Node.js for the FHIR test server, PDF tools,
#                        PostgreSQL for the shared queue, desktop-file and AppStream
#                        validators)
#   system-deps.sh package  what `make package` needs: the Qt libraries the bundle
#                        carries with it (X11 included, so it runs on a desktop)
# As root it installs what is missing; otherwise it names it and stops.
set -eu

QT_OFFSCREEN="libgl1 libegl1 libfontconfig1 libglib2.0-0 libdbus-1-3 libxkbcommon0 fonts-dejavu-core"
QT_DESKTOP="libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxkbcommon-x11-0"
TEST_SERVERS="gnome-keyring dbus dovecot-imapd poppler-utils postgresql"
# validators of the desktop entry and the AppStream file (tests/integration/test_packaging.py)
PACKAGING_TOOLS="desktop-file-utils appstream"

case "${1:-test}" in
  run)  WANT="$QT_OFFSCREEN $QT_DESKTOP" ;;
  test) WANT="$QT_OFFSCREEN $TEST_SERVERS $PACKAGING_TOOLS" ;;
  # xvfb and xauth: the smoke test opens the bundled app on a virtual X11 display
  package) WANT="$QT_OFFSCREEN $QT_DESKTOP xvfb xauth" ;;
  *) echo "usage: $0 run|test|package" >&2; exit 2 ;;
esac

if ! command -v dpkg >/dev/null 2>&1; then
  echo "Not a Debian-based system: install the equivalents of: $WANT" >&2
  exit 0
fi

MISSING=""
for pkg in $WANT; do
  dpkg -s "$pkg" >/dev/null 2>&1 || MISSING="$MISSING $pkg"
done
# The FHIR test server runs on Node.js; any install of node and npm will do.
if [ "${1:-test}" = "test" ] && ! { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; }; then
  MISSING="$MISSING nodejs npm"
fi
[ -z "$MISSING" ] && exit 0

if [ "$(id -u)" = "0" ]; then
  echo "Installing system packages:$MISSING"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $MISSING >/dev/null
  # Dovecot's package starts a system service we do not use; tests run their own.
  if command -v service >/dev/null 2>&1; then service dovecot stop >/dev/null 2>&1 || true; fi
else
  echo "These system packages are missing:$MISSING" >&2
  echo "Install them with:  sudo apt-get install --no-install-recommends$MISSING" >&2
  exit 1
fi
