#!/usr/bin/env python3
"""Sluice against nginx and HAProxy: same backends, same load generators, alternating rounds.

Started by bench/run (which installs the tools and builds Release). Everything listens on 127.0.0.1,
on ports picked free at start; every server started here is stopped here (and bench/run's trap kills
the process groups recorded in WORK/pgids should this script die). See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SLUICE_DLL = REPO / "src/Sluice.Cli/bin/Release/net10.0/sluice.dll"
SSEBENCH_DLL = BENCH / "SseBench/bin/Release/net10.0/SseBench.dll"
WRK_SCRIPT = BENCH / "wrk/report.lua"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PROXIES = ("sluice", "nginx", "haproxy")
SMALL_BODY = "hello world\n"
LARGE_BYTES = 64 * 1024

# The guide's access log format (bench/README.md); HAProxy's equivalent is in haproxy_config().
LOG_FORMAT_MAIN = """log_format main '$remote_addr - [$time_local] "$request" '
                    '$status $body_bytes_sent '
                    'rt=$request_time urt=$upstream_response_time '
                    'upstream=$upstream_addr';"""


# ---------------------------------------------------------------------------------------------------
# Scenarios


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str  # wrk | h2load | sse
    description: str
    path: str = "/"
    connections: int = 50
    close: bool = False
    direct: bool = False  # straight to a backend: no proxy, the machine's ceiling

    @property
    def logs(self) -> tuple[str, ...]:
        return ("off",) if self.direct or self.kind == "sse" else ("off", "on")


SCENARIOS = [
    Scenario("direct-small", "wrk", "no proxy: wrk to one backend, keep-alive, 50 connections, 12-byte body", direct=True),
    Scenario("direct-64k", "wrk", "no proxy: wrk to one backend, keep-alive, 50 connections, 64 KiB body", "/64k", direct=True),
    Scenario("h1-small-c50", "wrk", "HTTP/1.1 keep-alive, 50 connections, 12-byte body"),
    Scenario("h1-small-c256", "wrk", "HTTP/1.1 keep-alive, 256 connections, 12-byte body", connections=256),
    Scenario("h1-64k-c50", "wrk", "HTTP/1.1 keep-alive, 50 connections, 64 KiB body", "/64k"),
    Scenario("h1-64k-c256", "wrk", "HTTP/1.1 keep-alive, 256 connections, 64 KiB body", "/64k", connections=256),
    Scenario("h1-close-c50", "wrk", "a new connection per request (Connection: close), 50 clients, 12-byte body", close=True),
    Scenario("h2-tls-c50", "h2load", "HTTP/2 over TLS, 50 connections x 10 streams, 12-byte body"),
    Scenario("sse", "sse", "N concurrent SSE streams held T s, one event per second per stream"),
]
BY_NAME = {s.name: s for s in SCENARIOS}


@dataclass
class Settings:
    rounds: int
    duration: float
    warmup: float
    sse_streams: int
    sse_seconds: float
    sse_interval_ms: int
    proxies: list[str]
    scenarios: list[Scenario]
    logs: list[str]
    quick: bool


# ---------------------------------------------------------------------------------------------------
# Processes: every one started here is in its own process group, recorded for bench/run's trap.


class Processes:
    def __init__(self, work: Path):
        self.work = work
        self.running: list[subprocess.Popen] = []
        self.pgid_file = work / "pgids"

    def start(self, argv: list[str], log_name: str, cwd: Path | None = None) -> subprocess.Popen:
        out = open(self.work / f"{log_name}.out", "ab")
        err = open(self.work / f"{log_name}.err", "ab")
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, start_new_session=True)
        out.close()
        err.close()
        self.running.append(proc)
        self._write_pgids()
        return proc

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if proc.poll() is None:
            try:
                os.kill(proc.pid, sig)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                print(f"  [warn] pid {proc.pid} ignored signal {sig} for {timeout}s: killing its group", file=sys.stderr)
            except ProcessLookupError:
                pass
        # Whatever is left of the group (nginx workers whose master was killed): end it.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if proc in self.running:
            self.running.remove(proc)
        self._write_pgids()

    def stop_all(self) -> None:
        for proc in list(reversed(self.running)):
            self.stop(proc, timeout=5)

    def _write_pgids(self) -> None:
        self.pgid_file.write_text("".join(f"{p.pid}\n" for p in self.running))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, what: str, work: Path, log_name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {port}:\n{tail(work, log_name)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s:\n{tail(work, log_name)}")


def tail(work: Path, log_name: str, lines: int = 20) -> str:
    text = ""
    for suffix in (".err", ".out"):
        path = work / f"{log_name}{suffix}"
        if path.exists():
            text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return text


def http_get(port: int, path: str) -> tuple[int, bytes]:
    """One plain HTTP/1.1 request: checks that a proxy really reaches the backends before measuring."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, body


# ---------------------------------------------------------------------------------------------------
# /proc: CPU time and memory of a proxy's processes


def process_tree(pid: int) -> list[int]:
    """The process and its children (nginx: master and workers)."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int(stat_fields(int(entry.name))[1]) == pid:
                        pids.append(int(entry.name))
                except OSError:
                    pass
    return pids


def stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat from field 3 (state) on: the command name may contain spaces and parentheses."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text.rsplit(")", 1)[1].split()


def cpu_ticks(pids: list[int]) -> int:
    """utime + stime of every thread of these processes, in clock ticks."""
    total = 0
    for pid in pids:
        try:
            fields = stat_fields(pid)
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total


def status_kib(pids: list[int], key: str) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


# ---------------------------------------------------------------------------------------------------
# Configurations


@dataclass
class Environment:
    work: Path
    nofile: int
    backend_ports: list[int]
    sse_ports: list[int]
    cert: Path
    key: Path
    combined_pem: Path
    sluice_dll: Path


def nginx_style_config(env: Environment, prefix: Path, port: int, log: str, tls: bool, for_nginx: bool) -> str:
    """The proxy configuration nginx and Sluice both run: the same text (Sluice reads nginx.conf)."""
    worker_connections = max(1024, min(16384, env.nofile - 1000))
    upstream = "\n".join(f"        server 127.0.0.1:{p};" for p in env.backend_ports)
    sse_upstream = "\n".join(f"        server 127.0.0.1:{p};" for p in env.sse_ports)
    access = f"access_log {prefix}/logs/access.log main;" if log == "on" else "access_log off;"
    listen = f"listen 127.0.0.1:{port} ssl http2;" if tls else f"listen 127.0.0.1:{port};"
    ssl = f"ssl_certificate {env.cert};\n        ssl_certificate_key {env.key};" if tls else ""
    # nginx's compiled-in temp paths are under /var/lib/nginx; a non-root nginx cannot create them there.
    # Sluice does not know these three directives (it has no fastcgi/uwsgi/scgi), so only nginx gets them.
    nginx_only = ""
    if for_nginx and os.geteuid() != 0:
        nginx_only = "\n".join(f"    {d}_temp_path {prefix}/tmp/{d};" for d in ("fastcgi", "uwsgi", "scgi"))
    return f"""# generated by bench/bench.py
worker_processes auto;
worker_rlimit_nofile {env.nofile};
error_log {prefix}/logs/error.log warn;
pid {prefix}/run/proxy.pid;

events {{
    worker_connections {worker_connections};
}}

http {{
    # A client connection is never ended for its request count (nginx's default is 1,000 per connection, and
    # h2load counts each GOAWAY as errors); HAProxy has no such limit.
    keepalive_requests 10000000;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
{nginx_only}
    {LOG_FORMAT_MAIN}
    {access}

    upstream backend {{
        least_conn;
{upstream}
        keepalive 32;
    }}

    upstream sse_backend {{
        least_conn;
{sse_upstream}
        keepalive 32;
    }}

    server {{
        {listen}
        {ssl}

        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}

        # The guide's SSE location (section 10.2's production template; its "limit_req zone=api burst=10" is left
        # out: the benchmark measures streaming, and 5,000 streams from one address would be rate limited).
        location /stream {{
            proxy_pass http://sse_backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_cache off;
            proxy_set_header X-Accel-Buffering no;
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


def haproxy_config(env: Environment, port: int, log: str, tls: bool) -> str:
    maxconn = max(1000, (env.nofile - 200) // 2)
    servers = "\n".join(f"    server s{i + 1} 127.0.0.1:{p}" for i, p in enumerate(env.backend_ports))
    sse_servers = "\n".join(f"    server s{i + 1} 127.0.0.1:{p}" for i, p in enumerate(env.sse_ports))
    bind = f"bind 127.0.0.1:{port} ssl crt {env.combined_pem} alpn h2,http/1.1" if tls else f"bind 127.0.0.1:{port}"
    # HAProxy writes no files: "log stdout" goes to its standard output, which bench.py sends to access.log.
    # The format is the guide's "main": client, local time, request line, status, body bytes, total time,
    # the server's response time (ms where nginx prints seconds) and the server's address.
    logging = ""
    if log == "on":
        logging = """    log stdout format raw local0
"""
    log_format = (
        '    log global\n    log-format "%ci - [%tr] \\"%r\\" %ST %B rt=%Ta urt=%Tr upstream=%si:%sp"\n'
        if log == "on" else ""
    )
    return f"""# generated by bench/bench.py
global
    maxconn {maxconn}
{logging}
defaults
    mode http
    timeout connect 5s
    timeout client 75s
    timeout server 300s
    timeout http-keep-alive 75s
    option http-keep-alive
    http-reuse always
{log_format}
frontend fe
    {bind}
    use_backend sse if {{ path_beg /stream }}
    default_backend be

backend be
    balance leastconn
{servers}

backend sse
    balance leastconn
    # The SSE location's "proxy_buffering off": without it HAProxy sets MSG_MORE on small writes and the
    # kernel holds each event for ~200 ms (Nagle); nginx and Sluice write with TCP_NODELAY.
    option http-no-delay
{sse_servers}
"""


def backend_config(prefix: Path, ports: list[int], nofile: int) -> str:
    listens = "\n".join(f"        listen 127.0.0.1:{p};" for p in ports)
    temp = "\n".join(f"    {d}_temp_path {prefix}/tmp/{d};" for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""# generated by bench/bench.py: the three backends (one nginx worker, three ports)
worker_processes 1;
worker_rlimit_nofile {nofile};
error_log {prefix}/logs/error.log warn;
pid {prefix}/run/backend.pid;

events {{
    worker_connections {max(1024, min(16384, nofile - 1000))};
}}

http {{
{temp}
    access_log off;
    default_type text/plain;
    sendfile on;
    # The proxies' upstream connections stay open: the backend never ends them first.
    keepalive_requests 10000000;
    keepalive_timeout 300s;

    server {{
{listens}
        root {prefix}/www;
        location / {{
            return 200 "{SMALL_BODY.strip()}\\n";
        }}
        location = /64k {{
            default_type application/octet-stream;
        }}
    }}
}}
"""


def make_prefix(work: Path, name: str) -> Path:
    prefix = work / name
    if prefix.exists():
        shutil.rmtree(prefix)
    for sub in ("logs", "run", "tmp", "conf"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    return prefix


# ---------------------------------------------------------------------------------------------------
# Running one proxy for one scenario


@dataclass
class Running:
    name: str
    proc: subprocess.Popen
    port: int
    prefix: Path

    def pids(self) -> list[int]:
        return process_tree(self.proc.pid)


def start_proxy(procs: Processes, env: Environment, proxy: str, log: str, tls: bool, tag: str) -> Running:
    port = free_port()
    prefix = make_prefix(env.work, f"{tag}")
    log_name = f"{tag}/proxy"
    if proxy in ("sluice", "nginx"):
        conf = prefix / "conf/nginx.conf"
        conf.write_text(nginx_style_config(env, prefix, port, log, tls, for_nginx=proxy == "nginx"))
        if proxy == "sluice":
            argv = ["dotnet", str(env.sluice_dll), "-p", f"{prefix}/", "-c", str(conf)]
        else:
            argv = [nginx_binary(), "-p", f"{prefix}/", "-c", str(conf), "-g", "daemon off;"]
        proc = procs.start(argv, log_name)
    else:
        conf = prefix / "conf/haproxy.cfg"
        conf.write_text(haproxy_config(env, port, log, tls))
        # -db: foreground, no master-worker: one process whose threads (one per CPU) do everything.
        # Its standard output is the access log when logging is on.
        out = open(prefix / "logs/access.log", "ab")
        err = open(env.work / f"{log_name}.err", "ab")
        proc = subprocess.Popen([haproxy_binary(), "-db", "-f", str(conf)], stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        err.close()
        procs.running.append(proc)
        procs._write_pgids()
    wait_for_port(port, proc, proxy, env.work, log_name)
    return Running(proxy, proc, port, prefix)


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def haproxy_binary() -> str:
    return shutil.which("haproxy") or "/usr/sbin/haproxy"


def sluice_supports_tls(env: Environment) -> tuple[bool, str]:
    """`sluice -t` on the TLS configuration: Sluice refuses what it does not implement, naming it."""
    prefix = make_prefix(env.work, "tls-check")
    conf = prefix / "conf/nginx.conf"
    conf.write_text(nginx_style_config(env, prefix, free_port(), "off", tls=True, for_nginx=False))
    result = subprocess.run(["dotnet", str(env.sluice_dll), "-t", "-p", f"{prefix}/", "-c", str(conf)],
                            capture_output=True, text=True, timeout=60)
    if result.returncode == 0:
        return True, ""
    lines = [line for line in (result.stderr + result.stdout).splitlines() if "[emerg]" in line]
    reason = "; ".join(re.sub(r"^.*\[emerg\] \S+ ", "", line).replace(str(conf), "nginx.conf") for line in lines[:2])
    return False, reason or (result.stderr.strip().splitlines() or ["sluice -t failed"])[-1]


def run_wrk(port: int, scenario: Scenario, seconds: float, connections: int) -> dict:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s", "--latency",
            "-s", str(WRK_SCRIPT)]
    if scenario.close:
        argv += ["-H", "Connection: close"]
    argv.append(f"http://127.0.0.1:{port}{scenario.path}")
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    for line in result.stdout.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line[8:])
            e = data["errors"]
            errors = e["connect"] + e["read"] + e["write"] + e["status"] + e["timeout"]
            lat = data["latency_us"]
            return {
                "requests": data["requests"],
                "rps": data["requests"] / (data["duration_us"] / 1e6),
                "p50_ms": lat["p50"] / 1000, "p99_ms": lat["p99"] / 1000, "p999_ms": lat["p999"] / 1000,
                "errors": errors, "error_detail": e,
            }
    raise RuntimeError(f"wrk printed no result (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")


def run_h2load(port: int, scenario: Scenario, seconds: float, log_file: Path | None) -> dict:
    argv = ["h2load", "-t2", f"-c{scenario.connections}", "-m10", "-D", str(max(1, round(seconds)))]
    if log_file is not None:
        argv.append(f"--log-file={log_file}")
    argv.append(f"https://127.0.0.1:{port}{scenario.path}")
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    out = result.stdout
    finished = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", out)
    counts = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", out)
    if not finished or not counts:
        raise RuntimeError(f"h2load printed no result (exit {result.returncode}):\n{out}\n{result.stderr}")
    done, succeeded = int(counts.group(3)), int(counts.group(4))
    stats = {"requests": done, "rps": float(finished.group(3)), "errors": done - succeeded + int(counts.group(6)) + int(counts.group(7))}
    if log_file is not None and log_file.exists():
        latencies = sorted(int(line.split("\t")[2]) for line in log_file.read_text().splitlines() if line.count("\t") >= 2)
        stats |= {f"{k}_ms": percentile(latencies, p) / 1000 for k, p in (("p50", 50), ("p99", 99), ("p999", 99.9))}
        log_file.unlink()
    return stats


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))  # nearest rank
    return sorted_values[int(min(rank, len(sorted_values))) - 1]


def measure_requests(target_pids, port: int, scenario: Scenario, settings: Settings, work: Path) -> dict:
    """Warm up, then one measured run; CPU is counted over the measured run only."""
    if scenario.kind == "wrk":
        run_wrk(port, scenario, settings.warmup, scenario.connections)
    else:
        run_h2load(port, scenario, settings.warmup, None)
    pids = target_pids()
    before = cpu_ticks(pids)
    if scenario.kind == "wrk":
        stats = run_wrk(port, scenario, settings.duration, scenario.connections)
    else:
        stats = run_h2load(port, scenario, settings.duration, work / "h2load.log")
    pids = target_pids()
    ticks = cpu_ticks(pids) - before
    stats["cpu_us_per_req"] = ticks * 1e6 / CLK_TCK / stats["requests"] if stats["requests"] else float("nan")
    stats["peak_rss_mib"] = status_kib(pids, "VmHWM") / 1024
    stats["processes"] = len(pids)
    return stats


def measure_sse(procs: Processes, env: Environment, running: Running, settings: Settings, tag: str) -> dict:
    url = f"http://127.0.0.1:{running.port}/stream"
    client = ["dotnet", str(SSEBENCH_DLL), "client", "--url", url]
    # Warm-up: up to 100 streams for at least 3 s, so that first-use costs (JIT, pools) are in the idle figure,
    # not per stream, and Sluice's stream path has reached tier 1 (with 20 streams for 1 s it was still being
    # recompiled during the first seconds of the hold, at ~0.2 core).
    warm_streams, warm_seconds = min(100, settings.sse_streams), max(3.0, settings.warmup)
    warm = subprocess.run(client + ["--streams", str(warm_streams), "--seconds", str(warm_seconds), "--ramp-seconds", "10"],
                          capture_output=True, text=True, timeout=warm_seconds + 60)
    if "RESULT " not in warm.stdout:
        raise RuntimeError(f"SSE warm-up through {running.name} failed:\n{warm.stdout}\n{warm.stderr}")
    time.sleep(1.0)
    pids = running.pids()
    idle_kib = status_kib(pids, "VmRSS")
    ramp = max(10.0, settings.sse_streams / 200)
    client_err = open(env.work / f"{tag}-sse-client.err", "w")
    proc = subprocess.Popen(client + ["--streams", str(settings.sse_streams), "--seconds", str(settings.sse_seconds),
                                      "--ramp-seconds", str(ramp)],
                            stdout=subprocess.PIPE, stderr=client_err, text=True, start_new_session=True)
    client_err.close()
    procs.running.append(proc)
    procs._write_pgids()
    try:
        ready = proc.stdout.readline()
        if not ready.startswith("READY"):
            raise RuntimeError(f"SSE client through {running.name}: {ready}{tail(env.work, tag + '-sse-client')}")
        cpu_ready = cpu_ticks(pids)
        samples = []
        closing = ""
        # Sample RSS every 0.5 s until the client says CLOSING (it writes nothing else meanwhile).
        deadline = time.monotonic() + settings.sse_seconds + 60
        while time.monotonic() < deadline and proc.poll() is None:
            samples.append(status_kib(running.pids(), "VmRSS"))
            readable, _, _ = select.select([proc.stdout], [], [], 0.5)
            if readable:
                closing = proc.stdout.readline()
                break
        cpu_closing = cpu_ticks(running.pids())
        if not closing.startswith("CLOSING"):
            raise RuntimeError(f"SSE client through {running.name} did not finish its hold: {closing}{tail(env.work, tag + '-sse-client')}")
        result_line = ""
        for line in proc.stdout:
            if line.startswith("RESULT "):
                result_line = line
        proc.wait(timeout=60)
        time.sleep(0.5)  # the proxy finishes closing the upstream side
        cpu_closed = cpu_ticks(running.pids())
    finally:
        procs.stop(proc, timeout=5)
    if not result_line:
        raise RuntimeError(f"SSE client through {running.name} printed no result: {tail(env.work, tag + '-sse-client')}")
    data = json.loads(result_line[7:])
    during_kib = max(samples) if samples else idle_kib
    opened = max(1, data["opened"])
    data |= {
        "rss_idle_mib": idle_kib / 1024,
        "rss_during_mib": during_kib / 1024,
        "kib_per_stream": (during_kib - idle_kib) / opened,
        "cpu_us_per_event": (cpu_closing - cpu_ready) * 1e6 / CLK_TCK / data["latency_samples"] if data["latency_samples"] else float("nan"),
        "cpu_us_per_close": (cpu_closed - cpu_closing) * 1e6 / CLK_TCK / opened,
        "peak_rss_mib": status_kib(running.pids(), "VmHWM") / 1024,
        "ready": ready.strip(),
    }
    return data


# ---------------------------------------------------------------------------------------------------
# The report


FIGURES_HTTP = [
    ("rps", "req/s", "{:,.0f}", "higher"),
    ("p50_ms", "p50 ms", "{:.2f}", "lower"),
    ("p99_ms", "p99 ms", "{:.2f}", "lower"),
    ("p999_ms", "p99.9 ms", "{:.2f}", "lower"),
    ("cpu_us_per_req", "CPU µs/req", "{:.1f}", "lower"),
    ("peak_rss_mib", "peak RSS MiB", "{:.1f}", "lower"),
    ("errors", "errors", "{:,.0f}", "lower"),
]
FIGURES_SSE = [
    ("opened", "streams open", "{:,.0f}", "higher"),
    ("dropped", "dropped streams", "{:,.0f}", "lower"),
    ("latency_samples", "events during the hold", "{:,.0f}", "higher"),
    ("lost", "lost events", "{:,.0f}", "lower"),
    ("reordered", "reordered events", "{:,.0f}", "lower"),
    ("p50_ms", "delivery p50 ms", "{:.2f}", "lower"),
    ("p99_ms", "delivery p99 ms", "{:.2f}", "lower"),
    ("rss_idle_mib", "RSS idle MiB", "{:.1f}", "lower"),
    ("rss_during_mib", "RSS with streams MiB", "{:.1f}", "lower"),
    ("kib_per_stream", "memory KiB/stream", "{:.1f}", "lower"),
    ("cpu_us_per_event", "CPU µs/event", "{:.1f}", "lower"),
    ("cpu_us_per_close", "CPU µs/stream closed", "{:.1f}", "lower"),
]


def median(values: list[float]) -> float:
    values = [v for v in values if v is not None and v == v]
    return statistics.median(values) if values else float("nan")


def fmt(value: float, spec: str) -> str:
    return "—" if value != value else spec.format(value)


def ratio(a: float, b: float) -> str:
    if a != a or b != b:
        return "—"
    if b == 0:
        return "—" if a == 0 else "∞"
    return f"{a / b:.2f}"


def machine_info() -> list[tuple[str, str]]:
    def first_line(argv: list[str]) -> str:
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            return ((r.stdout + r.stderr).strip().splitlines() or ["?"])[0]
        except (OSError, subprocess.TimeoutExpired):
            return "not installed"

    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    runtimes = subprocess.run(["dotnet", "--list-runtimes"], capture_output=True, text=True).stdout
    netcore = [l.split()[1] for l in runtimes.splitlines() if l.startswith("Microsoft.NETCore.App")]
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return [
        ("CPU", cpu),
        ("cores", f"{os.cpu_count()} (shared by the load generator, the backends and the proxy: nothing is pinned)"),
        ("memory", f"{mem_kib / 1024 / 1024:.1f} GiB"),
        ("kernel", f"{platform.system()} {platform.release()}"),
        (".NET", f"SDK {first_line(['dotnet', '--version'])}, runtime {', '.join(netcore) or '?'}"),
        ("nginx", first_line([nginx_binary(), "-v"])),
        ("haproxy", first_line([haproxy_binary(), "-v"])),
        ("wrk", first_line(["wrk", "-v"])),
        ("h2load", first_line(["h2load", "--version"])),
        ("load average at start", " ".join(Path("/proc/loadavg").read_text().split()[:3])),
    ]


def report(settings: Settings, results: dict, notes: list[str], info: list[tuple[str, str]], command: str,
           started: dt.datetime, elapsed: float) -> str:
    lines = ["# Sluice benchmark", ""]
    lines += [f"- date: {started.strftime('%Y-%m-%d %H:%M:%S %Z').strip()} (took {elapsed / 60:.1f} min)",
              f"- command: `{command}`",
              f"- mode: {'quick' if settings.quick else 'full'}: {settings.rounds} round(s), {settings.duration:g} s per run "
              f"after {settings.warmup:g} s warm-up; SSE {settings.sse_streams} streams held {settings.sse_seconds:g} s",
              f"- load average at end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"]
    lines += [f"- {k}: {v}" for k, v in info]
    lines += ["", "Medians over the rounds. Ratios are Sluice ÷ the other proxy, per figure: for req/s above 1 is "
              "better, for everything else below 1 is better. CPU µs/req is the proxy's own CPU time (all its "
              "processes and threads) over the measured run divided by the requests served; peak RSS is VmHWM "
              "summed over its processes. See bench/README.md.", ""]

    direct = [s for s in settings.scenarios if s.direct]
    if direct:
        lines += ["## Ceiling: wrk straight to a backend (no proxy)", "",
                  "| scenario | req/s | p50 ms | p99 ms | p99.9 ms | backend CPU µs/req |", "|---|---:|---:|---:|---:|---:|"]
        for s in direct:
            runs = results.get((s.name, "off", "direct"), [])
            get = lambda k: median([r[k] for r in runs])  # noqa: E731
            lines.append(f"| {s.name} | {fmt(get('rps'), '{:,.0f}')} | {fmt(get('p50_ms'), '{:.2f}')} | "
                         f"{fmt(get('p99_ms'), '{:.2f}')} | {fmt(get('p999_ms'), '{:.2f}')} | {fmt(get('cpu_us_per_req'), '{:.1f}')} |")
        lines.append("")

    proxied = [s for s in settings.scenarios if not s.direct and s.kind != "sse"]
    proxies = settings.proxies
    others = [p for p in proxies if p != "sluice"] if "sluice" in proxies else []
    columns = proxies + [f"sluice/{p}" for p in others]

    def row(s: Scenario, log: str, key: str, spec: str) -> list[str]:
        values = {p: median([r.get(key) for r in results.get((s.name, log, p), [])]) for p in proxies}
        cells = [fmt(values[p], spec) if results.get((s.name, log, p)) else unmeasured_cell(s, p) for p in proxies]
        return cells + [ratio(values["sluice"], values[p]) for p in others]

    if proxied:
        lines += ["## Requests through each proxy", "",
                  "| scenario | access log | figure | " + " | ".join(columns) + " |",
                  "|---|---|---|" + "---:|" * len(columns)]
        for s in proxied:
            for log in [l for l in s.logs if l in settings.logs]:
                first = True
                for key, label, spec, _ in FIGURES_HTTP:
                    cells = row(s, log, key, spec)
                    if key == "errors" and all(c in ("0", "—") or not c[0].isdigit() for c in cells[:len(proxies)]):
                        continue
                    lines.append(f"| {s.name if first else ''} | {log if first else ''} | {label} | " + " | ".join(cells) + " |")
                    first = False
        lines.append("")

    if any(s.kind == "sse" for s in settings.scenarios):
        s = BY_NAME["sse"]
        lines += [f"## SSE: {settings.sse_streams} streams held {settings.sse_seconds:g} s, one event every "
                  f"{settings.sse_interval_ms} ms per stream", "",
                  "| figure | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
        for key, label, spec, _ in FIGURES_SSE:
            lines.append(f"| {label} | " + " | ".join(row(s, "off", key, spec)) + " |")
        lines += ["", "Memory per stream = (RSS with the streams open − RSS idle after a warm-up) ÷ streams open; "
                  "delivery latency = receive time − the send time in the event (same monotonic clock), over the "
                  "events received while all streams were held (expected: streams × hold s × events/s); CPU µs/event = "
                  "the proxy's CPU time while the streams were held ÷ the events delivered meanwhile; CPU µs/stream "
                  "closed = its CPU time from the end of the hold until the client has closed every stream, ÷ streams. "
                  "Lost and reordered count over each stream's whole life.", ""]

    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]

    lines += ["## Every run", "", "| round | scenario | log | proxy | req/s or events | p99 ms | CPU | peak RSS MiB | errors |",
              "|---:|---|---|---|---:|---:|---:|---:|---:|"]
    for (name, log, proxy), runs in results.items():
        for r in runs:
            if name == "sse":
                lines.append(f"| {r['round']} | {name} | {log} | {proxy} | {r['latency_samples']:,} | {fmt(r['p99_ms'], '{:.2f}')} | "
                             f"{fmt(r['cpu_us_per_event'], '{:.1f}')} µs/event | {r['peak_rss_mib']:.1f} | lost {r['lost']}, dropped {r['dropped']}, failed {r['failed']} |")
            else:
                lines.append(f"| {r['round']} | {name} | {log} | {proxy} | {r['rps']:,.0f} | {fmt(r.get('p99_ms', float('nan')), '{:.2f}')} | "
                             f"{fmt(r['cpu_us_per_req'], '{:.1f}')} µs/req | {r['peak_rss_mib']:.1f} | {r['errors']:,} |")
    lines.append("")
    return "\n".join(lines)


# (scenario, proxy) -> why it was not run (¹) or why it failed (²).
SKIPPED: dict[tuple[str, str], str] = {}
FAILED: dict[tuple[str, str], str] = {}


def unmeasured_cell(s: Scenario, proxy: str) -> str:
    return "skipped¹" if (s.name, proxy) in SKIPPED else "failed²" if (s.name, proxy) in FAILED else "—"


# ---------------------------------------------------------------------------------------------------
# Main


def parse_args() -> tuple[argparse.Namespace, Settings]:
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="scenarios:\n" + "\n".join(f"  {s.name:15} {s.description}" for s in SCENARIOS))
    p.add_argument("--quick", action="store_true", help="one short round of every scenario (3 s runs, 300 SSE streams for 8 s)")
    p.add_argument("--scenario", action="append", default=[], metavar="NAME",
                   help="run only these scenarios (repeat or comma-separate; a prefix such as h1 selects several)")
    p.add_argument("--rounds", type=int, help="alternating rounds (default 3, quick 1)")
    p.add_argument("--duration", type=float, help="seconds per measured run (default 15, quick 3)")
    p.add_argument("--warmup", type=float, help="seconds of load before each measured run (default 5, quick 1)")
    p.add_argument("--sse-streams", type=int, help="concurrent SSE streams (default 5000, quick 300)")
    p.add_argument("--sse-seconds", type=float, help="how long the SSE streams are held (default 30, quick 8)")
    p.add_argument("--sse-interval-ms", type=int, help="milliseconds between two events of a stream: the heartbeat (default 1000)")
    p.add_argument("--proxies", default=",".join(PROXIES), help="comma-separated subset of sluice,nginx,haproxy")
    p.add_argument("--logs", default="off,on", help="access log modes to run: off,on (default both)")
    p.add_argument("--sluice", default=str(SLUICE_DLL), metavar="DLL", help="the sluice.dll to run (default: this tree's Release build)")
    p.add_argument("--out", default=str(BENCH / "results/latest.md"), help="where the Markdown report goes")
    p.add_argument("--work", help=argparse.SUPPRESS)
    p.add_argument("--command", help=argparse.SUPPRESS)
    p.add_argument("--no-build", action="store_true", help="do not build (bench/run)")
    p.add_argument("--no-install", action="store_true", help="do not install missing tools (bench/run)")
    a = p.parse_args()
    names = [n for arg in a.scenario for n in arg.split(",") if n]
    scenarios = SCENARIOS
    if names:
        scenarios = [s for s in SCENARIOS if any(s.name == n or s.name.startswith(n) for n in names)]
        unknown = [n for n in names if not any(s.name == n or s.name.startswith(n) for s in SCENARIOS)]
        if unknown:
            p.error(f"unknown scenario {', '.join(unknown)}; known: {', '.join(s.name for s in SCENARIOS)}")
    proxies = [x for x in a.proxies.split(",") if x]
    if any(x not in PROXIES for x in proxies):
        p.error(f"--proxies takes {','.join(PROXIES)}")
    logs = [x for x in a.logs.split(",") if x]
    if any(x not in ("off", "on") for x in logs):
        p.error("--logs takes off,on")
    q = a.quick
    settings = Settings(
        rounds=a.rounds or (1 if q else 3),
        duration=a.duration or (3 if q else 15),
        warmup=a.warmup if a.warmup is not None else (1 if q else 5),
        sse_streams=a.sse_streams or (300 if q else 5000),
        sse_seconds=a.sse_seconds or (8 if q else 30),
        sse_interval_ms=a.sse_interval_ms or 1000,
        proxies=proxies, scenarios=scenarios, logs=logs, quick=q)
    return a, settings


def main() -> int:
    args, settings = parse_args()
    work = Path(args.work) if args.work else Path(f"/tmp/sluice-bench.{os.getpid()}")
    work.mkdir(parents=True, exist_ok=True)
    # nginx workers run as nobody when started by root: they must be able to read the backend's files.
    os.chmod(work, 0o755)
    procs = Processes(work)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        return run(args, settings, work, procs)
    finally:
        procs.stop_all()


def run(args, settings: Settings, work: Path, procs: Processes) -> int:
    started = dt.datetime.now().astimezone()
    t0 = time.monotonic()
    command = args.command or "bench/bench.py " + " ".join(sys.argv[1:])
    sluice_dll = Path(args.sluice)
    if "sluice" in settings.proxies and not sluice_dll.exists():
        print(f"bench: {sluice_dll} is missing: build Release first (bench/run does)", file=sys.stderr)
        return 1
    if any(s.kind == "sse" for s in settings.scenarios) and not SSEBENCH_DLL.exists():
        print(f"bench: {SSEBENCH_DLL} is missing: build Release first (bench/run does)", file=sys.stderr)
        return 1

    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    need = 2 * settings.sse_streams + 1000
    if any(s.kind == "sse" for s in settings.scenarios) and nofile < need:
        streams = max(100, (nofile - 1000) // 2)
        print(f"bench: open-file limit {nofile} allows about {streams} SSE streams, not {settings.sse_streams}", file=sys.stderr)
        settings.sse_streams = streams

    # Certificates for the TLS scenario (ECDSA P-256, self-signed, in the work directory).
    cert, key, combined = work / "cert.pem", work / "key.pem", work / "combined.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "7", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    combined.write_text(cert.read_text() + key.read_text())

    env = Environment(work, nofile, [free_port() for _ in range(3)], [free_port() for _ in range(3)], cert, key, combined, sluice_dll)

    # Backends: one nginx worker on three ports (small body from "return 200", 64 KiB file with sendfile),
    # and SseBench on three more ports for the SSE scenario.
    backend_prefix = make_prefix(work, "backend")
    (backend_prefix / "www").mkdir()
    (backend_prefix / "www/64k").write_bytes(bytes(range(256)) * (LARGE_BYTES // 256))
    (backend_prefix / "conf/nginx.conf").write_text(backend_config(backend_prefix, env.backend_ports, nofile))
    backend = procs.start([nginx_binary(), "-p", f"{backend_prefix}/", "-c", str(backend_prefix / "conf/nginx.conf"),
                           "-g", "daemon off;"], "backend/nginx")
    wait_for_port(env.backend_ports[-1], backend, "backend nginx", work, "backend/nginx")
    status, body = http_get(env.backend_ports[0], "/64k")
    if status != 200 or len(body) != LARGE_BYTES:
        raise RuntimeError(f"backend /64k answered {status} with {len(body)} bytes")
    if any(s.kind == "sse" for s in settings.scenarios):
        sse_argv = ["dotnet", str(SSEBENCH_DLL), "serve", "--interval-ms", str(settings.sse_interval_ms)]
        for port in env.sse_ports:
            sse_argv += ["--port", str(port)]
        sse_backend = procs.start(sse_argv, "sse-backend")
        wait_for_port(env.sse_ports[-1], sse_backend, "SseBench serve", work, "sse-backend")

    notes: list[str] = []
    info = machine_info()
    print(f"bench: {len(settings.scenarios)} scenario(s), {settings.rounds} round(s), proxies {', '.join(settings.proxies)}; "
          f"backends on {env.backend_ports}, SSE backend on {env.sse_ports}", flush=True)
    if any(s.kind == "h2load" for s in settings.scenarios) and "sluice" in settings.proxies:
        ok, reason = sluice_supports_tls(env)
        if not ok:
            for s in settings.scenarios:
                if s.kind == "h2load":
                    SKIPPED[(s.name, "sluice")] = reason
            notes.append(f"¹ HTTP/2 over TLS skipped for Sluice: `sluice -t` refuses the TLS configuration ({reason}). "
                         "nginx and HAProxy still run it so the column exists.")

    results: dict[tuple[str, str, str], list[dict]] = {}
    for round_no in range(1, settings.rounds + 1):
        for s in settings.scenarios:
            for log in [l for l in s.logs if l in settings.logs or s.direct or s.kind == "sse"]:
                targets = ["direct"] if s.direct else settings.proxies
                for proxy in targets:
                    if (s.name, proxy) in SKIPPED:
                        continue
                    label = f"round {round_no}/{settings.rounds} {s.name} log={log} {proxy}"
                    print(f"bench: {label} ...", end=" ", flush=True)
                    try:
                        stats = run_one(procs, env, settings, s, log, proxy, backend, f"r{round_no}-{s.name}-{log}-{proxy}")
                    except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError, KeyError) as e:
                        print("FAILED")
                        message = str(e).strip().replace("\n", " | ")[:400]
                        print(f"  {message}", file=sys.stderr)
                        FAILED[(s.name, proxy)] = message
                        notes.append(f"² {label} failed: {message}")
                        continue
                    stats["round"] = round_no
                    results.setdefault((s.name, log, proxy), []).append(stats)
                    print(summary_line(s, stats), flush=True)

    text = report(settings, results, notes, info, command, started, time.monotonic() - t0)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    (out.with_suffix(".json")).write_text(json.dumps(
        {"command": command, "date": started.isoformat(), "machine": dict(info),
         "runs": [{"scenario": k[0], "log": k[1], "proxy": k[2], **r} for k, v in results.items() for r in v]},
        indent=1, default=str))
    print()
    print(text)
    print(f"bench: written to {out} and {out.with_suffix('.json')}")
    return 1 if FAILED else 0


def run_one(procs: Processes, env: Environment, settings: Settings, s: Scenario, log: str, proxy: str,
            backend: subprocess.Popen, tag: str) -> dict:
    if s.direct:
        return measure_requests(lambda: process_tree(backend.pid), env.backend_ports[0], s, settings, env.work)
    running = start_proxy(procs, env, proxy, log, tls=s.kind == "h2load", tag=tag)
    try:
        if s.kind != "h2load":
            status, body = http_get(running.port, s.path if s.kind == "wrk" else "/")
            if status != 200:
                raise RuntimeError(f"{proxy} answered {status} to GET {s.path}: {body[:200]!r}")
        if s.kind == "sse":
            stats = measure_sse(procs, env, running, settings, tag)
        else:
            stats = measure_requests(running.pids, running.port, s, settings, env.work)
        if log == "on":
            access = running.prefix / "logs/access.log"
            stats["access_log_bytes"] = access.stat().st_size if access.exists() else 0
            if stats["access_log_bytes"] == 0:
                print(f"\n  [warn] {proxy} wrote no access log", file=sys.stderr)
        if running.proc.poll() is not None:
            raise RuntimeError(f"{proxy} exited with {running.proc.returncode} during the run: {tail(env.work, tag + '/proxy')}")
        return stats
    finally:
        procs.stop(running.proc)
        shutil.rmtree(running.prefix, ignore_errors=True)


def summary_line(s: Scenario, r: dict) -> str:
    if s.kind == "sse":
        return (f"{r['opened']}/{r['streams']} streams, {r['latency_samples']:,} events held, lost {r['lost']}, dropped {r['dropped']}, "
                f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, {r['kib_per_stream']:.1f} KiB/stream, "
                f"{r['cpu_us_per_event']:.1f} µs/event, {r['cpu_us_per_close']:.0f} µs/close")
    return (f"{r['rps']:,.0f} req/s, p99 {r.get('p99_ms', float('nan')):.2f} ms, {r['cpu_us_per_req']:.1f} µs/req, "
            f"{r['peak_rss_mib']:.1f} MiB" + (f", {r['errors']} errors" if r["errors"] else ""))


if __name__ == "__main__":
    sys.exit(main())
