#!/usr/bin/env bash
# The hub's tests at night-shift hours and at day-shift hours of the demo
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
# 00:40 and 09:50: just after midnight and just before the day shift, where the
# hub's anchored clock is furthest from the wall clock that stamps test data.
for at in "$day 23:30:00" "$day 10:00:00" "$day 00:40:00" "$day 09:50:00"; do
  echo "any-hour: hub tests at $at ($tz)" >&2
  # faketime reads the start instant in TZ; the clock then runs at normal speed from it.
  TZ="$tz" faketime "$at" npx vitest run test/hub "$@"
done
