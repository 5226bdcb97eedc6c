#!/usr/bin/env bash
# Fails when db/schema has changes that no migration in db/migrations contains. drizzle-kit
# generates into a copy of the folder, so the work tree (uncommitted migrations too) is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp -R db/migrations "$scratch/migrations"
# drizzle-kit takes --out relative to the working directory, and exits 0 even when it fails.
out="$(realpath --relative-to=. "$scratch/migrations")"
report="$(npx drizzle-kit generate --dialect postgresql --schema ./db/schema/index.ts --out "$out" --name uncommitted_schema_change 2>&1)" || true
if ! grep -qE 'nothing to migrate|Your SQL migration file' <<< "$report"; then
  echo "drizzle-kit generate did not run to the end:" >&2
  echo "$report" >&2
  exit 1
fi
if ! diff -rq db/migrations "$scratch/migrations" > /dev/null; then
  echo "db/schema differs from the migrations in db/migrations; run 'npm run db:generate' and commit the result:" >&2
  diff -rq db/migrations "$scratch/migrations" | sed 's/^/  /' >&2 || true
  exit 1
fi
echo "Migrations are up to date."
