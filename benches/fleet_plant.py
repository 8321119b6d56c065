#!/usr/bin/env python3
"""Plants a fleet of device backups for benches/fleet.sh, each device with its own master
secret, and says what a correct `ffce audit` must count.

    fleet_plant.py --dir ROOT BUCKET COUNT [options]       write ROOT/BUCKET/KEY files
    fleet_plant.py --endpoint URL BUCKET COUNT [options]   PUT them (existing bucket)

`--dir` writes the objects straight into the data folder of a server that serves plain
files (s3s-fs: bucket = folder, key = path, last-modified = the file's mtime), which
plants 100,000 objects in seconds; `--endpoint` uploads them with boto3 from
`--threads` threads (for moto).

With `--layout flat` the key is `{uuid}` (the other layout of docs/SPEC.md §5) instead of
`{uuid}/backup.ffce`. Device i gets a random UUID (version 4, from a seeded generator, so the first hex digit
spreads the keys over the sixteen prefixes like a real fleet) and a random 32-byte
master secret; its backup seals fixtures/plaintexts/dexie-config.json
under the key derived from that secret (docs/SPEC.md §2, with the `cryptography` package,
independently of ffce). With `--key-dir DIR`, `DIR/{uuid}.key` holds the secret in hex.
Then, by device number i:
  - every `--bad-every` K-th (i % K == K-1) is a malformed fixture vector instead
    (fixtures/manifest.json says why: too_short, bad_magic, ...);
  - otherwise every `--wrong-key-every`-th (i % W == 1) has a key file with another
    secret (a keyed audit must call it authentication_failed);
  - otherwise every `--no-key-every`-th (i % N == 2) has no key file (`no_key`);
  - independently, every `--stale-every`-th (i % S == 3) is stale: with --dir its mtime
    is 60 days ago (`--older-than 30d` selects it); with --endpoint the stale ones are
    uploaded first and the others `--gap` seconds later, and `stale_cutoff_epoch` (a
    time between the two) lets the caller pick an `--older-than` in seconds.
Plus the stray keys of scripts/s3_oracle.py (README.txt, an uppercase UUID, ...).

Prints one JSON object: "devices", "strays", "bytes", "expected" (keyless audit
totals), "expected_keyed" (`--key-dir` audit totals), "expected_verify" (keyless
`ffce verify` of every file), "expected_stale", "empty_objects" (0-byte backups), "stale_cutoff_epoch",
"elapsed_seconds".
"""

import argparse
import concurrent.futures
import json
import os
import random
import struct
import sys
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "fixtures")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import s3_oracle  # noqa: E402  (its stray keys and S3 client)

# The malformed vectors (the oversize one is left out: with a key, a too-large backup
# is also read and authenticated, which would blur the keyed totals).
BAD_POOL = [n for n in s3_oracle.BAD_POOL if n != "oversize-backup"]
STALE_AGE = 60 * 86400


def backup_key(master):
    """HKDF-SHA256, salt absent, info `firefly-backup-v1` (docs/SPEC.md §2)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"firefly-backup-v1").derive(master)


def seal(key, nonce, plaintext):
    """magic, version 1, nonce, plaintext_len (LE), tag, ciphertext (docs/SPEC.md §1)."""
    ct = AESGCM(key).encrypt(nonce, plaintext, None)
    return b"FFCE\x01" + nonce + struct.pack("<I", len(plaintext)) + ct[-16:] + ct[:-16]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--dir")
    where.add_argument("--endpoint")
    ap.add_argument("bucket")
    ap.add_argument("count", type=int)
    ap.add_argument("--key-dir")
    ap.add_argument("--layout", choices=["nested", "flat"], default="nested")
    ap.add_argument("--bad-every", type=int, default=500)
    ap.add_argument("--wrong-key-every", type=int, default=250)
    ap.add_argument("--no-key-every", type=int, default=100)
    ap.add_argument("--stale-every", type=int, default=50)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--gap", type=float, default=4.0)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()

    with open(os.path.join(FIXTURES, "manifest.json")) as f:
        manifest = {v["name"]: v for v in json.load(f)["vectors"]}
    bad_blobs = {}
    for name in BAD_POOL:
        with open(os.path.join(FIXTURES, manifest[name]["file"]), "rb") as f:
            bad_blobs[name] = f.read()
    with open(os.path.join(FIXTURES, "plaintexts", "dexie-config.json"), "rb") as f:
        plaintext = f.read()
    with open(os.path.join(FIXTURES, "README.md"), "rb") as f:
        readme = f.read()

    rng = random.Random(args.seed)
    every = lambda k, i, r: k > 0 and i % k == r  # noqa: E731

    expected = {"objects": 0, "bytes": 0, "valid": 0, "invalid": 0,
                "invalid_by_reason": {}, "stray": 0, "errors": 0, "gone": 0}
    keyed = {"objects": 0, "bytes": 0, "valid": 0, "invalid": 0,
             "invalid_by_reason": {}, "stray": 0, "errors": 0, "gone": 0, "no_key": 0}
    verify = {"files": 0, "ok": 0, "invalid": 0}
    stale_count = 0
    empty = 0
    objects = []  # (key, body, stale)
    keys = []  # (uuid, secret or None)
    bad_i = 0
    for i in range(args.count):
        u = rng.getrandbits(128)
        u = (u & ~(0xF << 76) | (4 << 76)) & ~(0x3 << 62) | (0x2 << 62)  # version 4, variant
        h = f"{u:032x}"
        uuid = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        key = f"{uuid}/backup.ffce" if args.layout == "nested" else uuid
        stale = every(args.stale_every, i, 3)
        stale_count += stale
        secret = rng.randbytes(32)
        if every(args.bad_every, i, args.bad_every - 1):
            name = BAD_POOL[bad_i % len(BAD_POOL)]
            bad_i += 1
            body = bad_blobs[name]
            empty += not body
            reason = manifest[name]["structure"]
            for t in (expected, keyed):
                t["invalid"] += 1
                t["invalid_by_reason"][reason] = t["invalid_by_reason"].get(reason, 0) + 1
            verify["invalid"] += 1
            keys.append((uuid, secret))
        else:
            body = seal(backup_key(secret), rng.randbytes(12), plaintext)
            expected["valid"] += 1
            verify["ok"] += 1
            if every(args.wrong_key_every, i, 1):
                keys.append((uuid, rng.randbytes(32)))
                keyed["invalid"] += 1
                by = keyed["invalid_by_reason"]
                by["authentication_failed"] = by.get("authentication_failed", 0) + 1
            elif every(args.no_key_every, i, 2):
                keyed["no_key"] += 1
            else:
                keys.append((uuid, secret))
                keyed["valid"] += 1
        for t in (expected, keyed):
            t["objects"] += 1
            t["bytes"] += len(body)
        verify["files"] += 1
        objects.append((key, body, stale))
    # In the flat layout a bare lowercase UUID is a backup, not a stray key.
    strays = [(k, readme, False) for k in s3_oracle.STRAY_KEYS
              if not (args.layout == "flat" and k.endswith("00000000000b"))]
    expected["stray"] = keyed["stray"] = len(strays)

    if args.key_dir:
        os.makedirs(args.key_dir, exist_ok=True)
        for uuid, secret in keys:
            with open(os.path.join(args.key_dir, f"{uuid}.key"), "w") as f:
                f.write(secret.hex() + "\n")

    start = time.monotonic()
    now = time.time()
    if args.dir:
        bucket_dir = os.path.join(args.dir, args.bucket)
        for key, body, stale in objects + strays:
            path = os.path.join(bucket_dir, key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(body)
            if stale:
                os.utime(path, (now - STALE_AGE, now - STALE_AGE))
        cutoff = now - STALE_AGE / 2
    else:
        s3 = s3_oracle.client(args.endpoint, pool=max(10, args.threads))

        def put(item):
            s3.put_object(Bucket=args.bucket, Key=item[0], Body=item[1],
                          ContentType="application/octet-stream")

        def put_all(items):
            with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
                for _ in pool.map(put, items):
                    pass

        put_all([o for o in objects if o[2]])
        stale_done = time.time()
        time.sleep(args.gap)
        cutoff = stale_done + args.gap / 2
        put_all([o for o in objects if not o[2]] + strays)

    json.dump({
        "devices": len(objects),
        "strays": len(strays),
        "bytes": expected["bytes"],
        "expected": expected,
        "expected_keyed": keyed,
        "expected_verify": verify,
        "expected_stale": stale_count,
        "empty_objects": empty,
        "stale_cutoff_epoch": cutoff,
        "elapsed_seconds": round(time.monotonic() - start, 3),
    }, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
