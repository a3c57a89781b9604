#!/usr/bin/env bash
# Runs inside a fresh Debian 12 root (test-install.sh puts it there):
# installs the two packages as IT would, checks what they installed, removes
# and purges them, and checks that the data stays.
#   install-checks.sh KIOSK.deb CENTRAL.deb
set -euo pipefail
kiosk_deb=$1 central_deb=$2

step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "apt-get install ./lobbyline-kiosk ./lobbyline-central"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -q --no-install-recommends "$kiosk_deb" "$central_deb" | tail -n 3

step "nothing to build with was pulled in"
if dpkg-query -W -f='${Package}\n' | grep -E -- '-dev$|^golang|^(gcc|g\+\+|cpp)(-[0-9]+)?$|^build-essential$'; then
	fail "build tools or -dev packages were installed"
fi

step "--version"
for p in lobbyline-kiosk lobbyline-central; do
	want=$(dpkg-query -W -f='${Version}' "$p")
	got=$("/usr/bin/$p" --version)
	echo "$got"
	[[ $got == "$p $want" ]] || fail "$p --version says '$got', the package is $want"
done

step "users, directories, permissions"
id lobby
id lobbyline
[[ $(stat -c %U:%G:%a /var/lib/lobbyline) == lobbyline:lobbyline:750 ]] || fail "/var/lib/lobbyline is $(stat -c %U:%G:%a /var/lib/lobbyline)"
[[ $(stat -c %U:%G:%a /var/lib/lobbyline-kiosk) == lobby:lobby:750 ]] || fail "/var/lib/lobbyline-kiosk is $(stat -c %U:%G:%a /var/lib/lobbyline-kiosk)"
[[ $(stat -c %U:%G:%a /etc/lobbyline/kiosk.toml) == root:lobby:640 ]] || fail "kiosk.toml is $(stat -c %U:%G:%a /etc/lobbyline/kiosk.toml)"
[[ $(stat -c %U:%G:%a /etc/lobbyline/central.toml) == root:lobbyline:640 ]] || fail "central.toml is $(stat -c %U:%G:%a /etc/lobbyline/central.toml)"
ls -l /etc/lobbyline

step "check-config, as the users the units run as"
runuser -u lobbyline -- lobbyline-central --config /etc/lobbyline/central.toml check-config
if grep -q '^pin_hash' /etc/lobbyline/kiosk.toml; then
	fail "the packaged kiosk.toml sets a staff PIN"
fi
if out=$(runuser -u lobby -- lobbyline-kiosk --config /etc/lobbyline/kiosk.toml check-config 2>&1); then
	fail "check-config accepts the packaged kiosk.toml, which has no staff PIN: $out"
fi
echo "refused until a PIN is set: $out"
# As README's "Install in a lobby" tells IT to.
sed -i "s|^# pin_hash = .*|$(echo 4817 | lobbyline-kiosk hash-pin)|" /etc/lobbyline/kiosk.toml
if out=$(runuser -u lobby -- lobbyline-kiosk --config /etc/lobbyline/kiosk.toml check-config 2>&1) || [[ $out != *"waiting for enrolment"* ]]; then
	fail "check-config of a kiosk with a PIN, not enrolled yet: $out"
fi
echo "waiting for enrolment: ${out##*$'\n'}"

# screen NAME: the kiosk under cage draws a screen, saved as
# /tmp/lobby-NAME.png. cage's headless back end with software rendering
# stands in for a screen and a GPU; grim takes the screenshot
# test-install.sh copies out.
screen() {
	install -d -o lobby -g lobby -m 0700 /tmp/xdg
	runuser -u lobby -- env XDG_RUNTIME_DIR=/tmp/xdg XDG_CACHE_HOME=/tmp/xdg/cache XDG_SESSION_TYPE=wayland \
		WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_HEADLESS_OUTPUTS=1 WLR_LIBINPUT_NO_DEVICES=1 LIBGL_ALWAYS_SOFTWARE=1 \
		timeout -k 10 120 cage -d -- lobbyline-kiosk --fullscreen --config /etc/lobbyline/kiosk.toml >/tmp/cage.log 2>&1 &
	local cage=$! shown=
	for _ in $(seq 45); do
		sleep 2
		# An empty frame is a few kB; a screen with its text, far more.
		if [[ -S /tmp/xdg/wayland-0 ]] &&
			runuser -u lobby -- env XDG_RUNTIME_DIR=/tmp/xdg WAYLAND_DISPLAY=wayland-0 grim /tmp/xdg/shot.png 2>/dev/null &&
			(( $(stat -c %s /tmp/xdg/shot.png) > 40000 )); then
			shown=yes
			break
		fi
	done
	kill "$cage" 2>/dev/null || true
	wait "$cage" 2>/dev/null || true
	if [[ -z $shown ]]; then
		cat /tmp/cage.log >&2
		fail "no $1 screen under cage"
	fi
	cp /tmp/xdg/shot.png "/tmp/lobby-$1.png"
	rm -rf /tmp/xdg
	echo "$1 screen shown: /tmp/lobby-$1.png, $(stat -c %s "/tmp/lobby-$1.png") bytes"
}

step "first start: the kiosk under cage shows its set-up screen"
apt-get install -y -q --no-install-recommends grim >/dev/null
screen setup

step "enrolment by code, as a provisioning script does it, against the installed centre"
runuser -u lobbyline -- lobbyline-central --config /etc/lobbyline/central.toml site add general-hospital "General Hospital"
runuser -u lobbyline -- lobbyline-central --config /etc/lobbyline/central.toml serve >/tmp/central.log 2>&1 &
central=$!
code=$(runuser -u lobbyline -- lobbyline-central --config /etc/lobbyline/central.toml enroll --json --site general-hospital lobby-1 |
	sed -n 's/.*"code": "\([A-Z0-9-]*\)".*/\1/p')
[[ -n $code ]] || fail "central enroll --json printed no code"
# The centre may still be starting: a refused connection leaves the code unused.
enrolled=
for _ in $(seq 20); do
	if runuser -u lobby -- lobbyline-kiosk --config /etc/lobbyline/kiosk.toml enroll --centre http://127.0.0.1:8470 --code "$code"; then
		enrolled=yes
		break
	fi
	sleep 0.5
done
[[ -n $enrolled ]] || { cat /tmp/central.log >&2; fail "the kiosk did not enrol"; }
[[ $(stat -c %U:%a /var/lib/lobbyline-kiosk/lobby-1.enrolment) == lobby:600 ]] || fail "enrolment file is $(stat -c %U:%a /var/lib/lobbyline-kiosk/lobby-1.enrolment)"
runuser -u lobby -- lobbyline-kiosk --config /etc/lobbyline/kiosk.toml check-config

step "the lobby: the kiosk under cage shows the welcome screen"
screen welcome
kill "$central" 2>/dev/null || true
wait "$central" 2>/dev/null || true

step "systemd-analyze verify"
systemd-analyze verify /lib/systemd/system/lobbyline-central.service /lib/systemd/system/lobbyline-kiosk.service
echo "units verified"
systemd-analyze security --offline=yes --threshold=25 /lib/systemd/system/lobbyline-central.service | tail -n 1

step "enabled for boot"
ls -l /etc/systemd/system/multi-user.target.wants/lobbyline-central.service /etc/systemd/system/graphical.target.wants/lobbyline-kiosk.service

step "data made by the installed binaries"
runuser -u lobbyline -- lobbyline-central --config /etc/lobbyline/central.toml site add north "North Hospital"
runuser -u lobby -- lobbyline-kiosk --config /etc/lobbyline/kiosk.toml checkin --name "Zoë" --service registration
ls -l /var/lib/lobbyline /var/lib/lobbyline-kiosk

step "apt-get remove: binaries go, config and data stay"
apt-get remove -y -q lobbyline-kiosk lobbyline-central | tail -n 2
for f in /usr/bin/lobbyline-kiosk /usr/bin/lobbyline-central; do
	[[ ! -e $f ]] || fail "$f is still there after remove"
done
for f in /etc/lobbyline/kiosk.toml /etc/lobbyline/central.toml /var/lib/lobbyline/central.db /var/lib/lobbyline-kiosk/kiosk.db; do
	[[ -e $f ]] || fail "$f went with remove"
done
echo "kept: /etc/lobbyline/*.toml, /var/lib/lobbyline/central.db, /var/lib/lobbyline-kiosk/kiosk.db"

step "apt-get purge: config goes, data stays"
apt-get purge -y -q lobbyline-kiosk lobbyline-central 2>&1 | tail -n 4
for f in /etc/lobbyline/kiosk.toml /etc/lobbyline/central.toml; do
	[[ ! -e $f ]] || fail "$f is still there after purge"
done
for f in /var/lib/lobbyline/central.db /var/lib/lobbyline-kiosk/kiosk.db; do
	[[ -e $f ]] || fail "$f went with purge"
done
echo "kept: /var/lib/lobbyline/central.db, /var/lib/lobbyline-kiosk/kiosk.db"

step "install again: the centre finds its data"
apt-get install -y -q --no-install-recommends "$central_deb" | tail -n 1
enrolled=$(runuser -u lobbyline -- lobbyline-central --config /etc/lobbyline/central.toml enroll --site north lobby-2)
echo "${enrolled%%$'\n'*}"
echo "ALL INSTALL CHECKS PASSED"
