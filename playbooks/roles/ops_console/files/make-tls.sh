#!/bin/sh
# make-tls.sh DIR DAYS NAME ALT_NAMES: the console's own CA and a server
# certificate for NAME signed by it (ALT_NAMES: "DNS:a,IP:b"), on first install
# when the department gives no certificate. Written into a temporary folder
# and moved into DIR, server.pem last: its presence says the set is complete.
set -eu
dir=$1 days=$2 name=$3 alt=$4
umask 077
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.new.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -subj "/CN=Ops Console CA ($name)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -keyout "$tmp/server.key" -out "$tmp/server.csr" -subj "/CN=$name" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
    "$alt" > "$tmp/server.ext"
openssl x509 -req -sha256 -days "$days" -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
    -CAcreateserial -extfile "$tmp/server.ext" -out "$tmp/server.pem" 2>/dev/null
chmod 0644 "$tmp/ca.pem" "$tmp/server.pem"
mv "$tmp/ca.key" "$tmp/ca.pem" "$tmp/server.key" "$dir/"
mv "$tmp/server.pem" "$dir/server.pem"
