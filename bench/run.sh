#!/usr/bin/env bash
# Measures Boussole's main pages against a 1,000-product portfolio and compares each one with
# nginx serving the very same bytes (the ceiling for this machine), then prints a Markdown
# table and writes it to bench/results.md.
#
#   bench/run.sh                                  builds target/release/boussole first
#   BOUSSOLE_BIN=/path/to/boussole bench/run.sh   uses a prebuilt binary
#
# Other knobs: DURATION (wrk run per page, default 10s), PRODUCTS (default 1000),
# BENCH_PG_SERVER (default postgres://postgres@127.0.0.1:5432), APP_PORT / NGINX_PORT
# (default 18080 / 18081), KEEP_DB=1 keeps the boussole_bench database, KEEP_WORK=1 keeps the
# temporary directory (saved pages, wrk outputs, logs).
#
# The application and nginx are pinned to CPU 0 and wrk to CPU 1, so that the load generator
# does not steal time from the server it measures (PostgreSQL is not pinned).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
cd "$ROOT"

DURATION=${DURATION:-10s}
PRODUCTS=${PRODUCTS:-1000}
PG_SERVER=${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}
DB_NAME=boussole_bench
APP_PORT=${APP_PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}
APP_CPU=0
LOAD_CPU=1
COUNTED_REQUESTS=100
BASE=http://127.0.0.1:$APP_PORT

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mError: %s\033[0m\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# 1. Tools. wrk and nginx are rarely installed; taskset comes with util-linux.
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v taskset >/dev/null || need+=(util-linux)
command -v curl >/dev/null || need+=(curl)
command -v psql >/dev/null || need+=(postgresql-client)
command -v python3 >/dev/null || need+=(python3)
if ((${#need[@]})); then
  say "Installing ${need[*]}"
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs: the server on CPU $APP_CPU, wrk on CPU $LOAD_CPU"
for port in "$APP_PORT" "$NGINX_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is already in use (set APP_PORT / NGINX_PORT)"
  fi
done

# ---------------------------------------------------------------------------------------------
# 2. The release binary and the static assets (the pages link to them, so they must exist).
if [ -n "${BOUSSOLE_BIN:-}" ]; then
  BIN=$BOUSSOLE_BIN
  [ -x "$BIN" ] || die "BOUSSOLE_BIN=$BIN is not an executable"
  say "Using the prebuilt binary $BIN"
else
  say "Building the release binary"
  SQLX_OFFLINE=true cargo build --release
  BIN=$ROOT/target/release/boussole
fi
if [ ! -d static/dsfr ]; then
  say "Building the static assets"
  npm ci --no-audit --no-fund
  npm run build
fi

# Everything the binary reads (src/config.rs). Plain http, so no secure cookies. Logging at warn
# so that it costs nothing. The proxy header is trusted so that the public link can be measured
# from many client addresses (see bench/xff.lua); nothing else reads the client address on a GET.
export DATABASE_URL=$PG_SERVER/$DB_NAME
export BOUSSOLE_LISTEN=127.0.0.1:$APP_PORT
export BOUSSOLE_BASE_URL=$BASE
export BOUSSOLE_SECURE_COOKIES=false
export BOUSSOLE_STATIC_DIR=$ROOT/static
export BOUSSOLE_LOG=warn
export BOUSSOLE_LOG_FORMAT=plain
export BOUSSOLE_TRUST_PROXY=true

# psql against the maintenance database, so that our own queries never count in the bench
# database's statistics; `pg bench ...` for queries inside the bench database.
pg() {
  local db=postgres
  if [ "$1" = bench ]; then db=$DB_NAME; shift; fi
  psql "$PG_SERVER/$db" -X -q -v ON_ERROR_STOP=1 -At -F ' ' -c "$1"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# ---------------------------------------------------------------------------------------------
# Clean-up, whatever happens: stop what we started, drop the database, remove the work dir.
WORK=$(mktemp -d /tmp/boussole-bench.XXXXXX)
chmod 755 "$WORK" # the nginx worker runs as an unprivileged user and must read the pages
mkdir -p "$WORK/pages" "$WORK/wrk" "$WORK/tmp"
APP_PID=
NGINX_PID=
DB_CREATED=
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$NGINX_PID" ]; then kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
  if [ -n "$APP_PID" ]; then kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; fi
  if [ -n "$DB_CREATED" ]; then
    if [ "${KEEP_DB:-0}" = 1 ]; then
      say "Keeping the database $DB_NAME (KEEP_DB=1)"
    else
      pg "drop database if exists $DB_NAME with (force)" || true
    fi
  fi
  if [ "${KEEP_WORK:-0}" = 1 ] || [ "$status" != 0 ]; then
    say "Work directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# 3. A fresh database with the demo data grown to $PRODUCTS products.
say "Creating the database $DB_NAME with $PRODUCTS products"
pg "drop database if exists $DB_NAME with (force)"
DB_CREATED=1
"$BIN" migrate
"$BIN" demo --products "$PRODUCTS"
# Fresh planner statistics, as a database that has lived a while would have.
pg bench "vacuum analyze"

# ---------------------------------------------------------------------------------------------
# 4. The server, alone on CPU 0.
say "Starting the server on $BASE (CPU $APP_CPU)"
taskset -c "$APP_CPU" "$BIN" serve >"$WORK/app.log" 2>&1 &
APP_PID=$!
for _ in $(seq 1 150); do
  curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
  kill -0 "$APP_PID" 2>/dev/null || die "the server stopped: $(tail -n 20 "$WORK/app.log")"
  sleep 0.2
done
curl -fsS -o /dev/null "$BASE/healthz" || die "the server does not answer /healthz"
sleep 1 # let the start-up clean-up task finish before reading the idle memory
RSS_IDLE=$(rss_kb "$APP_PID")

# ---------------------------------------------------------------------------------------------
# 5. A session as the demo editor, and a public link to one roadmap.
# The account and password come from src/demo/mod.rs so that they follow the code.
EMAIL=${BENCH_EMAIL:-$(grep -oP '\("\K[^"]+(?=", "[^"]*", Role::Editor\))' src/demo/mod.rs || true)}
PASSWORD=${BENCH_PASSWORD:-$(grep -oP 'DEMO_PASSWORD: &str = "\K[^"]+' src/demo/mod.rs || true)}
[ -n "$EMAIL" ] && [ -n "$PASSWORD" ] || die "cannot find the demo editor in src/demo/mod.rs (set BENCH_EMAIL/BENCH_PASSWORD)"
say "Signing in as $EMAIL"
JAR=$WORK/cookies.txt
curl -fsS -c "$JAR" -b "$JAR" -o /dev/null "$BASE/login"
# Writes must carry an Origin equal to BOUSSOLE_BASE_URL's (src/web/security.rs).
code=$(curl -sS -c "$JAR" -b "$JAR" -o "$WORK/login.html" -w '%{http_code}' \
  -H "Origin: $BASE" --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" \
  --data-urlencode "next=/" "$BASE/login")
case "$code" in 302 | 303) ;; *) die "sign-in answered HTTP $code (see $WORK/login.html)" ;; esac
SESSION=$(awk '$6 == "boussole_session" { v = $7 } END { print v }' "$JAR")
[ -n "$SESSION" ] || die "no session cookie after signing in"
COOKIE="boussole_session=$SESSION"

# An original demo product (not a copy) that has both indicators and a roadmap; its current
# roadmap when it has one.
read -r SLUG PRODUCT_ID INDICATOR_ID ROADMAP_ID < <(pg bench "
  select p.slug, p.id,
         (select i.id from indicators i where i.product_id = p.id order by i.name limit 1),
         (select r.id from roadmaps r where r.product_id = p.id
           order by current_date between r.start_month and r.end_month + interval '1 month' desc,
                    r.start_month desc
           limit 1)
  from products p
  where p.archived_at is null and p.slug !~ '-c\d+$'
    and exists (select 1 from indicators i where i.product_id = p.id)
    and exists (select 1 from roadmaps r where r.product_id = p.id)
  order by p.name limit 1") || true
[ -n "${ROADMAP_ID:-}" ] || die "no demo product with both indicators and a roadmap"

# The application stores only the SHA-256 of the token's text (roadmaps/share.rs); a text cast
# to bytea without \x gives its bytes. The link shows the vision and indicators too, the
# heaviest variant of the page.
TOKEN=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
pg bench "insert into share_links (product_id, roadmap_id, token_hash, label, expires_at,
                                   show_vision, show_indicators)
          values ('$PRODUCT_ID', '$ROADMAP_ID', sha256('$TOKEN'::bytea), 'benchmark',
                  now() + interval '1 day', true, true)"

# name | label | path | shown path | signed in
PAGES=(
  "portfolio-all|Portfolio, all products|/?archives=tous|/?archives=tous|yes"
  "portfolio|Portfolio (default)|/|/|yes"
  "product|Product sheet|/produits/$SLUG|/produits/$SLUG|yes"
  "indicator|Indicator|/produits/$SLUG/indicateurs/$INDICATOR_ID|/produits/$SLUG/indicateurs/{id}|yes"
  "roadmap|Roadmap|/produits/$SLUG/roadmaps/$ROADMAP_ID|/produits/$SLUG/roadmaps/{id}|yes"
  "share|Public link|/r/$TOKEN|/r/{token}|no"
)

# ---------------------------------------------------------------------------------------------
# 8 (set-up). How to count the database work of one request. pg_stat_statements counts
# statements, but only when the server preloads it; otherwise we count transactions, and
# sqlx runs every statement outside an explicit transaction as its own transaction.
STATEMENTS=0
if pg bench "create extension if not exists pg_stat_statements" >/dev/null 2>&1 \
  && pg bench "select count(*) from pg_stat_statements" >/dev/null 2>&1; then
  STATEMENTS=1
fi

# "transactions rows statements" for the bench database: transactions committed + rolled back
# and rows inserted + updated + deleted (pg_stat_database, read from the maintenance database),
# and when available the statements run there (pg_stat_statements, which lives in the bench
# database: the reading itself is left out, and its own transaction makes the transaction
# count meaningless then, so it is reported as 0).
counters() {
  local tx rows statements=0
  read -r tx rows < <(pg "select xact_commit + xact_rollback, tup_inserted + tup_updated + tup_deleted
                          from pg_stat_database where datname = '$DB_NAME'")
  if [ "$STATEMENTS" = 1 ]; then
    statements=$(pg bench "select coalesce(sum(calls), 0) from pg_stat_statements
                           where dbid = (select oid from pg_database where datname = current_database())
                             and query not ilike '%pg_stat_statements%'")
    tx=0
  fi
  echo "$tx $rows $statements"
}

# A backend publishes its statistics when it goes idle, but at most once a second; when it was
# too early, the pending numbers wait until it has been idle for 10 s (PGSTAT_IDLE_INTERVAL in
# PostgreSQL 15; observed here: up to 12 s). The server's pooled connections never exit, so
# wait 15 s, then until two readings 1.2 s apart agree. The wait also covers the share-link
# views, written in the background every 5 s (roadmaps/traffic.rs), so that they count
# against the public link.
settled_counters() {
  local previous current
  sleep 15
  previous=$(counters)
  for _ in $(seq 1 20); do
    sleep 1.2
    current=$(counters)
    [ "$current" = "$previous" ] && break
    previous=$current
  done
  echo "$current"
}

# Headers for one page: the session cookie when signed in; for the public link, a client
# address of its own per request (the link is limited to 60 requests a minute per address).
curl_headers() { # name signed-in n
  if [ "$2" = yes ]; then printf '%s\0' -H "Cookie: $COOKIE"; fi
  if [ "$1" = share ]; then printf '%s\0' -H "X-Forwarded-For: 10.255.$(($3 / 256 % 256)).$(($3 % 256))"; fi
}

run_wrk() { # url signed-in name output
  local args=(-t1 -c16 -d"$DURATION" --latency)
  if [ "$2" = yes ]; then args+=(-H "Cookie: $COOKIE"); fi
  if [ "$3" = share ]; then args+=(-s "$BENCH/xff.lua"); fi
  taskset -c "$LOAD_CPU" wrk "${args[@]}" "$1" >"$4"
}

# ---------------------------------------------------------------------------------------------
# 6, 8. Each page: save its body, then count the database work of 100 requests sent one by one.
# All pages are counted before any load, so that one page's counters start where the previous
# page's ended, with no wrk backlog to wait for.
printf 'name\tlabel\tpath\tstatus\tbytes\tsql_per_request\twrites_per_request\n' >"$WORK/pages.tsv"
say "Counting the database work of $COUNTED_REQUESTS requests per page (about 20 s a page)"
# Warm-up first: sqlx prepares each statement once per pooled connection, and a prepare is
# one more transaction; 20 requests a page make the counts below those of a warm server.
for page in "${PAGES[@]}"; do
  IFS='|' read -r name _ path _ auth <<<"$page"
  for i in $(seq 1001 1020); do
    mapfile -d '' headers < <(curl_headers "$name" "$auth" "$i")
    curl -sS -o /dev/null "${headers[@]}" "$BASE$path"
  done
done
per_request() { awk -v a="$1" -v b="$2" -v n="$COUNTED_REQUESTS" 'BEGIN { printf "%.2f", (b - a) / n }'; }
read -r tx1 rows1 st1 < <(settled_counters)
for page in "${PAGES[@]}"; do
  IFS='|' read -r name label path shown auth <<<"$page"
  tx0=$tx1 rows0=$rows1 st0=$st1
  # The first of the counted requests is the one whose body is saved.
  mapfile -d '' headers < <(curl_headers "$name" "$auth" 1)
  status=$(curl -sS -o "$WORK/pages/$name" -w '%{http_code}' "${headers[@]}" "$BASE$path")
  bytes=$(stat -c %s "$WORK/pages/$name")
  for i in $(seq 2 "$COUNTED_REQUESTS"); do
    mapfile -d '' headers < <(curl_headers "$name" "$auth" "$i")
    curl -sS -o /dev/null "${headers[@]}" "$BASE$path"
  done
  read -r tx1 rows1 st1 < <(settled_counters)
  if [ "$STATEMENTS" = 1 ]; then sql=$(per_request "$st0" "$st1"); else sql=$(per_request "$tx0" "$tx1"); fi
  writes=$(per_request "$rows0" "$rows1")
  say "$label ($shown): HTTP $status, $bytes bytes, $sql $([ "$STATEMENTS" = 1 ] && echo statements || echo transactions)/request, $writes rows written/request"
  [ "$status" = 200 ] || say "  warning: HTTP $status (see $WORK/pages/$name)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$label" "$shown" "$status" "$bytes" "$sql" "$writes" >>"$WORK/pages.tsv"
done

# 7. The load, page after page.
for page in "${PAGES[@]}"; do
  IFS='|' read -r name label path _ auth <<<"$page"
  run_wrk "$BASE$path" "$auth" "$name" "$WORK/wrk/$name.app"
  say "$label: $(grep -E 'Requests/sec' "$WORK/wrk/$name.app")"
done
RSS_AFTER=$(rss_kb "$APP_PID")
# At log level warn the server says nothing unless something went wrong.
if [ -s "$WORK/app.log" ]; then
  say "The server logged warnings or errors:"
  tail -n 20 "$WORK/app.log" >&2
fi

# ---------------------------------------------------------------------------------------------
# 7 (ceiling). nginx, one worker on CPU 0, serving the saved bodies while the app sits idle.
say "Starting nginx on 127.0.0.1:$NGINX_PORT (CPU $APP_CPU)"
sed -e "s|@DIR@|$WORK|g" -e "s|@PORT@|$NGINX_PORT|g" "$BENCH/nginx.conf.template" >"$WORK/nginx.conf"
chmod -R a+rX "$WORK/pages"
taskset -c "$APP_CPU" "$NGINX" -p "$WORK" -e "$WORK/nginx-error.log" -c "$WORK/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/portfolio" 2>/dev/null && break
  kill -0 "$NGINX_PID" 2>/dev/null || die "nginx stopped: $(cat "$WORK/nginx-error.log")"
  sleep 0.2
done
for page in "${PAGES[@]}"; do
  IFS='|' read -r name label _ _ auth <<<"$page"
  # Same headers as against the application, so that wrk does the same work.
  run_wrk "http://127.0.0.1:$NGINX_PORT/$name" "$auth" "$name" "$WORK/wrk/$name.nginx"
  cmp -s "$WORK/pages/$name" <(curl -sS "http://127.0.0.1:$NGINX_PORT/$name") \
    || die "nginx does not serve the saved bytes of $name"
  say "nginx, $label: $(grep -E 'Requests/sec' "$WORK/wrk/$name.nginx")"
done

# ---------------------------------------------------------------------------------------------
# 9-10. The table.
if [ "$STATEMENTS" = 1 ]; then
  sql_header="SQL statements/request"
  sql_note="SQL statements/request: pg_stat_statements calls in $DB_NAME over $COUNTED_REQUESTS requests sent one by one with curl; writes/request: rows inserted + updated + deleted (pg_stat_database) over the same requests."
else
  sql_header="transactions/request"
  sql_note="pg_stat_statements is not loaded by this server, so statements were not counted: transactions/request is the xact_commit + xact_rollback delta of $DB_NAME (pg_stat_database) over $COUNTED_REQUESTS requests sent one by one with curl, after a warm-up. It approximates the statements: each statement outside an explicit transaction commits on its own (statements grouped in one explicit transaction count once; a statement's first preparation on a pooled connection counts once more). writes/request: rows inserted + updated + deleted over the same requests."
fi
{
  printf 'rss_idle_kb\t%s\n' "$RSS_IDLE"
  printf 'rss_after_kb\t%s\n' "$RSS_AFTER"
  printf 'date\t%s\n' "$(date '+%Y-%m-%d %H:%M %Z')"
  printf 'nproc\t%s\n' "$(nproc)"
  printf 'cpu\t%s\n' "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  printf 'wrk\t%s\n' "wrk -t1 -c16 -d$DURATION --latency"
  printf 'sql_header\t%s\n' "$sql_header"
  printf 'sql_note\t%s\n' "$sql_note"
  printf 'products\t%s\n' "$(pg bench "select count(*) || ' (' || count(*) filter (where archived_at is null) || ' not archived)' from products")"
  printf 'pg_version\t%s\n' "$(pg "show server_version")"
} >"$WORK/meta.tsv"
echo
python3 "$BENCH/report.py" "$WORK" "$BENCH/results.md"
say "Written to bench/results.md"
