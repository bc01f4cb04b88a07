#!/usr/bin/env bash
# Fails when the working tree differs from the commit (git status --porcelain
# not empty): run by .ci/run right after `npm install`, so an install that
# rewrites package-lock.json, or writes a build output .gitignore misses, fails CI.
set -euo pipefail
dirty="$(git status --porcelain)"
if [ -n "$dirty" ]; then
  echo "npm install changed the repository (commit the change or add the path to .gitignore):"
  echo "$dirty"
  git --no-pager diff --stat
  exit 1
fi
echo "the repository is as committed"
