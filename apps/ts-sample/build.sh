#!/usr/bin/env bash
# Builds the TypeScript sample into a CCF bundle directory: dist/app.json and dist/src/**/*.js
# (deploy with `quorate sandbox --js-app apps/ts-sample/dist`).
#
# Installs the locked dependencies (package-lock.json) with `npm ci` when node_modules does not
# match the lock, preferring npm's cache, so after the first install it needs no network; then
# type-checks and bundles with rollup. Any failure stops the script with a non-zero status.
set -euo pipefail
cd "$(dirname "$0")"

fail() {
  echo "ts-sample build: $*" >&2
  exit 1
}

command -v node >/dev/null 2>&1 || fail "node is not installed (Node.js 18 or later is needed)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || fail "Node.js 18 or later is needed, found $(node --version)"

# One build at a time in this directory (tests and developers may overlap).
if command -v flock >/dev/null 2>&1; then
  exec 9>.build.lock
  flock 9
fi

# node_modules is reused while package.json and package-lock.json are unchanged.
if [ -f package-lock.json ]; then
  stamp=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
  if [ "$(cat node_modules/.quorate-install-stamp 2>/dev/null || true)" != "$stamp" ]; then
    echo "ts-sample build: npm ci"
    npm ci --prefer-offline --no-audit --no-fund
    echo "$stamp" >node_modules/.quorate-install-stamp
  fi
else
  echo "ts-sample build: no package-lock.json, npm install"
  npm install --no-audit --no-fund
fi

npm run --silent build

[ -f dist/app.json ] || fail "dist/app.json was not produced"
[ -f dist/src/endpoints.js ] || fail "dist/src/endpoints.js was not produced"
echo "ts-sample build: $(find dist/src -name '*.js' | wc -l) modules in $(pwd)/dist"
