#!/usr/bin/python3
"""Checks a nat64d.conf written by scripts/tayga2nat64d against expected values.

Reads the file on its own (sections, "key = value", quote-aware '#' comments,
lists, repeated list keys accumulating), sharing no code with the converter,
so a converter bug cannot hide in a shared helper.

  expect.py CONF [CHECK...]
    KEY=VALUE            scalar, e.g. nat64.prefix=64:ff9b::/96
    KEY=[A|B|C]          list, compared as a set; KEY=[] for an empty or absent list
    --unmapped FILE:LINE[xN],...   exactly these "# unmapped FILE:LINE:" comments
                         (N of them for LINEsN, one otherwise) and none other for FILE
    --no-key-directives TAYGA_CONF   every line of TAYGA_CONF whose directive has no
                         nat64d key has exactly one "# unmapped" comment
    --no-fill            no placeholder ("FILL IN") is left
Prints what differs and exits 1, or exits 0.
"""
import re
import sys
from collections import Counter

# tayga.conf(5) directives that nat64d has no configuration key for.
NO_KEY = {"tun-device", "ipv4-addr", "ipv6-addr", "dynamic-pool", "data-dir", "strict-frag-hdr",
          "udp-cksum-mode", "log", "map-file", "tun-up", "tun-ip", "tun-route"}


def strip_comment(line):
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            return line[:i]
    return line


def read_conf(path):
    scalars, lists, section = {}, {}, None
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for raw in text.splitlines():
        s = strip_comment(raw).strip()
        if not s:
            continue
        m = re.fullmatch(r"\[(\w+)\]", s)
        if m:
            section = m.group(1)
            continue
        key, _, value = s.partition("=")
        key, value = f"{section}.{key.strip()}", value.strip()
        if value.startswith("["):
            items = re.findall(r'"([^"]*)"', value)
            lists.setdefault(key, []).extend(items)
        else:
            scalars[key] = value.strip('"')
    return text, scalars, lists


def main(argv):
    path, checks = argv[0], argv[1:]
    text, scalars, lists = read_conf(path)
    comments = Counter()
    for m in re.finditer(r"^# unmapped (\S+?):(\d+): ", text, re.M):
        comments[(m.group(1), int(m.group(2)))] += 1
    errors = []
    i = 0
    while i < len(checks):
        c = checks[i]
        if c == "--no-fill":
            if "FILL IN" in text:
                errors.append("a placeholder (FILL IN) is left")
        elif c == "--unmapped":
            i += 1
            want = Counter()
            files = set()
            for item in checks[i].split(","):
                m = re.fullmatch(r"(\S+):(\d+)(?:x(\d+))?", item)
                want[(m.group(1), int(m.group(2)))] = int(m.group(3) or 1)
                files.add(m.group(1))
            got = Counter({k: v for k, v in comments.items() if k[0] in files})
            if got != want:
                errors.append(f"unmapped comments: want {sorted(want.items())}, got {sorted(got.items())}")
        elif c == "--no-key-directives":
            i += 1
            name = checks[i].rsplit("/", 1)[-1]
            with open(checks[i], encoding="utf-8") as f:
                for n, raw in enumerate(f.read().splitlines(), 1):
                    words = raw.split("#", 1)[0].split()
                    if words and words[0].lower() in NO_KEY and comments[(name, n)] != 1:
                        errors.append(f"{name}:{n} ({words[0]}): {comments[(name, n)]} unmapped comments, want 1")
        else:
            key, _, value = c.partition("=")
            if value.startswith("["):
                want = sorted(v for v in value.strip("[]").split("|") if v)
                got = sorted(lists.get(key, []))
                if got != want:
                    errors.append(f"{key}: want {want}, got {got}")
            elif scalars.get(key) != value:
                errors.append(f"{key}: want {value!r}, got {scalars.get(key)!r}")
        i += 1
    for e in errors:
        print(f"{path}: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
