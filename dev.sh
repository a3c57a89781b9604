#!/usr/bin/env bash
# Lobbyline developer entry point.
#
#   ./dev.sh run [kiosk args...]   install missing deps, then run the kiosk
#   ./dev.sh test                  install missing deps, then gofmt, vet, staticcheck, gosec and all tests
#                                  (against a throwaway PostgreSQL server it starts)
#   ./dev.sh deps                  only check Go and check / install the Debian packages
#   ./dev.sh package               build the .deb packages into dist/ (packaging/README.md)
#   ./dev.sh test-install          build the packages, install them into a fresh Debian 12
#                                  root made with mmdebstrap (downloads it), check them there
#
# Environment overrides:
#   LOBBYLINE_DEPS_FILE       package list to use (default packaging/debian-deps.txt)
#   LOBBYLINE_ARCHES          architectures for `package` (default: amd64 arm64; the
#                             kiosk's arm64 package needs a cross C toolchain, see
#                             packaging/README.md, and is skipped without one)
#   LOBBYLINE_MIRROR          Debian mirror for test-install (default http://deb.debian.org/debian)
#   LOBBYLINE_TEST_POSTGRES   postgres:// URL of a server for the tests. Unset, `test`
#                             starts one of its own in a temp dir (installing the
#                             postgresql package if needed) and deletes it on exit.
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
	local pkg pkgs=()
	while read -r pkg; do
		pkg=${pkg%%#*}
		pkg=${pkg//[[:space:]]/}
		[[ -n $pkg ]] || continue
		pkgs+=("$pkg")
	done <"$DEPS_FILE"
	ensure_packages "${pkgs[@]}"
}

# Installs the Debian packages given that are missing; as non-root, prints
# the apt-get line instead and exits.
ensure_packages() {
	local pkg missing=()
	for pkg in "$@"; do
		if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) != "install ok installed" ]]; then
			missing+=("$pkg")
		fi
	done

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

# PostgreSQL's server programs: the newest Debian version's, else those on
# PATH. Prints nothing if there are none.
pg_bindir() {
	local dir
	while read -r dir; do
		if [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres && -x $dir/psql ]]; then
			echo "$dir"
			return 0
		fi
	done < <(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -rV)
	if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		dirname "$(command -v initdb)"
	fi
}

PG_DIR= # the throwaway cluster: data/, its socket and its log

# initdb and pg_ctl refuse to run as root, so root runs them as postgres.
as_pg_owner() {
	if (( EUID == 0 )); then
		(cd "$PG_DIR" && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

stop_postgres() {
	[[ -n $PG_DIR && -d $PG_DIR ]] || return 0
	if [[ -f $PG_DIR/data/postmaster.pid ]]; then
		as_pg_owner "$PG_BIN/pg_ctl" stop -D "$PG_DIR/data" -m immediate -s >/dev/null 2>&1 || true
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
}

# Starts a PostgreSQL server of its own for the tests: a fresh cluster in a
# temporary directory, listening on a Unix socket in that directory only
# (so no port can clash and nobody else can connect), trusted, without
# fsync. It exports its URL as LOBBYLINE_TEST_POSTGRES and is stopped and
# removed when this script exits.
start_postgres() {
	PG_BIN=$(pg_bindir)
	if [[ -z $PG_BIN ]]; then
		ensure_packages postgresql
		PG_BIN=$(pg_bindir)
		[[ -n $PG_BIN ]] || die "the postgresql package is installed, but initdb and pg_ctl are not in /usr/lib/postgresql/*/bin"
	fi
	if (( EUID == 0 )); then
		id postgres >/dev/null 2>&1 || die "user postgres is missing (the postgresql package creates it); initdb cannot run as root"
	fi

	# A Unix socket path must fit in about 100 bytes, which a long TMPDIR
	# may not leave; and as root the directory must be reachable by postgres.
	local base=${TMPDIR:-/tmp}
	if (( ${#base} > 60 || EUID == 0 )); then
		base=/tmp
	fi
	PG_DIR=$(mktemp -d "$base/lobbyline-pg.XXXXXX")
	trap stop_postgres EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if (( EUID == 0 )); then
		chown postgres: "$PG_DIR"
	fi

	if ! as_pg_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C \
		--no-sync --no-instructions >"$PG_DIR/initdb.log" 2>&1; then
		cat "$PG_DIR/initdb.log" >&2
		die "initdb failed"
	fi
	cat >>"$PG_DIR/data/postgresql.conf" <<-CONF
		listen_addresses = ''
		unix_socket_directories = '$PG_DIR'
		unix_socket_permissions = 0700
		max_connections = 300
		fsync = off
		synchronous_commit = off
		full_page_writes = off
	CONF
	if ! as_pg_owner "$PG_BIN/pg_ctl" start -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -s; then
		cat "$PG_DIR/server.log" >&2
		die "PostgreSQL did not start"
	fi
	if ! as_pg_owner "$PG_BIN/psql" -h "$PG_DIR" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 \
		-c 'CREATE DATABASE lobbyline' >"$PG_DIR/createdb.log" 2>&1; then
		cat "$PG_DIR/createdb.log" >&2
		die "could not create the test database"
	fi
	export LOBBYLINE_TEST_POSTGRES="postgres://postgres@/lobbyline?host=$PG_DIR&sslmode=disable"
	echo "dev.sh: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') for the tests at $PG_DIR" >&2
}

# Services the tests need, stopped when the script exits.
start_services() {
	if [[ -n ${LOBBYLINE_TEST_POSTGRES:-} ]]; then
		echo "dev.sh: the tests use the PostgreSQL server at LOBBYLINE_TEST_POSTGRES" >&2
	else
		start_postgres
	fi
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
	# --demo: the embedded sample, its demo staff accounts (PIN 246810) and a private
	# centre inside the kiosk, which a lobby never opens with otherwise.
	exec go run ./cmd/kiosk --demo "$@"
}

# The package version: git describe --tags as a Debian version. A tag
# v1.2.3 gives 1.2.3, commits after it 1.2.3+git4.gabc1234; with no tag,
# 0.0.0~git<commit date>.<commit>. Uncommitted changes add +dirty.
deb_version() {
	local d commit dirty=''
	commit=$(git rev-parse --short HEAD 2>/dev/null) || { echo "0.0.0~unknown"; return; }
	if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
		dirty=+dirty
	fi
	# Only a tag that looks like a version counts; a bare commit id
	# (describe --always) may start with a digit too.
	if d=$(git describe --tags --match '[v0-9]*' 2>/dev/null) &&
		[[ $d =~ ^v?([0-9][0-9A-Za-z.~]*)(-([0-9]+)-g([0-9a-f]+))?$ ]]; then
		local v=${BASH_REMATCH[1]}
		if [[ -n ${BASH_REMATCH[3]} ]]; then
			v+="+git${BASH_REMATCH[3]}.g${BASH_REMATCH[4]}"
		fi
		echo "$v$dirty"
	else
		echo "0.0.0~git$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d).$commit$dirty"
	fi
}

# The kiosk's packaged config: the annotated sample with no staff PIN (IT
# sets one with hash-pin), no embedded centre, and its database in the home
# of the session's user.
packaged_kiosk_config() {
	cat <<-'HEAD'
		# Lobbyline kiosk configuration, installed by the lobbyline-kiosk package as
		# /etc/lobbyline/kiosk.toml (a conffile: upgrades keep your changes). Only root
		# and the group lobby read it: it holds the staff PIN's hash once IT sets it (the centre's token
		# is kept apart, in the enrolment file, readable by the lobby user only).
		# The lobby session (lobbyline-kiosk.service) runs
		#   lobbyline-kiosk --fullscreen --config /etc/lobbyline/kiosk.toml
		# Check it after a change, then restart the session:
		#   sudo -u lobby lobbyline-kiosk --config /etc/lobbyline/kiosk.toml check-config
		#   sudo systemctl restart lobbyline-kiosk
		# The sample this was made from: /usr/share/doc/lobbyline-kiosk/sample.toml

		# The kiosk's database, in the home of the session's user lobby.
		database = "/var/lib/lobbyline-kiosk/kiosk.db"

	HEAD
	# shellcheck disable=SC2016 # the $2a$10$ is the hash's text, not a variable
	sed -e '1,/^$/d' \
		-e '/^# bcrypt hash of the staff PIN/,/^pin_hash = /c\
# The staff PIN: set one before this kiosk opens a lobby. Choose a PIN, then\
#   echo YOUR-PIN | lobbyline-kiosk hash-pin\
# prints a pin_hash line: put it here, in place of this comment.\
# pin_hash = "$2a$10$..."' \
		-e 's/^central = "embedded"$/central = ""   # "": the set-up screen asks for the centre and a code from central enroll; "off": no centre/' \
		cmd/kiosk/default.toml
}

# Builds the packages for the architectures asked for into dist/.
cmd_package() {
	local version arches arch stage ldflags
	version=$(deb_version)
	arches=${LOBBYLINE_ARCHES:-amd64 arm64}
	ldflags="-s -w -X main.version=$version"
	rm -rf dist
	mkdir -p dist
	for arch in $arches; do
		stage=dist/stage/$arch
		mkdir -p "$stage"
		echo "dev.sh: building lobbyline-central $version for $arch" >&2
		CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$stage/lobbyline-central" ./cmd/central
		ARCH=$arch VERSION=$version STAGE=$stage go tool nfpm package --packager deb \
			--config packaging/nfpm-central.yaml --target dist/ >&2

		# Fyne needs cgo: the kiosk is built for another architecture only
		# with a C cross compiler and that architecture's -dev libraries.
		local cc cross=()
		if [[ $arch != "$(go env GOHOSTARCH)" ]]; then
			cc=$(cross_cc "$arch") || {
				echo "dev.sh: no lobbyline-kiosk for $arch: no C cross toolchain for it (see packaging/README.md)" >&2
				continue
			}
			cross=(CC="$cc" PKG_CONFIG_LIBDIR="/usr/lib/$(deb_triplet "$arch")/pkgconfig:/usr/share/pkgconfig")
		fi
		echo "dev.sh: building lobbyline-kiosk $version for $arch" >&2
		env CGO_ENABLED=1 GOOS=linux GOARCH="$arch" "${cross[@]}" \
			go build -trimpath -ldflags "$ldflags" -o "$stage/lobbyline-kiosk" ./cmd/kiosk
		packaged_kiosk_config >"$stage/kiosk.toml"
		ARCH=$arch VERSION=$version STAGE=$stage go tool nfpm package --packager deb \
			--config packaging/nfpm-kiosk.yaml --target dist/ >&2
	done
	rm -rf dist/stage
	ls -1 dist/*.deb
}

deb_triplet() {
	case $1 in
		amd64) echo x86_64-linux-gnu ;;
		arm64) echo aarch64-linux-gnu ;;
		*) return 1 ;;
	esac
}

# The C cross compiler for arch, if it and the arch's GL/X/Wayland -dev
# packages (multiarch) are installed.
cross_cc() {
	local triplet
	triplet=$(deb_triplet "$1") || return 1
	command -v "$triplet-gcc" >/dev/null || return 1
	[[ -e /usr/lib/$triplet/pkgconfig/gl.pc || -e /usr/lib/$triplet/libGL.so ]] || return 1
	echo "$triplet-gcc"
}

cmd_test_install() {
	[[ $EUID == 0 ]] || die "test-install builds a Debian root and installs packages into it: run it as root"
	ensure_packages mmdebstrap
	LOBBYLINE_ARCHES=amd64 cmd_package
	bash packaging/test-install.sh dist
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
	# Static analysis beyond vet (pinned in go.mod's tool block): no
	# findings, or each answered at its line with a //lint:ignore and why.
	go tool staticcheck ./...
	# Security lint: no findings, or each answered at its line with a
	# "#nosec RULE -- why" (no rule is excluded wholesale).
	go tool gosec -quiet -exclude-generated ./...
	# The packages are built first: packaging/pkg_test.go checks them.
	LOBBYLINE_ARCHES=amd64 cmd_package >/dev/null
	export LOBBYLINE_PACKAGES=$PWD/dist
	start_services
	go test -race -shuffle=on -count=1 -timeout 30m ./...
	# Issue 16's fuzz targets, briefly, on top of their checked-in corpus
	# (testdata/fuzz). The budget is a count of inputs, never a duration:
	# a duration races the fuzz coordinator's own deadline on a loaded
	# machine and fails with a bare "context deadline exceeded" having
	# found nothing (golang/go#51484). Nights raise the counts, e.g.
	# FUZZ_WIRE=5000000x FUZZ_CENTRE=200000x.
	go test ./syncer/wire/ -run '^$' -fuzz '^FuzzDecodePushRequest$' -fuzztime "${FUZZ_WIRE:-50000x}"
	go test ./syncer/centre/ -run '^$' -fuzz '^FuzzCentralPushVisit$' -fuzztime "${FUZZ_CENTRE:-3000x}"
}

case ${1:-} in
	run)  shift; check_go; cmd_run "$@" ;;
	test) check_go; ensure_deps; cmd_test ;;
	deps) check_go; ensure_deps; echo "dev.sh: all Debian packages from $DEPS_FILE are installed." ;;
	package) check_go; ensure_deps; cmd_package ;;
	test-install) check_go; ensure_deps; cmd_test_install ;;
	*)
		echo "usage: ./dev.sh run [kiosk args...] | test | deps | package | test-install" >&2
		exit 2
		;;
esac
