#!/usr/bin/env bash
# Builds the kiosk from this checkout and installs it system-wide (first cut).
# Run as root from anywhere:  sudo bash packaging/install.sh
# DESTDIR=/some/dir stages the files there instead of / (for testing).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DESTDIR=${DESTDIR:-}
BIN=$DESTDIR/usr/local/bin/lobbyline-kiosk

if [[ -z $DESTDIR && $EUID -ne 0 ]]; then
	echo "install.sh: run as root (sudo bash packaging/install.sh)" >&2
	exit 1
fi

# sudo's secure_path usually leaves out the Go tarball's bin dir.
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
	PATH=/usr/local/go/bin:$PATH
fi

# Same Go version check and Debian package list as development.
bash dev.sh deps

# Build next to nothing that is running, then swap the binary in: overwriting
# the executable of a running kiosk in place fails with "text file busy".
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=1 go build -trimpath -o "$tmp/lobbyline-kiosk" ./cmd/kiosk

install -D -m 0755 "$tmp/lobbyline-kiosk" "$BIN"
install -D -m 0644 assets/icon.png "$DESTDIR/usr/local/share/icons/hicolor/512x512/apps/lobbyline-kiosk.png"
install -D -m 0644 packaging/lobbyline-kiosk.desktop "$DESTDIR/usr/local/share/applications/lobbyline-kiosk.desktop"
install -D -m 0644 packaging/lobbyline-kiosk.service "$DESTDIR/etc/systemd/user/lobbyline-kiosk.service"

cat <<MSG
Installed $BIN, its icon, desktop entry and systemd user unit.
To start the kiosk automatically, log in as the kiosk account's desktop session and run:
  systemctl --user daemon-reload
  systemctl --user enable --now lobbyline-kiosk.service
MSG
