#!/bin/bash
# Full study cycle against a moto server on 127.0.0.1:${PORT:-15000}.
set -u
cd "$(dirname "$0")"
. ../venv/bin/activate
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
E="-e aws_endpoint=http://127.0.0.1:${PORT:-15000}"
recap() { grep -E "^localhost +: " "$1" | sed 's/  */ /g'; }
for step in "build build.yml" "rerun build.yml" "stop stop.yml" "stop-again stop.yml" "destroy destroy.yml" "destroy-again destroy.yml"; do
  set -- $step
  python ../tsrun.py ansible-playbook $2 $E > cycle-$1.log 2> cycle-$1.times
  echo "$1: $(recap cycle-$1.log) $(tail -1 cycle-$1.times)"
  if [ "$1" = rerun ]; then grep -B1 -E "^changed" cycle-$1.log | head; fi
done
python check.py > cycle-check.log; echo "check rc=$? (0 = nothing left)"
