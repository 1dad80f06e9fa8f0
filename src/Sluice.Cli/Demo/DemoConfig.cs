using System.Globalization;
using System.Text;

namespace Sluice.Cli.Demo;

/// <summary>
/// The demo's sluice.conf: the guide's production load balancer (section 10.2) on plain HTTP, in front of
/// the demo's instances. What the guide has that Sluice does not run yet (TLS, gzip, limit_req) is left out.
/// </summary>
internal static class DemoConfig
{
    /// <summary>Writes <c>conf/sluice.conf</c> under <paramref name="prefix"/> and returns its path.</summary>
    public static string Write(string prefix, int port, IReadOnlyList<int> instancePorts)
    {
        Directory.CreateDirectory(Path.Combine(prefix, "conf"));
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        var servers = new StringBuilder();
        foreach (var instancePort in instancePorts)
        {
            servers.Append(CultureInfo.InvariantCulture, $"        server 127.0.0.1:{instancePort} max_fails=3 fail_timeout=30s;\n");
        }

        var text = Template
            .Replace("{{SERVERS}}", servers.ToString().TrimEnd('\n'), StringComparison.Ordinal)
            .Replace("{{PORT}}", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var path = Path.Combine(prefix, "conf", "sluice.conf");
        File.WriteAllText(path, text);
        return path;
    }

    private const string Template = """
        # sluice demo: the guide's production load balancer (section 10.2) on plain HTTP.
        pid logs/sluice.pid;
        error_log logs/error.log notice;

        events {
            worker_connections 4096;
        }

        http {
            keepalive_timeout 65;

            log_format main '$remote_addr - [$time_local] "$request" '
                            '$status $body_bytes_sent '
                            'rt=$request_time urt=$upstream_response_time '
                            'upstream=$upstream_addr';
            access_log logs/access.log main;

            upstream backend {
                least_conn;
        {{SERVERS}}
                keepalive 32;
            }

            server {
                listen 127.0.0.1:{{PORT}};

                location / {
                    proxy_pass http://backend;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header Host $host;
                    proxy_set_header X-Real-IP $remote_addr;
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                }

                # API endpoints
                location /api {
                    proxy_pass http://backend;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header Host $host;
                    proxy_set_header X-Real-IP $remote_addr;
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    proxy_set_header X-Forwarded-Proto $scheme;

                    proxy_connect_timeout 60s;
                    proxy_send_timeout 60s;
                    proxy_read_timeout 60s;
                }

                # SSE streaming
                location /stream {
                    proxy_pass http://backend;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_buffering off;
                    proxy_set_header X-Accel-Buffering no;

                    proxy_read_timeout 300s;
                }

                # Health check
                location /nginx-health {
                    access_log off;
                    default_type text/plain;
                    return 200 "OK\n";
                }

                location /nginx-status {
                    stub_status on;
                    access_log off;
                    allow 127.0.0.1;
                    deny all;
                }

                # Sluice's Prometheus metrics: per peer, per server, and the stub_status counters
                location = /metrics {
                    sluice_metrics;
                    access_log off;
                    allow 127.0.0.1;
                    deny all;
                }
            }
        }
        """;
}
