#!/usr/bin/env bash
# Makes the confluent-kafka venv (requirements.txt, from PyPI) once and prints its python. Used by
# this suite's run and by security/run; one at a time (the Kafka and Skiff runs start together).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
VENV="${COMPAT_CACHE:-$REPO/.cache/compat}/venv"
mkdir -p "$(dirname "$VENV")"
(
  exec 9>"$(dirname "$VENV")/.lock-venv"; flock 9
  if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import confluent_kafka' 2>/dev/null \
     || [[ "$HERE/requirements.txt" -nt "$VENV/.installed" ]]; then
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt" >&2
    touch "$VENV/.installed"
  fi
)
echo "$VENV/bin/python"
