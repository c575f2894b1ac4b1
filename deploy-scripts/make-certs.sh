#!/usr/bin/env bash
# Makes a throwaway CA, a broker certificate and client certificates with openssl, for testing a TLS broker
# with require_certificate. A client certificate's CN is its MQTT user name (use_identity_as_username), so
# name device certificates after the device id and the operator's after "fleet".
# Writes ca.crt/ca.key, broker.crt/broker.key and NAME.crt/NAME.key per client.
# Usage: make-certs.sh OUTDIR BROKER_NAME CLIENT_NAME...   e.g. make-certs.sh /tmp/pki localhost fleet demo-01
set -euo pipefail
[ "$#" -ge 3 ] || { echo "usage: $0 OUTDIR BROKER_NAME CLIENT_NAME..." >&2; exit 2; }
out="$1"; broker="$2"; shift 2
mkdir -p "$out"
cd "$out"
curve=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
if [ ! -f ca.crt ]; then
  openssl req -x509 "${curve[@]}" -days 30 -subj "/CN=WorkerPool test CA" -keyout ca.key -out ca.crt 2>/dev/null
fi
sign() { # file name, common name, extensions
  openssl req "${curve[@]}" -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
  chmod 600 "$1.key"
}
sign broker "$broker" "subjectAltName=DNS:$broker,IP:127.0.0.1"
for client in "$@"; do sign "$client" "$client" "extendedKeyUsage=clientAuth"; done
echo "make-certs: CA, broker '$broker' and clients $* in $out"
