"""What a user without ffce would run after `aws s3 cp`: open an FFCE blob with the Python
`cryptography` package (HKDF-SHA256 key derivation, AES-256-GCM). The baseline of
benches/get-vs-awscli.sh.

Usage: python decrypt_ffce.py BLOB MASTER_KEY_HEX_FILE OUTPUT
"""

import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def main():
    blob_path, key_path, out_path = sys.argv[1:4]
    master = bytes.fromhex(open(key_path).read().strip())
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"firefly-backup-v1").derive(master)
    blob = open(blob_path, "rb").read()
    if blob[:4] != b"FFCE" or blob[4] != 1:
        sys.exit("not an FFCE v1 blob")
    nonce, (length,), tag = blob[5:17], struct.unpack("<I", blob[17:21]), blob[21:37]
    body = blob[37:]
    if len(body) != length:
        sys.exit("length mismatch")
    plaintext = AESGCM(key).decrypt(nonce, body + tag, None)
    with open(out_path, "wb") as f:
        f.write(plaintext)


if __name__ == "__main__":
    main()
