#!/usr/bin/python3
"""Regenerates hashes.json: known-answer hashes made by tools other than Go.

Run from password/testdata with Debian's python3 (python3-passlib 1.7.4,
python3-bcrypt 3.2.2), the argon2 CLI (Debian argon2), htpasswd (Debian
apache2-utils) and node with @phc/pbkdf2 1.1.14 on NODE_PATH:

    /usr/bin/python3 gen_hashes.py > hashes.json

Every run makes new salts, so the file changes; the tests only need each
entry to verify with its password and fail with any other. bcrypt hashes
use cost 4, the lowest, to keep the tests fast under -race; the format,
not the cost, is what they check.
"""
import base64, hashlib, json, os, secrets, subprocess, sys
from passlib.hash import bcrypt, pbkdf2_sha256, pbkdf2_sha512, scrypt, django_pbkdf2_sha256

ASCII = "correct horse battery staple"
UNI = "pässwörd ünïcødé €"  # NFC, so NFKC leaves it unchanged

def argon2_cli(pw, variant, t, k, p):
    salt = secrets.token_hex(8)  # 16 ASCII bytes
    out = subprocess.run(["argon2", salt, variant, "-t", str(t), "-k", str(k), "-p", str(p), "-e"],
                         input=pw.encode(), capture_output=True, check=True)
    return out.stdout.decode().strip()

def htpasswd(pw, cost):
    out = subprocess.run(["htpasswd", "-niB", "-C", str(cost), "u"], input=pw.encode(), capture_output=True, check=True)
    return out.stdout.decode().strip().split(":", 1)[1]

def phc_pbkdf2(pw, digest, iterations):
    js = ("require('@phc/pbkdf2').hash(process.argv[1], {digest: process.argv[2], iterations: +process.argv[3], saltSize: 16})"
          ".then(h => process.stdout.write(h))")
    out = subprocess.run(["node", "-e", js, pw, digest, str(iterations)], capture_output=True, check=True)
    return out.stdout.decode()

def django_scrypt(pw, n=2**14, r=8, p=1):
    # Django 4.0+ ScryptPasswordHasher.encode, with hashlib.scrypt.
    salt = secrets.token_urlsafe(16)[:22]
    h = hashlib.scrypt(pw.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=128 * n * r * 2, dklen=64)
    return "scrypt$%s$%d$%d$%d$%s" % (salt, n, r, p, base64.b64encode(h).decode())

entries = []
def add(fmt, tool, pw, h):
    entries.append({"format": fmt, "tool": tool, "password": pw, "hash": h})

for pw in (ASCII, UNI):
    add("bcrypt-2y", "htpasswd -B -C 4 (apache2-utils)", pw, htpasswd(pw, 4))
    add("bcrypt-2b", "passlib 1.7.4 bcrypt (python3-bcrypt 3.2.2), rounds=4", pw, bcrypt.using(rounds=4, ident="2b").hash(pw))
    add("bcrypt-2a", "passlib 1.7.4 bcrypt (python3-bcrypt 3.2.2), ident=2a, rounds=4", pw, bcrypt.using(rounds=4, ident="2a").hash(pw))
    add("argon2id", "argon2 CLI (Debian argon2) -id -t 2 -k 19456 -p 1", pw, argon2_cli(pw, "-id", 2, 19456, 1))
    add("argon2i", "argon2 CLI (Debian argon2) -i -t 3 -k 4096 -p 2", pw, argon2_cli(pw, "-i", 3, 4096, 2))
    add("pbkdf2-sha256-passlib", "passlib 1.7.4 pbkdf2_sha256, rounds=29000", pw, pbkdf2_sha256.using(rounds=29000).hash(pw))
    add("pbkdf2-sha512-passlib", "passlib 1.7.4 pbkdf2_sha512, rounds=25000", pw, pbkdf2_sha512.using(rounds=25000).hash(pw))
    add("pbkdf2-sha256-phc", "@phc/pbkdf2 1.1.14, iterations=10000", pw, phc_pbkdf2(pw, "sha256", 10000))
    add("pbkdf2-sha512-phc", "@phc/pbkdf2 1.1.14, iterations=10000", pw, phc_pbkdf2(pw, "sha512", 10000))
    add("pbkdf2-sha256-django", "passlib 1.7.4 django_pbkdf2_sha256, rounds=30000", pw, django_pbkdf2_sha256.using(rounds=30000).hash(pw))
    add("scrypt-passlib", "passlib 1.7.4 scrypt (hashlib backend), ln=14, r=8, p=1", pw, scrypt.using(rounds=14).hash(pw))
    add("scrypt-django", "Django 4.0 ScryptPasswordHasher recipe with hashlib.scrypt, N=16384, r=8, p=1", pw, django_scrypt(pw))

# A legacy bcrypt hash of an 80-byte password: htpasswd hashes only its
# first 72 bytes.
long_pw = "0123456789" * 8
add("bcrypt-2y-80-bytes", "htpasswd -B -C 4 (apache2-utils), an 80-byte password", long_pw, htpasswd(long_pw, 4))

json.dump({"generated_by": "password/testdata/gen_hashes.py", "entries": entries}, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
