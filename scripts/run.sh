#!/usr/bin/env bash
# Starts Boussole with demo data on http://127.0.0.1:8080 (the README's first command).
source "$(dirname "$0")/env.sh"

export DATABASE_URL="${DATABASE_URL:-$BOUSSOLE_PG_SERVER/boussole}"
export BOUSSOLE_SECURE_COOKIES="${BOUSSOLE_SECURE_COOKIES:-false}"
export BOUSSOLE_LISTEN="${BOUSSOLE_LISTEN:-127.0.0.1:8080}"
export BOUSSOLE_BASE_URL="${BOUSSOLE_BASE_URL:-http://$BOUSSOLE_LISTEN}"
export SQLX_OFFLINE=true

say "Building Boussole"
cargo build --quiet --bin boussole
bin=target/debug/boussole

say "Creating the database if missing and applying migrations"
"$bin" migrate
say "Loading the demo data (only into an empty database)"
"$bin" demo || say "Demo data not loaded: the database holds other data (see above)."

cat <<TXT

  Boussole: $BOUSSOLE_BASE_URL

  Demo accounts (password: boussole-demo-2026)
    admin@demo.boussole.fr    administrateur
    editeur@demo.boussole.fr  éditeur
    lecteur@demo.boussole.fr  lecteur

  Ctrl-C stops the server.

TXT
exec "$bin" serve
