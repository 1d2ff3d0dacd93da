#!/usr/bin/env bash
# The hub's tests at a night-shift hour and at a day-shift hour of the demo
# site, with the whole process clock moved by libfaketime: a test that reads
# the wall clock where it should read an injected one (rosters, shifts,
# deadlines) fails here instead of failing in CI at night.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else echo "need root for: $*" >&2; return 1; fi; }
if ! command -v faketime >/dev/null; then
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends faketime >/dev/null
fi
tz=$(sed -n 's/^ *timezone: *\([^ #]*\).*/\1/p' fixtures/sites/demo.yaml | head -1)
day=$(TZ="$tz" date +%F)
for at in "$day 23:30:00" "$day 10:00:00"; do
  echo "any-hour: hub tests at $at ($tz)" >&2
  # faketime reads the start instant in TZ; the clock then runs at normal speed from it.
  TZ="$tz" faketime "$at" npx vitest run test/hub "$@"
done
