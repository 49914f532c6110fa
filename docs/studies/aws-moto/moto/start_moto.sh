#!/bin/bash
# Start the study's moto server on 127.0.0.1:${PORT:-15000} with a Debian 12 AMI list and strict validation.
cd "$(dirname "$0")"
. venv/bin/activate
MOTO_AMIS_PATH=$PWD/amis-debian.json MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION=true \
MOTO_ENABLE_AMI_VALIDATION=true MOTO_ENABLE_KEYPAIR_VALIDATION=true \
  moto_server -H 127.0.0.1 -p "${PORT:-15000}" > moto.log 2>&1 &
echo $! > moto.pid
for i in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:${PORT:-15000}/moto-api/" && exit 0; sleep 0.1; done
echo "moto did not start" >&2; exit 1
