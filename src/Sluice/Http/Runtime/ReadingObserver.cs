using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;

namespace Sluice.Http.Runtime;

/// <summary>
/// Lets stub_status tell "Reading" from "Waiting" as nginx does: an idle connection is waiting until bytes of
/// its next request arrive, then reading until the request's header is complete (when Kestrel hands it to
/// Sluice). Wraps the connection's input to see those first bytes; everything else is passed through. It also
/// sees the read a client_header_timeout cancels, whose bytes are the head that arrived, for nginx's 408 lines.
/// </summary>
internal sealed class ReadingObserver : IDuplexPipe
{
    private readonly IDuplexPipe _inner;
    private readonly ObservingReader _input;

    public ReadingObserver(IDuplexPipe inner, ConnectionState connection, ServerCounters counters)
    {
        _inner = inner;
        _input = new ObservingReader(inner.Input, connection, counters);
    }

    public PipeReader Input => _input;

    public PipeWriter Output => _inner.Output;

    public static void Attach(ConnectionContext context, ConnectionState connection, ServerCounters counters)
    {
        connection.Input = context.Transport.Input;
        context.Transport = new ReadingObserver(context.Transport, connection, counters);
    }

    /// <summary>
    /// Passes reads through, looking at each result. A read that has to wait completes through this reader's
    /// own reusable value-task source (one per connection), so observing costs no allocation per read.
    /// </summary>
    private sealed class ObservingReader(PipeReader inner, ConnectionState connection, ServerCounters counters) : PipeReader, IValueTaskSource<ReadResult>
    {
        private ManualResetValueTaskSourceCore<ReadResult> _source = new() { RunContinuationsAsynchronously = false };
        private ConfiguredValueTaskAwaitable<ReadResult>.ConfiguredValueTaskAwaiter _pending;
        private Action? _onInnerCompleted;

        /// <summary>The buffer of the last read handed to Kestrel, whose parser consumes a head line by line from it.</summary>
        private ReadOnlySequence<byte> _last;

        /// <summary>Lines of a head Kestrel consumed before the head was complete, and which request they belong to.</summary>
        private byte[]? _headSoFar;
        private int _headSoFarLength;
        private int _headSoFarRequest;

        public override void AdvanceTo(SequencePosition consumed)
        {
            KeepConsumedHead(consumed);
            inner.AdvanceTo(consumed);
        }

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            KeepConsumedHead(consumed);
            inner.AdvanceTo(consumed, examined);
        }

        /// <summary>
        /// A head that arrives in pieces is consumed by Kestrel's parser line by line, and those lines are gone
        /// from the next read: they are kept (up to 16 KiB) for the header timeout's log lines. A head that came
        /// whole — the usual case, its consumed bytes ending with the empty line — costs a look at its last bytes.
        /// </summary>
        private void KeepConsumedHead(SequencePosition consumed)
        {
            if (_last.IsEmpty || Volatile.Read(ref connection.Busy) != 0)
            {
                return;
            }

            var parsed = _last.Slice(0, consumed);
            _last = default;
            if (parsed.IsEmpty || EndsWithEmptyLine(parsed))
            {
                return;
            }

            if (_headSoFarRequest != connection.Requests)
            {
                _headSoFarRequest = connection.Requests;
                _headSoFarLength = 0;
            }

            _headSoFar ??= new byte[16 * 1024];
            var take = (int)Math.Min(parsed.Length, _headSoFar.Length - _headSoFarLength);
            parsed.Slice(0, take).CopyTo(_headSoFar.AsSpan(_headSoFarLength));
            _headSoFarLength += take;
        }

        private static bool EndsWithEmptyLine(in ReadOnlySequence<byte> parsed)
        {
            Span<byte> tail = stackalloc byte[3];
            var length = (int)Math.Min(3, parsed.Length);
            parsed.Slice(parsed.Length - length).CopyTo(tail);
            return tail[..length].EndsWith("\n\n"u8) || tail[..length].EndsWith("\n\r\n"u8);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var pending = inner.ReadAsync(cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                // A ValueTask may be consumed once: hand on the result, not the task.
                var result = pending.Result;
                Observe(result);
                return new ValueTask<ReadResult>(result);
            }

            _source.Reset();
            _pending = pending.ConfigureAwait(false).GetAwaiter();
            _pending.UnsafeOnCompleted(_onInnerCompleted ??= OnInnerCompleted);
            return new ValueTask<ReadResult>(this, _source.Version);
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            Observe(result);
            return true;
        }

        private void OnInnerCompleted()
        {
            try
            {
                var result = _pending.GetResult();
                _pending = default;
                Observe(result);
                _source.SetResult(result);
            }
            catch (Exception e)
            {
                _pending = default;
                _source.SetException(e);
            }
        }

        private void Observe(in ReadResult result)
        {
            _last = result.Buffer;
            if (!result.Buffer.IsEmpty)
            {
                counters.BytesArrived(connection);
            }

            if (result.IsCanceled && Volatile.Read(ref connection.HeaderTimedOut) == 1)
            {
                HeaderTimedOut(result.Buffer);
            }
        }

        /// <summary>
        /// client_header_timeout cancelled this read: what it holds is the head so far. A head that completed
        /// meanwhile goes on to be answered; otherwise the timeout is reported (and the connection closed).
        /// </summary>
        private void HeaderTimedOut(ReadOnlySequence<byte> buffer)
        {
            var rest = buffer.Slice(0, Math.Min(buffer.Length, 16 * 1024));
            var kept = _headSoFarRequest == connection.Requests ? _headSoFarLength : 0;
            var received = new byte[kept + rest.Length];
            _headSoFar.AsSpan(0, kept).CopyTo(received);
            rest.CopyTo(received.AsSpan(kept));
            if (received.AsSpan().IndexOf("\r\n\r\n"u8) >= 0 || received.AsSpan().IndexOf("\n\n"u8) >= 0)
            {
                Interlocked.CompareExchange(ref connection.HeaderTimedOut, 0, 1);
                return;
            }

            if (Interlocked.CompareExchange(ref connection.HeaderTimedOut, 2, 1) == 1)
            {
                connection.OnHeaderTimedOut?.Invoke(connection, received);
            }
        }

        ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _source.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _source.GetStatus(token);

        void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _source.OnCompleted(continuation, state, token, flags);
    }
}
