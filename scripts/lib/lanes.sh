# Test lanes: which Home Assistant runs on which Python, and how each lane's environment is provisioned.
# Sourced by scripts/setup, scripts/lane and scripts/test (bash; expects `set -euo pipefail` and ROOT set).
#
#   min      HA pinned by requirements/min.txt on CPython 3.13 (host: python3.13, pyenv, or built with pyenv
#            from Debian's source archive); venv in .venv of the checkout.
#   current  HA pinned by requirements/current.txt on CPython >= 3.14.2. No 3.14 source is served by the
#            registries this project reaches, so the lane runs in a Debian sid root (debootstrap) that has
#            Debian's binary python3.14; the root and its venv live in a cache outside the checkout, so a clean
#            clone (as CI makes) reuses them. The checkout is bind-mounted at its own path inside the root, in a
#            private mount namespace: the mounts vanish with the process, also when it is interrupted.

LANES=(min current)
RC_CACHE="${RINGCENTRAL_HA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ringcentral-ha}"
SID_ROOT="$RC_CACHE/debian-sid-python3.14"
SID_VENV=/opt/venv-current                     # inside SID_ROOT
# What the sid root carries: Python 3.14 with a compiler for wheels that build (debootstrap installs these),
# and for the browser test Debian's chromium and node (apt installs these in the root: debootstrap's own
# resolver cannot settle chromium's alternatives). playwright-core is pure JS in the checkout's .cache/browser.
SID_BOOTSTRAP_PACKAGES="python3.14,python3.14-venv,python3.14-dev,gcc,g++,make,ca-certificates"
SID_PACKAGES="$SID_BOOTSTRAP_PACKAGES,chromium,nodejs,fonts-liberation"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

lane_check() {  # "$1" must name a lane
  local l; for l in "${LANES[@]}"; do [ "$l" = "$1" ] && return 0; done
  die "unknown lane '$1' (lanes: ${LANES[*]})"
}

lane_requirements_hash() {  # the lane's pins, including the shared file
  cat "$ROOT/requirements/common.txt" "$ROOT/requirements/$1.txt" | sha256sum | cut -d' ' -f1
}

debian_mirror() {
  # The machine's own Debian mirror, from its apt sources (deb822 "URIs:" or one-line "deb" entries);
  # the security archive is not a full mirror. Prints nothing when there is none.
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null || true; } \
    | grep -vE '^\s*#' | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true
}

require_mirror() {
  local m; m="$(debian_mirror)"
  [ -n "$m" ] || die "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/: \
this step needs Debian's package archive (add the machine's mirror to apt's sources)"
  printf '%s\n' "$m"
}

# Run a command inside the sid root with the checkout mounted at its own path; cwd is the checkout.
sid_exec() {
  [ -x "$SID_ROOT/usr/bin/python3.14" ] || die "the current lane is not provisioned: run scripts/setup --lane current"
  unshare --mount --propagation private -- bash -c '
    set -euo pipefail
    root="$1" repo="$2" venv="$3"; shift 3
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --rbind /sys "$root/sys"
    mkdir -p "$root$repo"
    mount --bind "$repo" "$root$repo"
    exec chroot "$root" /usr/bin/env PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" \
      VIRTUAL_ENV="$venv" HOME=/root LANG=C.UTF-8 bash -c "cd \"\$0\" && exec \"\$@\"" "$repo" "$@"
  ' _ "$SID_ROOT" "$ROOT" "$SID_VENV" "$@"
}
