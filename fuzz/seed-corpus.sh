#!/usr/bin/env bash
# Seeds fuzz/corpus/TARGET/ for every fuzz target. The corpora are generated
# here at run time and never committed (fuzz/.gitignore); libFuzzer adds what it finds.
#
#   header, open, upload  <- every blob in fixtures/vectors/ (valid, broken, oversize).
#                            `open` uses the fixtures' backup key, so the valid ones open.
#   keyfile               <- key-file texts built from NON-secret test bytes: the spec's
#                            HKDF cross-check key (master 11 x 32) in hex and base64, the
#                            fixtures' master 00 01 .. 1f as raw bytes, and near misses.
#   content               <- fixtures/plaintexts/* and a few small JSON/text shapes.
#
# Idempotent: existing corpus files (libFuzzer's finds) are kept.
set -euo pipefail
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz_dir")
corpus="$fuzz_dir/corpus"

for target in header open upload; do
    mkdir -p "$corpus/$target"
    cp "$root"/fixtures/vectors/*.ffce "$corpus/$target/"
done

# Hex to bytes with nothing beyond bash and sed (xxd is not on every machine).
hex2bin() { printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }

kf="$corpus/keyfile"
mkdir -p "$kf"
# The spec's cross-check value (docs/SPEC.md §2): a public test key, not a secret.
hex_key=fa38e736ef4d08926fdf50970b942048c3c8c7cc49cbc9fb951b4a76e2333c0d
b64_key=$(hex2bin "$hex_key" | base64 -w0)
printf '%s\n' "$hex_key" >"$kf/hex-lf"
printf '%s' "$hex_key" | tr 'a-f' 'A-F' >"$kf/hex-upper"
printf '  \t%s\r\n\n' "$hex_key" >"$kf/hex-whitespace"
printf '%s\n' "${hex_key:0:62}" >"$kf/hex-short"
printf '%s\n%s\n' "${hex_key:0:32}" "${hex_key:32}" >"$kf/hex-split"
printf '%s\n' "$b64_key" >"$kf/base64-padded"
printf '%s' "${b64_key%=}" >"$kf/base64-unpadded"
printf '%s' "${b64_key:0:40}" >"$kf/base64-short"
# The fixtures' third master secret, bytes 00 01 .. 1f, as a 32-byte raw key file.
hex2bin 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f >"$kf/raw-32"
printf 'correct horse battery staple 123' >"$kf/text-32"
printf '' >"$kf/empty"

ct="$corpus/content"
mkdir -p "$ct"
cp "$root"/fixtures/plaintexts/* "$ct/"
printf '%s' '{"formatName":"dexie","formatVersion":1,"data":{"databaseName":"firefly","databaseVersion":1,"tables":[{"name":"inputs","schema":"++id,name","rowCount":2}],"data":[{"tableName":"inputs","inbound":true,"rows":[{"id":1,"name":"Porch"}]}]}}' \
    >"$ct/dexie-spec-example.json"
printf '%s' '{"formatName":"dexie","data":{"tables":[{"name":"a","rowCount":"x"},{"name":"a"}],"data":[{"tableName":"b","rows":{}}]}}' \
    >"$ct/dexie-inconsistent.json"
printf '%s' '[1,2,{"a":[null,true]}]' >"$ct/array.json"
printf '%s' '"just a string"' >"$ct/string.json"
printf 'line one\nline two' >"$ct/text.txt"

for target in header open upload keyfile content; do
    printf '%-8s %3d seed files in %s\n' "$target" \
        "$(find "$corpus/$target" -type f | wc -l)" "${corpus#"$root"/}/$target" >&2
done
