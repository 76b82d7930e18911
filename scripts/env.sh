# Sourced by run.sh and test.sh: installs the front-end assets and finds (or starts) PostgreSQL.
# Exports BOUSSOLE_PG_SERVER (a server URL without database name).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mError: %s\033[0m\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo is missing: install the Rust toolchain (https://rustup.rs)."
command -v npm >/dev/null || die "npm is missing: install Node.js 20 or later with npm."

# Front-end assets: the DSFR (and axe-core for the browser tests), copied into static/dsfr.
if [ ! -d node_modules/@gouvfr/dsfr ] || [ ! -d node_modules/axe-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "Installing front-end packages (npm ci)"
  npm ci --no-audit --no-fund
fi
npm run --silent build

pg_answers() { # host port
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h "$1" -p "$2" -U postgres -t 2
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

find_pg_bin() { # name
  if command -v "$1" >/dev/null; then command -v "$1"; return; fi
  ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1
}

if [ -n "${DATABASE_URL:-}" ]; then
  say "PostgreSQL: using DATABASE_URL"
  BOUSSOLE_PG_SERVER="${DATABASE_URL%/*}"
elif pg_answers 127.0.0.1 5432; then
  say "PostgreSQL: using the server at 127.0.0.1:5432 (user postgres)"
  BOUSSOLE_PG_SERVER="postgres://postgres@127.0.0.1:5432"
else
  initdb_bin=$(find_pg_bin initdb)
  pg_ctl_bin=$(find_pg_bin pg_ctl)
  if [ -z "$initdb_bin" ] || [ -z "$pg_ctl_bin" ]; then
    die "no PostgreSQL found: set DATABASE_URL, start a server on 127.0.0.1:5432, or install PostgreSQL
       (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql@16)."
  fi
  data_dir="$PWD/.data/postgres"
  port=54329
  as_owner=()
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root: the cluster belongs to the postgres user.
    id postgres >/dev/null 2>&1 || die "running as root and there is no postgres user to own the private cluster"
    as_owner=(runuser -u postgres --)
  fi
  if [ ! -f "$data_dir/PG_VERSION" ]; then
    say "PostgreSQL: creating a private cluster in .data/postgres"
    mkdir -p "$data_dir"
    [ "$(id -u)" = 0 ] && chown -R postgres "$PWD/.data"
    "${as_owner[@]}" "$initdb_bin" -D "$data_dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! pg_answers 127.0.0.1 "$port"; then
    say "PostgreSQL: starting the private cluster on 127.0.0.1:$port"
    "${as_owner[@]}" "$pg_ctl_bin" -D "$data_dir" -l "$data_dir/server.log" -w \
      -o "-p $port -k $data_dir -c listen_addresses=127.0.0.1" start >/dev/null
  fi
  say "PostgreSQL: using the private cluster in .data/postgres (127.0.0.1:$port)"
  BOUSSOLE_PG_SERVER="postgres://postgres@127.0.0.1:$port"
fi
export BOUSSOLE_PG_SERVER
