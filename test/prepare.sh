#!/usr/bin/env bash
# Everything the test suite needs beyond `npm ci`: system tools, a running
# PostgreSQL for the Postgres dialect, and the fixture footage. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else echo "need root for: $*" >&2; return 1; fi; }

need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v nats-server >/dev/null || need+=(nats-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/rtsp-server-perl ] || need+=(rtsp-server-perl)
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
# Chinese glyphs for the zh-CN dashboard test's screenshots (small; Noto CJK is 90 MB).
fc-list 2>/dev/null | grep -qi 'WenQuanYi\|Noto Sans CJK' || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  echo "prepare: installing ${need[*]}" >&2
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
fi

# PostgreSQL on 127.0.0.1:5432 with a `test` database, for the store suite.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "prepare: starting PostgreSQL" >&2
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  sudo_ pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if pg_isready -q -h 127.0.0.1 -p 5432; then
  if ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
    # A fresh cluster: trust local connections and create the test database.
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -1)
    grep -q 'vigil-test' "$hba" || { sudo_ sed -i '1i host all all 127.0.0.1/32 trust # vigil-test' "$hba"; sudo_ pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main reload; }
    sudo_ su postgres -c "createdb test" 2>/dev/null || true
  fi
fi

node bin/vigil.js fixtures >/dev/null  # fetches vtest.avi, builds the composed clips (fixtures/compose)
