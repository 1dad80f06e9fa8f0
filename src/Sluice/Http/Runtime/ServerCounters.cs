namespace Sluice.Http.Runtime;

/// <summary>
/// nginx's stub_status counters, shared by every generation (they describe the process, not a
/// configuration). Updated with interlocked operations only: no lock on the request path.
/// </summary>
public sealed class ServerCounters
{
    private long _accepted;
    private long _handled;
    private long _requests;
    private long _active;
    private long _reading;
    private long _writing;
    private long _connectionSerial;

    public long Accepted => Volatile.Read(ref _accepted);

    public long Handled => Volatile.Read(ref _handled);

    public long Requests => Volatile.Read(ref _requests);

    public long Active => Volatile.Read(ref _active);

    public long Reading => Volatile.Read(ref _reading);

    public long Writing => Volatile.Read(ref _writing);

    /// <summary>Idle keepalive connections: the active ones neither reading a request nor being answered.</summary>
    public long Waiting => Math.Max(0, Active - Reading - Writing);

    /// <summary>
    /// A connection was accepted; returns its serial number (<c>$connection</c>, from 1 as nginx's counter). Until
    /// its first bytes arrive it is waiting.
    /// </summary>
    public long ConnectionOpened()
    {
        Interlocked.Increment(ref _accepted);
        Interlocked.Increment(ref _handled);
        Interlocked.Increment(ref _active);
        return Interlocked.Increment(ref _connectionSerial);
    }

    /// <summary>
    /// A connection to an upstream is being opened: nginx numbers it from the same counter as client connections
    /// (<c>ngx_event_connect_peer</c>), so the next client's <c>$connection</c> skips the number.
    /// </summary>
    public void UpstreamConnectionOpening() => Interlocked.Increment(ref _connectionSerial);

    /// <summary>
    /// Bytes arrived on a connection: if no request is in progress on it, a new one is being read (nginx creates
    /// the request, and counts it, at this moment).
    /// </summary>
    public void BytesArrived(ConnectionState connection)
    {
        if (Volatile.Read(ref connection.Busy) == 0 && Interlocked.CompareExchange(ref connection.Reading, 1, 0) == 0)
        {
            Interlocked.Increment(ref _reading);
            Interlocked.Increment(ref _requests);

            // client_header_timeout runs from here for a kept-alive connection (from the accept for its first request).
            if (Volatile.Read(ref connection.HeaderDeadline) == long.MaxValue && connection.HeaderTimeoutMs > 0)
            {
                Volatile.Write(ref connection.HeaderDeadline, ClientHeaderTimeouts.Now + connection.HeaderTimeoutMs);
            }
        }
    }

    public void ConnectionClosed(ConnectionState connection)
    {
        if (Interlocked.Exchange(ref connection.Reading, 0) == 1)
        {
            Interlocked.Decrement(ref _reading);
        }

        Interlocked.Decrement(ref _active);
    }

    /// <summary>A request's headers were read: it is now being answered ("Writing").</summary>
    public void RequestStarted(ConnectionState? connection)
    {
        if (connection is null)
        {
            Interlocked.Increment(ref _requests);
        }
        else
        {
            Volatile.Write(ref connection.Busy, 1);
            Volatile.Write(ref connection.HeaderDeadline, long.MaxValue);
            if (Interlocked.Exchange(ref connection.Reading, 0) == 1)
            {
                Interlocked.Decrement(ref _reading);
            }
            else
            {
                // The bytes were seen before the observer could (pipelined after the previous request).
                Interlocked.Increment(ref _requests);
            }
        }

        Interlocked.Increment(ref _writing);
    }

    /// <summary>The request is answered; the connection waits for the next one.</summary>
    public void RequestFinished(ConnectionState? connection)
    {
        if (connection is not null)
        {
            Volatile.Write(ref connection.Busy, 0);
        }

        Interlocked.Decrement(ref _writing);
    }
}
