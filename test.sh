#!/usr/bin/env bash
# Installs what the tests need when it is missing (the real nginx is the oracle of the differential
# tests; promtool, keepalived and docker-compose check deploy/), then builds and runs every test.
# Safe to run again; installs nothing that is already there.
set -euo pipefail
cd "$(dirname "$0")"

packages=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || packages+=(nginx)
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || packages+=(redis-server)
command -v curl >/dev/null 2>&1 || packages+=(curl)
command -v wrk >/dev/null 2>&1 || packages+=(wrk)
# deploy/ is checked with the real tools (test/Deploy.Tests): promtool and prometheus, keepalived -t, docker-compose config.
command -v promtool >/dev/null 2>&1 || packages+=(prometheus)
command -v keepalived >/dev/null 2>&1 || [ -x /usr/sbin/keepalived ] || packages+=(keepalived)
command -v docker-compose >/dev/null 2>&1 || packages+=(docker-compose)
# check_sluice.sh and the tests use pgrep and kill (procps).
command -v pgrep >/dev/null 2>&1 || packages+=(procps)

if ((${#packages[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "test.sh: installing ${packages[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    # The Debian packages may start a system nginx/redis/prometheus/keepalived; the tests use their own on
    # other ports (Prometheus on a free loopback port) and only run keepalived -t, so those do not matter.
fi

export PATH="$PATH:/usr/sbin:/sbin"
dotnet test Sluice.slnx -c Release --logger "console;verbosity=minimal" "$@"
