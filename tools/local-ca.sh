#!/usr/bin/env bash
# A certificate authority of the facility's own, and a certificate for `jejak serve` signed by
# it, for a facility that has no domain name (docs/operations.md, "HTTPS without a domain
# name"). Uses only the openssl command.
#
#   tools/local-ca.sh DIR NAME ADDRESS...
#
# DIR      where the files go (created; an existing CA in it is kept and reused)
# NAME     the facility's name, as the phones will show it (e.g. "Rutan Contoh")
# ADDRESS  each IP address or host name the phones reach the server by (e.g. 192.168.1.10)
#
# Writes DIR/ca.key (keep it offline: whoever has it can make certificates the phones trust),
# DIR/ca.crt (install it once on every phone), DIR/server.key and DIR/server.crt (give both to
# `jejak serve --tls-key DIR/server.key --tls-cert DIR/server.crt`).
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 DIR NAME ADDRESS..." >&2
    exit 2
fi
dir=$1
name=$2
shift 2
mkdir -p "$dir"
umask 077

# The authority: ten years, able to sign server certificates and nothing else below it. Made
# once: a new one would need installing on every phone again.
if [ -f "$dir/ca.crt" ] && [ ! -f "$dir/ca.key" ]; then
    echo "$dir/ca.crt is here but ca.key is not: put the authority's key back (from where it" >&2
    echo "is kept safe) to renew the server's certificate; a new authority would need" >&2
    echo "installing on every phone again" >&2
    exit 1
fi
if [ ! -f "$dir/ca.key" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" -days 3650 \
        -subj "/O=$name/CN=$name CA jejak" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

# The server's certificate: 825 days (the longest phones accept), for each address given.
names=""
for address in "$@"; do
    if [[ "$address" =~ ^[0-9.]+$ || "$address" == *:* ]]; then
        names="$names,IP:$address"
    else
        names="$names,DNS:$address"
    fi
done
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/O=$name/CN=$1" 2>/dev/null
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -out "$dir/server.crt" -days 825 \
    -extfile <(printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' "${names#,}") \
    2>/dev/null
rm -f "$dir/server.csr"
chmod 644 "$dir/ca.crt" "$dir/server.crt"
echo "CA for the phones:   $dir/ca.crt"
echo "jejak serve --tls-cert $dir/server.crt --tls-key $dir/server.key"
