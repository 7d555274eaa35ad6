#!/usr/bin/env bash
# The Prisma versions the peer range (>=7.0.0 <8) claims. `npm test` runs on the newest 7.x (the
# devDependencies); this runs, for each version given (default: the lowest, 7.0.0, and the newest):
#   1. the tests on the Prisma path again, in a clone of HEAD with that Prisma installed and its client
#      generated (store, lifecycle, coalescer, adapters' store API, serialization of Decimal);
#   2. a fresh app that installs the packed package with that @prisma/client and @prisma/adapter-pg from
#      the registry, generates its own client from the package's schema, applies the package's
#      migrations, runs scripts/fresh-app/main.ts, and shows `npm ls` of Prisma: one copy of each.
# Needs the npm registry (or a warm npm cache), PostgreSQL at $TEST_ADMIN_DATABASE_URL (default local).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
versions=("$@")
((${#versions[@]})) || versions=(7.0.0 "$(node -p 'require("'"$root"'/package.json").devDependencies["@prisma/client"]')")
admin_url="${TEST_ADMIN_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
work="$(mktemp -d)"
database="pps_matrix_$$"
cleanup() {
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS \"$database\"" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
quiet() { npm "$@" --no-audit --no-fund --loglevel=error; }
# `prisma generate` never runs the schema engine; pointing at any file skips its download (scripts/generate.mjs).
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$(command -v node)}"

echo "== a clone of HEAD, installed once"
git clone -q "$root" "$work/repo"
(cd "$work/repo" && quiet ci >/dev/null)
tarball="$work/$(cd "$work/repo" && npm pack --ignore-scripts --silent --pack-destination "$work")"

db_url="$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$admin_url" "$database")"
psql -q "$admin_url" -c "CREATE DATABASE \"$database\"" >/dev/null

for version in "${versions[@]}"; do
  echo "== Prisma $version: the tests on the Prisma path"
  (
    cd "$work/repo"
    # The clone's own devDependencies moved to $version (a throwaway clone: its lock file may change).
    quiet install --save-dev --save-exact "prisma@$version" "@prisma/client@$version" "@prisma/adapter-pg@$version" "@prisma/client-runtime-utils@$version" >/dev/null
    node scripts/generate.mjs >/dev/null
    npm ls @prisma/client @prisma/adapter-pg @prisma/client-runtime-utils
    NODE_OPTIONS=--experimental-vm-modules npx jest --ci \
      test/store test/lifecycle test/coalescer test/adapters/store-api test/adapters/express.test \
      test/reliability/regression-cases test/serialization/fidelity --selectProjects postgres
  )

  echo "== Prisma $version: a fresh app installs the packed package"
  app="$work/app-$version"
  mkdir -p "$app/prisma"
  cp "$root/scripts/fresh-app/main.ts" "$app/main.ts"
  (
    cd "$app"
    echo '{ "name": "fresh-app", "private": true, "type": "module" }' >package.json
    # An app on Prisma that then adds the package, as users do.
    quiet install "@prisma/client@$version" "@prisma/adapter-pg@$version" "prisma@$version" >/dev/null
    quiet install "$tarball" >/dev/null
    sed 's#^\(\s*output\s*=\s*\).*#\1"../generated/prisma"#' node_modules/prisma-pg-session/prisma/schema.prisma >prisma/schema.prisma
    npx prisma generate --schema prisma/schema.prisma >/dev/null
    psql -q "$db_url" -c "DROP TABLE IF EXISTS sessions" >/dev/null 2>&1
    for migration in node_modules/prisma-pg-session/prisma/migrations/*/migration.sql; do
      psql -q -v ON_ERROR_STOP=1 "$db_url" -f "$migration" >/dev/null
    done
    npm ls @prisma/client @prisma/adapter-pg @prisma/client-runtime-utils prisma-pg-session
    # One copy of each Prisma package in the whole tree, at the app's version.
    npm query '#@prisma/client, #@prisma/adapter-pg, #@prisma/client-runtime-utils' | node -e '
      const nodes = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
      for (const name of ["@prisma/client", "@prisma/adapter-pg", "@prisma/client-runtime-utils"]) {
        const copies = nodes.filter((n) => n.name === name).map((n) => `${n.location}@${n.version}`);
        if (copies.length !== 1 || !copies[0].endsWith("@" + process.argv[1])) throw new Error(`${name}: ${copies.join(", ") || "missing"}`);
      }' "$version"
    DATABASE_URL="$db_url" node --import "$root/node_modules/tsx/dist/esm/index.mjs" main.ts
  )
done
echo "== Prisma ${versions[*]}: ok"
