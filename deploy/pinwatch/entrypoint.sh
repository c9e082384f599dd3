#!/bin/sh
# pinwatch's container entrypoint. Secrets arrive by environment: PINWATCH_DATABASE_URL is
# read by pinwatch itself; PINWATCH_SIGNING_KEY (the pin-set signing key, PEM) is written to
# a file only this user can read, where the config's publish.signing_key points, and
# removed from the environment. `run` applies migrations first (safe with several
# replicas starting at once: they take turns on a lock). Then pinwatch replaces this shell,
# so SIGTERM reaches it directly.
set -eu
config="${PINWATCH_CONFIG:-/etc/pinwatch/pinwatch.yaml}"
if [ -n "${PINWATCH_SIGNING_KEY:-}" ]; then
  key_file="${PINWATCH_SIGNING_KEY_FILE:-/run/pinwatch/signing-key.pem}"
  (umask 077 && printf '%s\n' "$PINWATCH_SIGNING_KEY" > "$key_file")
  unset PINWATCH_SIGNING_KEY
fi
if [ "${1:-run}" = run ]; then
  pinwatch --config "$config" migrate
fi
exec pinwatch --config "$config" "$@"
