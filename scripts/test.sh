#!/usr/bin/env bash
# Runs every test: unit, HTTP and browser (the README's second command, and CI's).
source "$(dirname "$0")/env.sh"

# Browser tests drive Debian's Chromium through chromedriver; the Nu HTML checker (vnu.jar, from
# npm) runs on Java.
packages=()
command -v chromedriver >/dev/null && command -v chromium >/dev/null || packages+=(chromium chromium-driver)
command -v java >/dev/null || packages+=(default-jre-headless)
# schemathesis, for the API's contract test, is installed below in a Python virtual environment.
command -v python3 >/dev/null || packages+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)
if [ "${#packages[@]}" -gt 0 ]; then
  say "Installing ${packages[*]} (Debian packages)"
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${packages[@]}" >/dev/null \
    || die "could not install ${packages[*]}; install them and run again"
fi

# The API's contract tests run schemathesis against a live server and openapi-spec-validator on
# the document (both from PyPI), from a virtual environment of their own.
SCHEMATHESIS_VENV="$PWD/target/schemathesis"
if [ ! -x "$SCHEMATHESIS_VENV/bin/schemathesis" ] || [ ! -x "$SCHEMATHESIS_VENV/bin/openapi-spec-validator" ]; then
  command -v python3 >/dev/null || die "python3 is missing: install Python 3 (with venv) and run again"
  say "Installing schemathesis (Python, in $SCHEMATHESIS_VENV)"
  python3 -m venv "$SCHEMATHESIS_VENV" \
    || die "python3 -m venv failed: install python3-venv and run again"
  "$SCHEMATHESIS_VENV/bin/pip" install --quiet --disable-pip-version-check \
    'schemathesis>=4.3,<5' 'openapi-spec-validator>=0.7,<0.8' \
    || die "could not install schemathesis and openapi-spec-validator from PyPI"
fi
export BOUSSOLE_SCHEMATHESIS="$SCHEMATHESIS_VENV/bin/schemathesis"
export BOUSSOLE_OPENAPI_VALIDATOR="$SCHEMATHESIS_VENV/bin/openapi-spec-validator"

# #[sqlx::test] connects to this database and creates a fresh database per test beside it.
export DATABASE_URL="${DATABASE_URL:-$BOUSSOLE_PG_SERVER/postgres}"
# The build must not need a database: .sqlx/ holds the checked queries.
export SQLX_OFFLINE=true

say "Running the tests"
cargo test --all-targets --quiet "$@"
