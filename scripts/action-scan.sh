#!/usr/bin/env bash
# The scan of keyward's GitHub Action (action.yml): chooses what to scan
# from the event, runs keyward, and exits with keyward's code (0 clean,
# 1 findings, 2 error). Reads only environment variables, so a test runs it
# as the action does:
#
#   GITHUB_EVENT_NAME      pull_request(_target), push, or anything else
#   KEYWARD_BASE           pull request: its base sha; push: the sha before the push
#   KEYWARD_HEAD           pull request: its head sha; push: the pushed sha
#   KEYWARD_DEFAULT_BRANCH the repository's default branch (a new branch's base)
#   GITHUB_REF             the pushed ref (refs/heads/NAME)
#   KEYWARD_BIN            the keyward binary [default: keyward on PATH]
#   KEYWARD_FORMAT         report format [default: sarif]
#   KEYWARD_OUTPUT         report file [default: standard output]
#   KEYWARD_BASELINE, KEYWARD_CONFIG   --baseline, --config when set
#   KEYWARD_ARGS           extra arguments, split on whitespace (no quoting)
#
# What is scanned, in the repository of the current directory:
#   pull request  the lines added by the commits it adds: BASE..HEAD
#   push          the lines added by the pushed commits: BEFORE..HEAD; for a
#                 new branch (BEFORE all zeros) or a BEFORE the clone lacks
#                 (a force push), the commits not on origin/DEFAULT_BRANCH,
#                 or HEAD's whole history when there is no such branch or
#                 it is the branch pushed
#   other events  (schedule, workflow_dispatch) a full audit of every ref
# Both ends must be in the clone: check out with fetch-depth: 0.
set -euo pipefail

bin=${KEYWARD_BIN:-keyward}
event=${GITHUB_EVENT_NAME:-}
base=${KEYWARD_BASE:-}
head=${KEYWARD_HEAD:-}
default_branch=${KEYWARD_DEFAULT_BRANCH:-}

is_zero() { [[ $1 =~ ^0+$ ]]; }
has_commit() { git rev-parse --quiet --verify "$1^{commit}" >/dev/null; }
note() { echo "keyward-action: $*" >&2; }

# Where a branch pushed without a known BEFORE starts: what the default
# branch does not already hold, else everything HEAD reaches.
new_branch_target() {
    local upstream="refs/remotes/origin/$default_branch"
    if [[ -n $default_branch && ${GITHUB_REF:-} != "refs/heads/$default_branch" ]] &&
        has_commit "$upstream"; then
        note "scanning the commits of $head not on origin/$default_branch"
        target=(--range "$upstream..$head")
    else
        note "scanning the whole history of $head"
        target=(--branch "$head")
    fi
}

case $event in
pull_request | pull_request_target)
    if [[ -z $base || -z $head ]]; then
        note "error: KEYWARD_BASE and KEYWARD_HEAD must name the pull request's base and head"
        exit 2
    fi
    for sha in "$base" "$head"; do
        if ! has_commit "$sha"; then
            note "error: commit $sha is not in the clone: check out with fetch-depth: 0"
            exit 2
        fi
    done
    note "scanning the commits the pull request adds: $base..$head"
    target=(--range "$base..$head")
    ;;
push)
    if [[ -z $head ]]; then
        note "error: KEYWARD_HEAD must name the pushed commit"
        exit 2
    fi
    if is_zero "$head"; then
        note "a deleted ref: nothing to scan"
        exit 0
    fi
    if [[ -z $base ]] || is_zero "$base"; then
        new_branch_target
    elif ! has_commit "$base"; then
        note "warning: $base (before the push) is not in the clone, a force push or a shallow clone"
        new_branch_target
    else
        note "scanning the pushed commits: $base..$head"
        target=(--range "$base..$head")
    fi
    ;;
*)
    note "event '${event:-none}': auditing the history of every ref"
    target=()
    ;;
esac

args=(git ${target[@]+"${target[@]}"} --format "${KEYWARD_FORMAT:-sarif}")
if [[ -n ${KEYWARD_OUTPUT:-} ]]; then
    args+=(--output "$KEYWARD_OUTPUT")
fi
if [[ -n ${KEYWARD_BASELINE:-} ]]; then
    args+=(--baseline "$KEYWARD_BASELINE")
fi
if [[ -n ${KEYWARD_CONFIG:-} ]]; then
    args+=(--config "$KEYWARD_CONFIG")
fi
if [[ -n ${KEYWARD_ARGS:-} ]]; then
    read -r -a extra <<<"$KEYWARD_ARGS"
    args+=("${extra[@]}")
fi

code=0
"$bin" "${args[@]}" || code=$?
exit "$code"
