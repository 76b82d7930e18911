#!/usr/bin/env bash
# Runs every test: unit, HTTP and browser (the README's second command, and CI's).
source "$(dirname "$0")/env.sh"

# Browser tests drive Debian's Chromium through chromedriver; the Nu HTML checker (vnu.jar, from
# npm) runs on Java.
packages=()
command -v chromedriver >/dev/null && command -v chromium >/dev/null || packages+=(chromium chromium-driver)
command -v java >/dev/null || packages+=(default-jre-headless)
if [ "${#packages[@]}" -gt 0 ]; then
  say "Installing ${packages[*]} (Debian packages)"
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${packages[@]}" >/dev/null \
    || die "could not install ${packages[*]}; install them and run again"
fi

# #[sqlx::test] connects to this database and creates a fresh database per test beside it.
export DATABASE_URL="${DATABASE_URL:-$BOUSSOLE_PG_SERVER/postgres}"
# The build must not need a database: .sqlx/ holds the checked queries.
export SQLX_OFFLINE=true

say "Running the tests"
cargo test --all-targets --quiet "$@"
