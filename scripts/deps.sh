#!/usr/bin/env bash
# Installs what neko needs on Debian/Ubuntu: the packages listed in
# scripts/apt-packages.txt (when root; otherwise prints the apt-get line) and
# the npm packages of every folder with a package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t wanted < <(grep -v '^\s*#' scripts/apt-packages.txt | sed 's/\s.*//' | grep -v '^$' | sort -u)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    sudo -E apt-get update -qq
    sudo -E apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "deps: missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

command -v node >/dev/null || { echo "deps: Node.js 20+ and npm are required (apt-get install nodejs npm)" >&2; exit 1; }
while IFS= read -r lock; do
  dir=$(dirname "$lock")
  stamp="$dir/node_modules/.neko-lock-stamp"
  if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
    echo "deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$lock" "$stamp"
  fi
done < <(git ls-files '*package-lock.json' 2>/dev/null | grep -v node_modules || find . -name package-lock.json -not -path '*/node_modules/*')
go mod download
