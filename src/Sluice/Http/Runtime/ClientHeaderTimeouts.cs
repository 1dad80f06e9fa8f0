using Microsoft.AspNetCore.Connections;
using Sluice.Core;

namespace Sluice.Http.Runtime;

/// <summary>
/// nginx's client_header_timeout, kept by Sluice rather than Kestrel (whose own timeout answers 408, where
/// nginx closes the connection without a word): a new connection must send its first request's header
/// within the timeout, and a kept-alive one must finish a header within it once its first bytes came. One
/// timer checks the connections that are reading a header; an overdue one is closed and logged as nginx
/// logs it ("client timed out (110: Connection timed out) while reading client request headers").
/// </summary>
internal sealed class ClientHeaderTimeouts : IDisposable
{
    private static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(100);

    private readonly HashSet<ConnectionState> _connections = [];
    private readonly ITimer _timer;
    private readonly Func<Logging.ErrorLog?> _errorLog;

    public ClientHeaderTimeouts(TimeProvider time, Func<Logging.ErrorLog?> errorLog)
    {
        _errorLog = errorLog;
        _timer = time.CreateTimer(static s => ((ClientHeaderTimeouts)s!).Sweep(), this, Resolution, Resolution);
    }

    public static long Now => Environment.TickCount64;

    /// <summary>A connection opened: its first header is due within <paramref name="timeout"/>.</summary>
    public void Opened(ConnectionState connection, ConnectionContext context, TimeSpan timeout)
    {
        connection.Context = context;
        connection.HeaderTimeoutMs = (long)Math.Min(timeout.TotalMilliseconds, long.MaxValue / 4);
        Volatile.Write(ref connection.HeaderDeadline, Now + connection.HeaderTimeoutMs);
        lock (_connections)
        {
            _connections.Add(connection);
        }
    }

    public void Closed(ConnectionState connection)
    {
        lock (_connections)
        {
            _connections.Remove(connection);
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Sweep()
    {
        var now = Now;
        List<ConnectionState>? overdue = null;
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                if (Volatile.Read(ref connection.HeaderDeadline) <= now)
                {
                    (overdue ??= []).Add(connection);
                }
            }
        }

        if (overdue is null)
        {
            return;
        }

        foreach (var connection in overdue)
        {
            Volatile.Write(ref connection.HeaderDeadline, long.MaxValue);
            var client = Variables.CoreVariables.AddressText(connection.Remote?.Address);
            _errorLog()?.Write(LogLevel.Info, $"client timed out (110: Connection timed out) while reading client request headers, client: {client}, server: ");
            connection.Context?.Abort(new ConnectionAbortedException("client_header_timeout"));
        }
    }
}
