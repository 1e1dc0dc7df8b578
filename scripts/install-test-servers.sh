#!/usr/bin/env bash
# Installs the real servers the integration tests start on loopback (see packages/testkit/README.md):
# nats-server, redis-server, prosody, haproxy, xmllint, openssl, curl from apt, and FerretDB v1.24.2 built with Go.
# Idempotent and quick when everything is present; runs as root (or through sudo when available).
set -euo pipefail

FERRETDB_VERSION=v1.24.2
FERRETDB_MODULE=github.com/FerretDB/FerretDB
GO_MIN_MINOR=24 # FerretDB v1.24.2's go.mod says "go 1.24"

say() { printf '[install-test-servers] %s\n' "$*"; }
die() { printf '[install-test-servers] ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "run as root (or install sudo): apt-get needs root"
  SUDO=(sudo)
fi

# ---------------------------------------------------------------- apt packages
# binary:package
APT_WANTED=(nats-server:nats-server redis-server:redis-server prosody:prosody prosodyctl:prosody
  haproxy:haproxy xmllint:libxml2-utils openssl:openssl curl:curl)
# Debian puts nats-server and haproxy in /usr/sbin, which a non-root PATH may lack.
find_bin() { PATH="$PATH:/usr/sbin:/sbin" command -v "$1" 2>/dev/null; }

missing=()
for pair in "${APT_WANTED[@]}"; do
  bin=${pair%%:*} pkg=${pair##*:}
  if find_bin "$bin" >/dev/null; then
    say "ok: $bin ($(find_bin "$bin"))"
  elif [[ " ${missing[*]-} " != *" $pkg "* ]]; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get: install them with your package manager"
  say "missing: ${missing[*]}; running apt-get update + install"
  # Keep the packages' postinst from starting system daemons on the default ports (5222, 6379, 4222...):
  # tests use their own instances on random ports. policy-rc.d exit 101 is Debian's switch for that,
  # honoured by invoke-rc.d and deb-systemd-invoke. Only added when absent, and removed afterwards.
  added_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    added_policy=1
    trap '[ -n "$added_policy" ] && "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
    say "temporarily installed /usr/sbin/policy-rc.d so no service starts during install"
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ -n "$added_policy" ]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; added_policy=; fi
  for pair in "${APT_WANTED[@]}"; do
    find_bin "${pair%%:*}" >/dev/null || die "${pair%%:*} still missing after apt-get install ${pair##*:}"
  done
  say "installed: ${missing[*]}"
else
  say "all apt packages present; apt-get not run"
fi

# ---------------------------------------------------------------- Go (only to build FerretDB)
go_ok() {
  local v
  v=$("$1" env GOVERSION 2>/dev/null) || return 1 # e.g. go1.24.3
  [[ $v =~ ^go1\.([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge "$GO_MIN_MINOR" ]
}

find_go() {
  local c
  for c in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go "$HOME/.local/go/bin/go"; do
    [ -n "$c" ] && [ -x "$c" ] && go_ok "$c" && { echo "$c"; return 0; }
  done
  return 1
}

install_go() {
  # The official tarball: Debian's golang-go is older than FerretDB needs.
  local arch json version sha tarball
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) die "no Go download for $(uname -m)" ;; esac
  command -v curl >/dev/null 2>&1 || die "need curl to download Go (apt-get install -y curl)"
  json=$(curl -fsSL 'https://go.dev/dl/?mode=json') || die "could not reach go.dev to download Go >= 1.$GO_MIN_MINOR"
  read -r version sha < <(node -e '
    const rel = JSON.parse(process.argv[1]).find((r) => r.stable);
    const f = rel && rel.files.find((f) => f.os === "linux" && f.arch === process.argv[2] && f.kind === "archive");
    if (!f) process.exit(1);
    console.log(rel.version, f.sha256);' "$json" "$arch") || die "no stable Go release for linux/$arch in go.dev's list"
  tarball=$(mktemp --suffix=.tar.gz)
  say "downloading $version for linux/$arch"
  curl -fsSL -o "$tarball" "https://go.dev/dl/$version.linux-$arch.tar.gz"
  echo "$sha  $tarball" | sha256sum -c --quiet - || die "checksum mismatch for $version"
  "${SUDO[@]}" rm -rf /usr/local/go
  "${SUDO[@]}" tar -C /usr/local -xzf "$tarball"
  rm -f "$tarball"
  say "installed $(/usr/local/go/bin/go version) in /usr/local/go"
}

# ---------------------------------------------------------------- FerretDB
# Output captured first: with pipefail, `grep -q` quitting at the first line would SIGPIPE ferretdb and fail the check.
ferretdb_ok() {
  local out
  out=$("$1" --version 2>/dev/null) || return 1
  grep -qx "version: $FERRETDB_VERSION" <<<"$out"
}

gopath_bin() {
  local gp=${GOPATH:-}
  if [ -z "$gp" ] && GO=$(find_go); then gp=$("$GO" env GOPATH); fi
  echo "${gp:-$HOME/go}" | cut -d: -f1 | sed 's|$|/bin|'
}

ferretdb_found=
for c in "$(command -v ferretdb 2>/dev/null || true)" "$(gopath_bin)/ferretdb" "$HOME/go/bin/ferretdb"; do
  if [ -n "$c" ] && [ -x "$c" ] && ferretdb_ok "$c"; then ferretdb_found=$c; break; fi
done

if [ -n "$ferretdb_found" ]; then
  say "ok: ferretdb $FERRETDB_VERSION ($ferretdb_found)"
else
  GO=$(find_go) || { install_go; GO=$(find_go) || die "Go >= 1.$GO_MIN_MINOR still not usable"; }
  dest="$("$GO" env GOPATH | cut -d: -f1)/bin"
  say "building ferretdb $FERRETDB_VERSION with $("$GO" env GOVERSION) into $dest (a few minutes on a cold module cache)"
  # `go install $FERRETDB_MODULE/cmd/ferretdb@$FERRETDB_VERSION` builds a binary that panics at start:
  # build/version/version.txt is generated by FerretDB's release tooling and not part of the module
  # (FerretDB issue #2982). So: fetch the module, write that file, build from the copy.
  work=$(mktemp -d)
  src=$(cd "$work" && "$GO" mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})') ||
    die "could not download $FERRETDB_MODULE@$FERRETDB_VERSION"
  cp -r "$src" "$work/ferretdb"
  chmod -R u+w "$work/ferretdb"
  echo "$FERRETDB_VERSION" >"$work/ferretdb/build/version/version.txt"
  mkdir -p "$dest"
  (cd "$work/ferretdb" && GOFLAGS=-mod=mod "$GO" build -o "$dest/ferretdb" ./cmd/ferretdb) ||
    die "building FerretDB failed (see the go output above); the tests need a real FerretDB, there is no fallback"
  rm -rf "$work"
  ferretdb_ok "$dest/ferretdb" || die "$dest/ferretdb was built but does not report $FERRETDB_VERSION"
  say "installed: $dest/ferretdb ($FERRETDB_VERSION)"
  case ":$PATH:" in *":$dest:"*) ;; *) say "note: $dest is not on PATH; @acs/testkit looks there anyway" ;; esac
fi

say "done"
