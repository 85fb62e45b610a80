#!/bin/sh
# A self-signed certificate for running the compose stack (or the loopback proofs) locally:
# deploy/tls/dlcheck.crt and dlcheck.key, for localhost, 127.0.0.1 and ::1 unless other names
# are given. Browsers and curl will not trust it (curl --cacert deploy/tls/dlcheck.crt will);
# in production, put the university's certificate and key at these two paths instead
# (deploy/README.md, TLS).
#
#   sh deploy/tls/self-signed.sh [DIR] [NAME…]      # DIR defaults to this script's directory
#
# ECDSA P-256 and 825 days: what browsers accept for a certificate they are told to trust.
set -eu
dir=${1:-$(dirname "$0")}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- localhost 127.0.0.1 ::1
san=""
for name in "$@"; do
  # An IPv6 address has a colon, an IPv4 one only digits and dots; anything else is a DNS name.
  case $name in
    *:*) entry="IP:$name" ;;
    *[!0-9.]*) entry="DNS:$name" ;;
    *) entry="IP:$name" ;;
  esac
  san="${san:+$san,}$entry"
done
mkdir -p "$dir"
umask 077
# openssl's progress goes to stderr; shown only if it fails (-addext needs OpenSSL 1.1.1+).
if ! err=$(openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
  -subj "/CN=$1" -addext "subjectAltName=$san" \
  -keyout "$dir/dlcheck.key" -out "$dir/dlcheck.crt" 2>&1); then
  echo "$err" >&2
  exit 1
fi
chmod 644 "$dir/dlcheck.crt"
echo "wrote $dir/dlcheck.crt and $dir/dlcheck.key ($san)"
