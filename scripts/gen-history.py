#!/usr/bin/env python3
"""Generates a git repository with a long synthetic history for benchmarks.

    scripts/gen-history.py DIR COMMITS

Builds DIR (a new repository) through `git fast-import`: a tree of 2,000
text files in 40 directories; each commit rewrites 1 to 3 files with new
random-looking lines; every 1,000th commit adds a fake AWS key id (made
here from a seeded generator, never a real key) and a later commit removes
it. Seeded, so the same arguments build the same repository.
"""

import random
import subprocess
import sys

FILES = 2000
DIRS = 40
UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
WORDS = "alpha beta gamma delta config handler request response value index cache token_count retry".split()


def line(rng):
    return " ".join(rng.choice(WORDS) for _ in range(8)) + f" = {rng.randrange(10**9)}\n"


def body(rng, n):
    return "".join(line(rng) for _ in range(n))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    target, commits = sys.argv[1], int(sys.argv[2])
    rng = random.Random(commits)
    subprocess.run(["git", "init", "-q", "-b", "main", target], check=True)
    importer = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=target, stdin=subprocess.PIPE)
    out = importer.stdin
    contents = {f"d{i % DIRS}/f{i}.txt": body(rng, 30) for i in range(FILES)}
    when = 1_600_000_000
    planted = {}
    for n in range(commits):
        changes = {}
        if n == 0:
            changes = dict(contents)
        else:
            for _ in range(rng.randint(1, 3)):
                path = f"d{rng.randrange(DIRS)}/f{rng.randrange(FILES)}.txt"
                changes[path] = body(rng, 30)
        if n % 1000 == 500:
            path = f"d{rng.randrange(DIRS)}/secret{n}.env"
            key = "AKIA" + "".join(rng.choice(UPPER32) for _ in range(16))
            changes[path] = f"AWS_ACCESS_KEY_ID={key}\n"
            planted[n + 300] = path
        removed = planted.pop(n, None)
        data = "".join(
            f"M 100644 inline {p}\ndata {len(c.encode())}\n{c}\n" for p, c in sorted(changes.items())
        )
        if removed:
            data += f"D {removed}\n"
        msg = f"change {n}\n"
        out.write(
            (
                f"commit refs/heads/main\n"
                f"committer Bench <bench@example.org> {when + n * 60} +0000\n"
                f"data {len(msg)}\n{msg}"
                f"{data}\n"
            ).encode()
        )
    out.close()
    if importer.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(["git", "-C", target, "repack", "-a", "-d", "-q"], check=True)


if __name__ == "__main__":
    main()
