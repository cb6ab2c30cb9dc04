#!/usr/bin/env bash
# Verify neko's packages.
#   check.sh deb  <file.deb>                 contents, control fields, ELF binary, .desktop
#   check.sh nsis <installer.exe> [app.exe]  PE magic, NSIS payload (neko.exe inside), app is a PE32+ GUI exe
#   check.sh tar  <file.tar.gz>              portable tarball layout
set -euo pipefail

fail() { echo "check: FAIL: $*" >&2; exit 1; }
ok() { echo "check: ok: $*"; }

# is_pe FILE: "MZ" at 0 and "PE\0\0" at the offset stored at 0x3c.
is_pe() {
	local f="$1" mz off sig
	mz="$(head -c2 "$f" | od -An -c | tr -d ' \n')"
	[ "$mz" = "MZ" ] || return 1
	off="$(od -An -t u4 -j 60 -N 4 "$f" | tr -d ' \n')"
	[ -n "$off" ] && [ "$off" -gt 0 ] && [ "$off" -lt "$(stat -c %s "$f")" ] || return 1
	sig="$(od -An -t x1 -j "$off" -N 4 "$f" | tr -d ' \n')"
	[ "$sig" = "50450000" ]
}

check_deb() {
	local deb="$1"
	[ -s "$deb" ] || fail "$deb missing or empty"
	local list
	list="$(dpkg-deb -c "$deb")" || fail "dpkg-deb -c $deb"
	for p in ./usr/bin/neko ./usr/share/applications/neko.desktop \
		./usr/share/icons/hicolor/256x256/apps/neko.png ./usr/share/icons/hicolor/48x48/apps/neko.png \
		./usr/share/doc/neko/copyright; do
		grep -qE "[[:space:]]${p//./\\.}\$" <<<"$list" || fail "$deb lacks $p"
	done
	grep -qE '^-rwxr-xr-x root/root .* \./usr/bin/neko$' <<<"$list" || fail "/usr/bin/neko is not 0755 root:root"
	ok "dpkg-deb -c lists the binary, .desktop file and icons"

	[ "$(dpkg-deb -f "$deb" Package)" = neko ] || fail "Package is not neko"
	[ "$(dpkg-deb -f "$deb" Architecture)" = amd64 ] || fail "Architecture is not amd64"
	local dep
	dep="$(dpkg-deb -f "$deb" Depends)"
	for d in libwebkit2gtk-4.1-0 libgtk-3-0 libasound2; do
		grep -qw -- "$d" <<<"$dep" || fail "Depends ($dep) lacks $d"
	done
	ok "control: Package neko, amd64, Depends: $dep"

	local tmp
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' RETURN
	dpkg-deb -x "$deb" "$tmp"
	file -b "$tmp/usr/bin/neko" | grep -q 'ELF 64-bit LSB .*x86-64' || fail "usr/bin/neko is not an x86-64 ELF: $(file -b "$tmp/usr/bin/neko")"
	ok "usr/bin/neko: $(file -b "$tmp/usr/bin/neko" | cut -d, -f1-2)"
	if command -v desktop-file-validate >/dev/null; then
		desktop-file-validate "$tmp/usr/share/applications/neko.desktop" || fail "neko.desktop does not validate"
		ok "neko.desktop validates"
	fi
	file -b "$tmp/usr/share/icons/hicolor/256x256/apps/neko.png" | grep -q 'PNG image data, 256 x 256' || fail "256 px icon is not a 256x256 PNG"
}

check_nsis() {
	local exe="$1" app="${2:-}"
	[ -s "$exe" ] || fail "$exe missing or empty"
	is_pe "$exe" || fail "$exe is not a PE file (no MZ/PE signature)"
	local desc
	desc="$(file -b "$exe")"
	grep -q 'PE32' <<<"$desc" || fail "file(1) does not see a PE: $desc"
	grep -qi 'nullsoft' <<<"$desc" || fail "file(1) does not see an NSIS installer: $desc"
	ok "$exe: $desc"
	if command -v 7z >/dev/null || command -v 7zz >/dev/null; then
		local z listing
		z="$(command -v 7z || command -v 7zz)"
		listing="$("$z" l "$exe")" || fail "7z cannot read the NSIS payload"
		grep -qE '(^|[ \\/])neko\.exe$' <<<"$listing" || fail "installer payload lacks neko.exe"
		grep -qi 'MicrosoftEdgeWebview2Setup.exe' <<<"$listing" || fail "installer payload lacks the WebView2 bootstrapper"
		ok "payload holds neko.exe and the WebView2 bootstrapper"
	fi
	if [ -n "$app" ]; then
		is_pe "$app" || fail "$app is not a PE file"
		file -b "$app" | grep -q 'PE32+ executable (GUI) x86-64' || fail "$app is not a PE32+ GUI x86-64 exe: $(file -b "$app")"
		ok "$app: $(file -b "$app")"
	fi
}

check_tar() {
	local tgz="$1" list
	[ -s "$tgz" ] || fail "$tgz missing or empty"
	list="$(tar -tzvf "$tgz")" || fail "tar cannot list $tgz"
	grep -qE '^-rwxr-xr-x (root/root|0/0) .* neko-[0-9.]+/bin/neko$' <<<"$list" || fail "$tgz lacks an executable bin/neko"
	grep -qE ' neko-[0-9.]+/share/applications/neko\.desktop$' <<<"$list" || fail "$tgz lacks the .desktop file"
	grep -qE ' neko-[0-9.]+/share/icons/hicolor/256x256/apps/neko\.png$' <<<"$list" || fail "$tgz lacks the icon"
	ok "$tgz holds bin/neko, the .desktop file and icons"
}

case "${1:-}" in
	deb) [ $# -eq 2 ] || fail "usage: check.sh deb <file.deb>"; check_deb "$2" ;;
	nsis) [ $# -ge 2 ] || fail "usage: check.sh nsis <installer.exe> [app.exe]"; check_nsis "$2" "${3:-}" ;;
	tar) [ $# -eq 2 ] || fail "usage: check.sh tar <file.tar.gz>"; check_tar "$2" ;;
	*) fail "usage: check.sh deb <file.deb> | nsis <installer.exe> [app.exe]" ;;
esac
