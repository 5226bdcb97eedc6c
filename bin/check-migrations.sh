#!/usr/bin/env bash
# Fails when db/schema has changes that no committed migration contains.
set -euo pipefail
cd "$(dirname "$0")/.."
npx drizzle-kit generate --name uncommitted_schema_change > /dev/null
changes="$(git status --porcelain -- db/migrations)"
if [ -n "$changes" ]; then
  echo "db/schema differs from the committed migrations; run 'npm run db:generate' and commit the result:" >&2
  echo "$changes" >&2
  git checkout -- db/migrations 2>/dev/null || true
  git clean -fdq -- db/migrations
  exit 1
fi
echo "Migrations are up to date."
