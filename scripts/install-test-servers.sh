#!/usr/bin/env bash
# Installs the real servers the integration tests start on loopback (see packages/testkit/README.md):
# nats-server, redis-server, prosody, haproxy, xmllint, openssl, curl, PostgreSQL, a JDK, Maven, stun-client, nftables and iproute2 from apt, FerretDB v1.24.2 built
# with Go, mongo-java-server's classpath (scripts/mongo-java-server/pom.xml, resolved by Maven from Maven Central), and
# SecantusDB's Python server (a PyPI wheel) in a venv.
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
  haproxy:haproxy xmllint:libxml2-utils openssl:openssl curl:curl
  java:default-jdk-headless javac:default-jdk-headless mvn:maven
  initdb:postgresql postgres:postgresql pg_isready:postgresql
  stun:stun-client nft:nftables ip:iproute2 docker-compose:docker-compose)
# javac: mongo-java-server's launcher runs as a single source file, which needs the JDK's compiler, not just a JRE.
# initdb/postgres/pg_isready: FerretDB's PostgreSQL backend (@acs/testkit's startFerretDbPostgres()).
# stun: Debian's RFC 3489 client, the independent check of our STUN server; nft, ip: the NAT test's namespaces;
# docker-compose (v1, no daemon needed): validates docker-compose.yml against the Compose schema.
# Debian puts nats-server and haproxy in /usr/sbin, which a non-root PATH may lack, and PostgreSQL's server
# binaries in /usr/lib/postgresql/<major>/bin, off PATH (the testkit looks there, the newest major first).
find_bin() {
  case $1 in
    initdb | postgres | pg_isready)
      local c m found= best=-1
      for c in /usr/lib/postgresql/*/bin/"$1"; do
        m=${c#/usr/lib/postgresql/} m=${m%%/*}
        if [[ $m =~ ^[0-9]+$ ]] && [ -x "$c" ] && [ "$m" -gt "$best" ]; then best=$m found=$c; fi
      done
      if [ -n "$found" ]; then echo "$found"; return 0; fi ;;
  esac
  PATH="$PATH:/usr/sbin:/sbin" command -v "$1" 2>/dev/null
}

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

# ---------------------------------------------------------------- mongo-java-server (Maven Central)
# A second MongoDB-wire test server (in-memory backend), started by @acs/testkit's startMongoJavaServer() through
# scripts/mongo-java-server/MongoJavaServerLauncher.java. Nothing to build: Maven resolves the jars into ~/.m2 and
# writes their classpath to a file, the testkit reads it. Skipped when the file is there for this pom.xml and every
# jar it names still exists.
JAVA_MIN_MAJOR=17 # mongo-java-server 1.47's class files are Java 17's
MJS_POM="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/mongo-java-server/pom.xml"
MJS_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/acs-test-servers"
MJS_CLASSPATH="$MJS_CACHE/mongo-java-server.classpath" # packages/testkit/src/mongo-java-server.ts reads this path
MJS_STAMP="$MJS_CLASSPATH.pom-sha256"

[ -f "$MJS_POM" ] || die "$MJS_POM is missing"
java_version=$(java -version 2>&1) || die "java does not run ($(command -v java || echo 'not on PATH')): $java_version"
# `openjdk version "17.0.15" 2025-04-15`; Java 8 and older say "1.8.0_…".
java_major=$(sed -nE '/version "/{s/.*version "(1\.)?([0-9]+).*/\2/p;q}' <<<"$java_version")
[ -n "$java_major" ] && [ "$java_major" -ge "$JAVA_MIN_MAJOR" ] ||
  die "mongo-java-server needs Java >= $JAVA_MIN_MAJOR, found ${java_major:-none} ($(command -v java)); install openjdk-17-jdk-headless or newer"

mjs_current() {
  [ -s "$MJS_CLASSPATH" ] && [ -f "$MJS_STAMP" ] || return 1
  [ "$(cat "$MJS_STAMP")" = "$(sha256sum "$MJS_POM" | cut -d' ' -f1)" ] || return 1
  local jar
  while IFS= read -r jar; do [ -z "$jar" ] || [ -f "$jar" ] || return 1; done < <(tr ':' '\n' <"$MJS_CLASSPATH")
}

if mjs_current; then
  say "ok: mongo-java-server classpath ($MJS_CLASSPATH)"
else
  say "resolving mongo-java-server's classpath with Maven into $MJS_CLASSPATH (downloads to ~/.m2 on a cold cache)"
  mkdir -p "$MJS_CACHE"
  tmp_cp=$(mktemp "$MJS_CACHE/.classpath.XXXXXX")
  # Maven's output is shown only when it fails: with -q, Debian's Maven 3.8 still prints bare colour resets.
  # The file is written whole, then moved into place.
  mvn_log=$(mktemp)
  mvn -B -q -f "$MJS_POM" dependency:build-classpath -Dmdep.outputFile="$tmp_cp" >"$mvn_log" 2>&1 ||
    { cat "$mvn_log" >&2; rm -f "$tmp_cp" "$mvn_log"; die "Maven could not resolve $MJS_POM (needs Maven Central or a populated ~/.m2); see its output above"; }
  rm -f "$mvn_log"
  grep -q 'mongo-java-server-core-' "$tmp_cp" || { rm -f "$tmp_cp"; die "Maven wrote no mongo-java-server jar to the classpath"; }
  mv "$tmp_cp" "$MJS_CLASSPATH"
  sha256sum "$MJS_POM" | cut -d' ' -f1 >"$MJS_STAMP"
  say "installed: mongo-java-server classpath, $(tr ':' '\n' <"$MJS_CLASSPATH" | grep -c .) jars"
fi

# ---------------------------------------------------------------- SecantusDB (PyPI)
# A fourth MongoDB-wire test server (WiredTiger storage), started by @acs/testkit's startSecantusDb(): the Python
# server `secantusd-py` of the SecantusDB wheel (WiredTiger compiled in; nothing is built here), in a venv of its own.
# Its faster Rust server (secantusd-rs) is not on PyPI: crates.io only, which builds WiredTiger from source.
SECANTUSDB_VERSION=0.7.0b3 # packages/testkit/src/secantusdb.ts says the same
SEC_VENV="${XDG_CACHE_HOME:-$HOME/.cache}/acs-test-servers/secantusdb-venv" # and reads this path

secantus_ok() {
  [ -x "$SEC_VENV/bin/secantusd-py" ] || return 1
  [ "$("$SEC_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("SecantusDB"))' 2>/dev/null)" = "$SECANTUSDB_VERSION" ]
}

if secantus_ok; then
  say "ok: SecantusDB $SECANTUSDB_VERSION ($SEC_VENV/bin/secantusd-py)"
else
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    # Debian splits venv support out of python3.
    command -v apt-get >/dev/null 2>&1 || die "SecantusDB needs python3 >= 3.10 with venv (apt-get install -y python3 python3-venv)"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv ||
      { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq && "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv; } ||
      die "could not install python3-venv"
  fi
  say "installing SecantusDB $SECANTUSDB_VERSION (wheel only) into $SEC_VENV"
  rm -rf "$SEC_VENV"
  python3 -m venv "$SEC_VENV" || die "python3 -m venv failed (Debian: apt-get install -y python3-venv)"
  "$SEC_VENV/bin/pip" install -q --disable-pip-version-check --only-binary=:all: "SecantusDB==$SECANTUSDB_VERSION" ||
    die "pip could not install the SecantusDB $SECANTUSDB_VERSION wheel (needs PyPI, and a wheel for $(python3 -V) on $(uname -m))"
  secantus_ok || die "$SEC_VENV/bin/secantusd-py was installed but does not report SecantusDB $SECANTUSDB_VERSION"
  say "installed: SecantusDB $SECANTUSDB_VERSION"
fi

say "done"
