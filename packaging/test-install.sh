#!/usr/bin/env bash
# Installs the amd64 packages in DIST into a fresh Debian 12 root made with
# mmdebstrap and checks them there (install-checks.sh, run inside the root).
# ./dev.sh test-install builds the packages and runs this, as root.
#
# The root is thrown away at the end; the .debs it downloads are kept in
# ${XDG_CACHE_HOME:-~/.cache}/lobbyline/apt so a second run downloads less.
set -euo pipefail

dist=$(realpath "${1:?usage: test-install.sh DIST}")
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
mirror=${LOBBYLINE_MIRROR:-http://deb.debian.org/debian}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/lobbyline/apt
mkdir -p "$cache"

shopt -s nullglob
debs=("$dist"/lobbyline-kiosk_*_amd64.deb "$dist"/lobbyline-central_*_amd64.deb)
(( ${#debs[@]} == 2 )) || { echo "test-install.sh: want one kiosk and one central amd64 .deb in $dist, found: ${debs[*]}" >&2; exit 1; }

echo "test-install.sh: a Debian 12 root from $mirror, then ${debs[*]##*/}" >&2
# The hooks run on this machine with the root as $1; mmdebstrap mounts /proc,
# /sys and /dev in it for chroot. The cache hooks are mmdebstrap's documented
# way to keep downloaded packages between runs.
# shellcheck disable=SC2016 # $1 is mmdebstrap's, expanded in its hooks
mmdebstrap --variant=apt --include=systemd,systemd-sysv,dbus,sudo \
	--skip=download/empty --skip=essential/unlink \
	--setup-hook='mkdir -p "$1/var/cache/apt/archives/"' \
	--setup-hook="sync-in '$cache' /var/cache/apt/archives/" \
	--customize-hook="copy-in '${debs[0]}' '${debs[1]}' '$here/install-checks.sh' /tmp/" \
	--customize-hook='chroot "$1" bash /tmp/install-checks.sh /tmp/'"${debs[0]##*/}"' /tmp/'"${debs[1]##*/}" \
	--customize-hook="copy-out /tmp/lobby-setup.png /tmp/lobby-welcome.png '$dist'" \
	--customize-hook="sync-out /var/cache/apt/archives '$cache'" \
	bookworm /dev/null "deb $mirror bookworm main"
echo "test-install.sh: both packages installed, checked and removed in a clean Debian 12 root;" \
	"the kiosk's set-up and welcome screens under cage: $dist/lobby-setup.png, $dist/lobby-welcome.png" >&2
