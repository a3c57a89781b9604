#!/usr/bin/env bash
# Lobbyline developer entry point.
#
#   ./dev.sh run [kiosk args...]   install missing deps, then run the kiosk
#   ./dev.sh test                  install missing deps, then gofmt, vet and all tests
#   ./dev.sh deps                  only check Go and check / install the Debian packages
#
# Environment overrides:
#   LOBBYLINE_DEPS_FILE   package list to use (default packaging/debian-deps.txt)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

MIN_GO_MINOR=26 # Go 1.26 or newer
DEPS_FILE=${LOBBYLINE_DEPS_FILE:-packaging/debian-deps.txt}

die() { echo "dev.sh: $*" >&2; exit 1; }

# A fresh shell may not have the official tarball's bin dir on PATH.
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
	PATH=/usr/local/go/bin:$PATH
fi

check_go() {
	command -v go >/dev/null ||
		die "Go is not installed (or not on PATH). Install Go 1.$MIN_GO_MINOR+ from https://go.dev/dl/ into /usr/local/go."
	local v major minor
	v=$(go env GOVERSION) # e.g. go1.26.8
	IFS=. read -r major minor _ <<<"${v#go}"
	if (( major < 1 || (major == 1 && ${minor%%[!0-9]*} < MIN_GO_MINOR) )); then
		die "found $v, but Lobbyline needs Go 1.$MIN_GO_MINOR or newer (https://go.dev/dl/)."
	fi
}

# Reads the package list (one per line, '#' comments) and installs what is missing.
ensure_deps() {
	[[ -r $DEPS_FILE ]] || die "package list $DEPS_FILE not found"
	local pkg missing=()
	while read -r pkg; do
		pkg=${pkg%%#*}
		pkg=${pkg//[[:space:]]/}
		[[ -n $pkg ]] || continue
		if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) != "install ok installed" ]]; then
			missing+=("$pkg")
		fi
	done <"$DEPS_FILE"

	if (( ${#missing[@]} == 0 )); then
		return 0
	fi

	if (( EUID == 0 )); then
		echo "dev.sh: installing missing Debian packages: ${missing[*]}" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
	else
		echo "dev.sh: missing Debian packages. Install them with:" >&2
		echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
}

# Hook for services the tests need. Nothing yet; a later change starts a
# throwaway PostgreSQL server here (and registers its shutdown with a trap).
start_services() {
	:
}

cmd_run() {
	if [[ -z ${DISPLAY:-} && -z ${WAYLAND_DISPLAY:-} ]]; then
		echo "dev.sh: the kiosk needs a display, but neither DISPLAY nor WAYLAND_DISPLAY is set." >&2
		echo "  Run it from a desktop session, or over SSH with X forwarding (ssh -X)." >&2
		if command -v xvfb-run >/dev/null; then
			echo "  To just check that it starts, under a virtual X server (nothing visible):" >&2
			echo "    xvfb-run -a ./dev.sh run $*" >&2
		fi
		exit 1
	fi
	ensure_deps
	export CGO_ENABLED=1
	exec go run ./cmd/kiosk "$@"
}

cmd_test() {
	export CGO_ENABLED=1 LANG=en_US.UTF-8

	# Same directories the go tool walks: skip testdata, vendor, and dot/underscore dirs.
	local unformatted
	unformatted=$(find . \( -name testdata -o -name vendor -o -name '.?*' -o -name '_*' \) -prune \
		-o -name '*.go' -type f -print0 | xargs -0 -r gofmt -l)
	if [[ -n $unformatted ]]; then
		echo "dev.sh: these files need gofmt (run: gofmt -w <file>):" >&2
		echo "$unformatted" >&2
		exit 1
	fi

	go vet ./...
	start_services
	go test -race -shuffle=on -count=1 -timeout 30m ./...
}

case ${1:-} in
	run)  shift; check_go; cmd_run "$@" ;;
	test) check_go; ensure_deps; cmd_test ;;
	deps) check_go; ensure_deps; echo "dev.sh: all Debian packages from $DEPS_FILE are installed." ;;
	*)
		echo "usage: ./dev.sh run [kiosk args...] | test | deps" >&2
		exit 2
		;;
esac
