#!/usr/bin/env bash
# Runs the real nginx ("nginx -t -q") on every file of this corpus and prints
# one line per file:
#
#   valid|invalid  FILE  EXIT_CODE  MESSAGES
#
# MESSAGES are nginx's [emerg]/[warn]/... lines with the "YYYY/MM/DD HH:MM:SS"
# timestamp and the "pid#tid: " prefix stripped, the temporary prefix
# directory replaced by the literal word PREFIX, and several lines joined with
# " | ". The "nginx: configuration file ... test failed" trailer is dropped.
#
# Layout of the temporary prefix (see README.md):
#   PREFIX/conf/*.conf        valid/*.conf and invalid/*.conf, side by side
#   PREFIX/conf/<dir>/        every other sub-folder of the corpus (include targets)
#   PREFIX/conf/mime.types    copy of /etc/nginx/mime.types
#   PREFIX/conf/ssl/          fullchain.pem, privkey.pem, chain.pem (self-signed, fresh)
#   PREFIX/logs/, PREFIX/cache/
#
# Usage: run-nginx.sh [FILE.conf ...]   (default: every file in valid/ and invalid/)
# Environment: NGINX (default "nginx"), MIME_TYPES (default /etc/nginx/mime.types).
set -euo pipefail

corpus=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
nginx_bin=${NGINX:-nginx}
mime_types=${MIME_TYPES:-/etc/nginx/mime.types}

prefix=$(mktemp -d "${TMPDIR:-/tmp}/sluice-corpus.XXXXXX")
trap 'rm -rf "$prefix"' EXIT

mkdir -p "$prefix/conf/ssl" "$prefix/logs" "$prefix/cache"

# Test files go flat into conf/ so that relative paths (include, ssl/...)
# resolve against conf/, exactly as for "nginx -c PREFIX/conf/FILE.conf".
for kind in valid invalid; do
    for f in "$corpus/$kind"/*.conf; do
        name=$(basename "$f")
        if [[ -e "$prefix/conf/$name" ]]; then
            echo "run-nginx.sh: duplicate file name $name in valid/ and invalid/" >&2
            exit 2
        fi
        cp "$f" "$prefix/conf/$name"
    done
done
# Include targets (conf.d/, snippets/, broken/, ...) keep their folder.
for d in "$corpus"/*/; do
    d=${d%/}
    case $(basename "$d") in
        valid|invalid) ;;
        *) cp -R "$d" "$prefix/conf/" ;;
    esac
done
cp "$mime_types" "$prefix/conf/mime.types"

openssl req -x509 -nodes -days 1 -newkey rsa:2048 \
    -keyout "$prefix/conf/ssl/privkey.pem" \
    -out "$prefix/conf/ssl/fullchain.pem" \
    -subj /CN=localhost >/dev/null 2>&1
cp "$prefix/conf/ssl/fullchain.pem" "$prefix/conf/ssl/chain.pem"

run_one() {
    local kind=$1 name=$2 out rc msgs
    if out=$("$nginx_bin" -t -q -p "$prefix/" -c "$prefix/conf/$name" 2>&1); then
        rc=0
    else
        rc=$?
    fi
    msgs=$(printf '%s\n' "$out" \
        | grep -E '\[(emerg|alert|crit|error|warn|notice|info)\]' \
        | sed -E 's#^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} (\[[a-z]+\]) [0-9]+\#[0-9]+: #\1 #' \
        | sed -e "s#$prefix#PREFIX#g" \
        | awk 'NR > 1 { printf " | " } { printf "%s", $0 }' || true)
    printf '%-7s  %-45s  %s  %s\n' "$kind" "$name" "$rc" "$msgs"
}

if (($# > 0)); then
    for arg in "$@"; do
        name=$(basename "$arg")
        if [[ -e "$corpus/valid/$name" ]]; then kind=valid; else kind=invalid; fi
        run_one "$kind" "$name"
    done
else
    for kind in valid invalid; do
        for f in "$corpus/$kind"/*.conf; do
            run_one "$kind" "$(basename "$f")"
        done
    done
fi
