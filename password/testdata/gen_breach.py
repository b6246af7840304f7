#!/usr/bin/python3
"""Regenerates the breach-check fixtures, deterministically:

  hibp/range/PREFIX  Pwned Passwords range responses ("SUFFIX:COUNT", CRLF,
                     with padding lines of count 0, as returned with
                     Add-Padding: true) for the prefixes the tests query;
  pwned-sha1-ordered.txt  an offline corpus "SHA1:COUNT" sorted by hash,
                     CRLF, as the Pwned Passwords downloader writes it.

The SHA-1 values are real; the counts are illustrative, not HIBP's, and
the filler hashes are random (seeded). Run from password/testdata:

    /usr/bin/python3 gen_breach.py
"""
import hashlib, os, random

rng = random.Random(20260102)
def sha1(s): return hashlib.sha1(s.encode()).hexdigest().upper()
def rand_hex(n): return "".join(rng.choice("0123456789ABCDEF") for _ in range(n))

breached = {"password": 9545824, "correct horse battery staple": 368, "Tr0ub4dor&3 wears a hat": 2}
padding_only = ["unremarkable lantern orchard"]   # its suffix appears with count 0
absent = ["quietly grazing violet moose"]        # its range has no line for it

os.makedirs("hibp/range", exist_ok=True)
ranges = {}
for pw, n in breached.items():
    h = sha1(pw); ranges.setdefault(h[:5], []).append((h[5:], n))
for pw in padding_only:
    h = sha1(pw); ranges.setdefault(h[:5], []).append((h[5:], 0))
for pw in absent:
    h = sha1(pw); ranges.setdefault(h[:5], [])
for prefix, lines in ranges.items():
    lines = lines + [(rand_hex(35), rng.randint(1, 5000)) for _ in range(40)] + [(rand_hex(35), 0) for _ in range(20)]
    lines.sort()
    with open("hibp/range/" + prefix, "w", newline="") as f:
        for s, n in lines:
            f.write("%s:%d\r\n" % (s, n))

corpus = [(sha1(pw), n) for pw, n in breached.items()]
corpus += [(rand_hex(40), rng.randint(1, 100000)) for _ in range(600)]
corpus.sort()
with open("pwned-sha1-ordered.txt", "w", newline="") as f:
    for h, n in corpus:
        f.write("%s:%d\r\n" % (h, n))
