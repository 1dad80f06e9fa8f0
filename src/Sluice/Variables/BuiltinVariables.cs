using System.Collections.Frozen;

namespace Sluice.Variables;

/// <summary>The variable names nginx's http modules provide, and the prefixed families.</summary>
public static class BuiltinVariables
{
    private static readonly FrozenSet<string> Names = new[]
    {
        // ngx_http_variables.c
        "http_host", "http_user_agent", "http_referer", "http_via", "http_x_forwarded_for", "http_cookie",
        "content_length", "content_type", "host", "binary_remote_addr", "remote_addr", "remote_port",
        "proxy_protocol_addr", "proxy_protocol_port", "proxy_protocol_server_addr", "proxy_protocol_server_port",
        "server_addr", "server_port", "server_protocol", "scheme", "https", "request_uri", "uri", "document_uri",
        "request", "document_root", "realpath_root", "query_string", "args", "is_args", "request_filename",
        "server_name", "request_method", "remote_user", "bytes_sent", "body_bytes_sent", "pipe",
        "request_completion", "request_body", "request_body_file", "request_length", "request_time", "request_id",
        "status", "sent_http_content_type", "sent_http_content_length", "sent_http_location",
        "sent_http_last_modified", "sent_http_connection", "sent_http_keep_alive", "sent_http_transfer_encoding",
        "sent_http_cache_control", "sent_http_link", "limit_rate", "connection", "connection_requests",
        "connection_time", "nginx_version", "hostname", "pid", "msec", "time_iso8601", "time_local",
        "tcpinfo_rtt", "tcpinfo_rttvar", "tcpinfo_snd_cwnd", "tcpinfo_rcv_space",

        // upstream and proxy
        "upstream_addr", "upstream_status", "upstream_connect_time", "upstream_header_time",
        "upstream_response_time", "upstream_response_length", "upstream_bytes_received", "upstream_bytes_sent",
        "upstream_cache_status", "proxy_host", "proxy_port", "proxy_add_x_forwarded_for",
        "proxy_internal_body_length", "proxy_internal_chunked",

        // other modules
        "gzip_ratio", "limit_req_status", "limit_conn_status", "realip_remote_addr", "realip_remote_port",
        "ssl_protocol", "ssl_cipher", "ssl_ciphers", "ssl_curve", "ssl_curves", "ssl_session_id", "ssl_session_reused",
        "ssl_early_data", "ssl_server_name", "ssl_alpn_protocol", "ssl_client_cert", "ssl_client_raw_cert",
        "ssl_client_escaped_cert", "ssl_client_s_dn", "ssl_client_i_dn", "ssl_client_s_dn_legacy",
        "ssl_client_i_dn_legacy", "ssl_client_serial", "ssl_client_fingerprint", "ssl_client_verify",
        "ssl_client_v_start", "ssl_client_v_end", "ssl_client_v_remain", "http2", "date_local", "date_gmt",
        "fastcgi_script_name", "fastcgi_path_info", "invalid_referer", "secure_link", "secure_link_expires",
        "uid_got", "uid_set", "uid_reset", "memcached_key",
        "connections_active", "connections_reading", "connections_writing", "connections_waiting",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The built-ins a configuration may define again (nginx's <c>NGX_HTTP_VAR_CHANGEABLE</c>): <c>set $args</c> is fine, <c>set $uri</c> is not.</summary>
    private static readonly FrozenSet<string> Changeable = new[]
    {
        "args", "limit_rate", "proxy_host", "proxy_port", "proxy_internal_body_length", "proxy_internal_chunked",
        "ssl_protocol", "ssl_cipher", "ssl_ciphers", "ssl_curve", "ssl_curves", "ssl_session_id", "ssl_session_reused",
        "ssl_early_data", "ssl_server_name", "ssl_alpn_protocol", "ssl_client_cert", "ssl_client_raw_cert",
        "ssl_client_escaped_cert", "ssl_client_s_dn", "ssl_client_i_dn", "ssl_client_s_dn_legacy",
        "ssl_client_i_dn_legacy", "ssl_client_serial", "ssl_client_fingerprint", "ssl_client_verify",
        "ssl_client_v_start", "ssl_client_v_end", "ssl_client_v_remain",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly string[] Prefixes =
    [
        "http_", "sent_http_", "sent_trailer_", "cookie_", "arg_", "upstream_http_", "upstream_trailer_", "upstream_cookie_",
    ];

    /// <summary>
    /// False when <paramref name="lowerName"/> is a built-in the configuration may not define (<c>set</c>, a named
    /// regex capture, <c>map</c>): nginx's <c>the duplicate "name" variable</c>. Family names (<c>$http_x</c>) may be defined.
    /// </summary>
    public static bool CanDefine(string lowerName) => !Names.Contains(lowerName) || Changeable.Contains(lowerName);

    /// <summary>The opposite of <see cref="CanDefine"/>.</summary>
    public static bool IsReadOnly(string lowerName) => !CanDefine(lowerName);

    /// <summary>True for a built-in name or a name of a built-in family with a non-empty suffix.</summary>
    public static bool IsBuiltin(string lowerName)
    {
        if (Names.Contains(lowerName))
        {
            return true;
        }

        foreach (var prefix in Prefixes)
        {
            if (lowerName.Length > prefix.Length && lowerName.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
