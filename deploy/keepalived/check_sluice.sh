#!/bin/sh
# keepalived's vrrp_script for Sluice (the guide's check_nginx.sh, section 8.3). Install as
# /usr/local/bin/check_sluice.sh (root-owned, 0755). Exit 0 = healthy, 1 = take the VIP away.
#
#  1. Sluice is running: the process named in $SLUICE_PIDFILE exists and is called $SLUICE_PROCESS_NAME,
#     or, without a pid file, `pgrep -x $SLUICE_PROCESS_NAME` finds one;
#  2. Sluice answers: GET $SLUICE_HEALTH_URL returns 2xx within $SLUICE_HEALTH_TIMEOUT seconds.
#
# Environment (all optional):
#   SLUICE_PROCESS_NAME   process name (default: sluice)
#   SLUICE_PIDFILE        pid file to check instead of pgrep (e.g. /run/sluice/sluice.pid)
#   SLUICE_HEALTH_URL     default: http://localhost/nginx-health
#   SLUICE_HEALTH_TIMEOUT default: 2

name="${SLUICE_PROCESS_NAME:-sluice}"
url="${SLUICE_HEALTH_URL:-http://localhost/nginx-health}"
timeout="${SLUICE_HEALTH_TIMEOUT:-2}"

# Check that Sluice is running
if [ -n "${SLUICE_PIDFILE:-}" ]; then
    [ -r "$SLUICE_PIDFILE" ] || exit 1
    pid=$(tr -d ' \n' < "$SLUICE_PIDFILE")
    case "$pid" in
        ''|*[!0-9]*) exit 1 ;;
    esac
    # /proc rather than kill -0: works when keepalived runs the script as another user.
    [ -r "/proc/$pid/comm" ] || exit 1
    [ "$(cat "/proc/$pid/comm")" = "$name" ] || exit 1
elif ! pgrep -x "$name" > /dev/null; then
    exit 1
fi

# Check that Sluice is responding
if ! curl -sf -o /dev/null --max-time "$timeout" "$url"; then
    exit 1
fi

exit 0
