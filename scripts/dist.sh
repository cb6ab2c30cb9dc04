#!/usr/bin/env bash
# Build neko's native packages on a Linux host:
#   linux    build/bin/neko_<version>_amd64.deb (wails build, cgo, webkit2gtk 4.1)
#            and build/bin/neko-<version>-linux-amd64.tar.gz
#   windows  build/bin/neko-amd64-installer.exe (wails build -nsis, CGO_ENABLED=0, Debian nsis)
# and verify them with scripts/dist/check.sh.
#
# usage: scripts/dist.sh [linux|windows|all]    (default: all)
#
# Needs: go, the frontend already built into frontend/dist (make frontend),
# apt packages from scripts/apt-packages.txt (libgtk-3-dev,
# libwebkit2gtk-4.1-dev, nsis, file, 7zip, desktop-file-utils).
# The wails CLI is built from tools/wails into .cache/bin/wails.
# Env: NEKO_VERSION (e.g. a release tag v1.2.3) must match wails.json's
# info.productVersion, which is the version every package carries.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
WAILS="$CACHE/bin/wails"
BIN="$ROOT/build/bin"
what="${1:-all}"

die() { echo "dist: $*" >&2; exit 1; }
step() { echo "==> $*"; }

case "$what" in linux|windows|all) ;; *) die "unknown target '$what' (linux|windows|all)";; esac
[ -f "$ROOT/wails.json" ] || die "wails.json missing"
[ -f "$ROOT/frontend/dist/index.html" ] || die "frontend/dist/index.html missing: build the frontend first (make frontend)"

# The version is wails.json's info.productVersion: wails stamps it into the
# exe resources and the installer, so a different NEKO_VERSION (a release
# tag) must be written into wails.json first rather than half-applied here.
VERSION="$(sed -n 's/.*"productVersion"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$ROOT/wails.json" | head -n1)"
if [ -n "${NEKO_VERSION:-}" ] && [ "${NEKO_VERSION#v}" != "$VERSION" ]; then
	die "NEKO_VERSION ${NEKO_VERSION#v} differs from wails.json productVersion $VERSION: bump wails.json for the release"
fi
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "version '$VERSION' must be MAJOR.MINOR.PATCH (NSIS and dpkg need it numeric)"

# The wails CLI does not install with its own x/tools pin on Go 1.26; the
# tools/wails module pins one that builds. Rebuild when the module changes.
if [ ! -x "$WAILS" ] || [ "$ROOT/tools/wails/go.mod" -nt "$WAILS" ] || [ "$ROOT/tools/wails/go.sum" -nt "$WAILS" ]; then
	step "building the wails CLI into $WAILS"
	mkdir -p "$CACHE/bin"
	(cd "$ROOT/tools/wails" && go build -o "$WAILS" github.com/wailsapp/wails/v2/cmd/wails)
fi

# -s: the frontend is built already; -m/-nosyncgomod: never touch go.mod;
# -skipbindings: the bindings are only for frontend development.
wails_build() {
	(cd "$ROOT" && "$WAILS" build -s -m -nosyncgomod -skipbindings -trimpath -clean=false \
		-ldflags "-s -w -X main.version=$VERSION" "$@")
}

build_linux() {
	step "linux: wails build ($VERSION)"
	rm -f "$BIN/neko"
	CGO_ENABLED=1 wails_build -platform linux/amd64 -tags webkit2_41 -o neko
	[ -x "$BIN/neko" ] || die "wails build produced no $BIN/neko"

	step "linux: staging the .deb"
	local stage="$CACHE/dist/deb/neko_${VERSION}_amd64"
	rm -rf "$stage"
	install -Dm0755 "$BIN/neko" "$stage/usr/bin/neko"
	install -Dm0644 "$ROOT/build/linux/neko.desktop" "$stage/usr/share/applications/neko.desktop"
	(cd "$ROOT" && go run ./build/icongen -build "" -linux "$stage/usr/share/icons/hicolor")
	install -d "$stage/usr/share/pixmaps"
	install -m0644 "$stage/usr/share/icons/hicolor/256x256/apps/neko.png" "$stage/usr/share/pixmaps/neko.png"
	install -d "$stage/usr/share/doc/neko"
	cat > "$stage/usr/share/doc/neko/copyright" <<-COPYRIGHT
	Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
	Upstream-Name: neko
	Comment: a Go re-implementation of Project N.E.K.O (MIT)

	Files: *
	Copyright: neko developers
	License: MIT
	COPYRIGHT
	install -d "$stage/DEBIAN"
	local size
	size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
	sed -e "s/@VERSION@/$VERSION/" -e "s/@SIZE@/$size/" "$ROOT/build/linux/control.in" > "$stage/DEBIAN/control"
	find "$stage" -type d -exec chmod 0755 {} +

	local deb="$BIN/neko_${VERSION}_amd64.deb"
	rm -f "$deb"
	dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
	step "linux: $deb"
	"$ROOT/scripts/dist/check.sh" deb "$deb"

	# a portable tarball for other distributions (they need WebKitGTK 4.1,
	# GTK 3 and ALSA from their own packages; an AppImage would have to bundle
	# WebKitGTK and needs AppImageKit's runtime, which Debian does not ship)
	local tgz="$BIN/neko-${VERSION}-linux-amd64.tar.gz"
	rm -f "$tgz"
	tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$tgz" \
		--transform "s,^usr,neko-${VERSION}," usr/bin/neko usr/share/applications usr/share/icons
	"$ROOT/scripts/dist/check.sh" tar "$tgz"
}

build_windows() {
	command -v makensis >/dev/null || die "makensis not found: apt-get install nsis"
	step "windows: wails build -nsis ($VERSION, cross-compiled, CGO_ENABLED=0)"
	rm -f "$BIN/neko.exe" "$BIN/neko-amd64-installer.exe"
	CGO_ENABLED=0 wails_build -platform windows/amd64 -nsis -webview2 download -o neko.exe
	local exe="$BIN/neko-amd64-installer.exe"
	[ -f "$exe" ] || die "wails build produced no $exe (is makensis working?)"
	step "windows: $exe"
	"$ROOT/scripts/dist/check.sh" nsis "$exe" "$BIN/neko.exe"
}

case "$what" in
	linux) build_linux ;;
	windows) build_windows ;;
	all) build_linux; build_windows ;;
esac
