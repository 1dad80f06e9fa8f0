using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;

namespace Sluice.Http.Runtime;

/// <summary>
/// Lets stub_status tell "Reading" from "Waiting" as nginx does: an idle connection is waiting until bytes of
/// its next request arrive, then reading until the request's header is complete (when Kestrel hands it to
/// Sluice). Wraps the connection's input to see those first bytes; everything else is passed through.
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

    public static void Attach(ConnectionContext context, ConnectionState connection, ServerCounters counters) =>
        context.Transport = new ReadingObserver(context.Transport, connection, counters);

    /// <summary>
    /// Passes reads through, looking at each result. A read that has to wait completes through this reader's
    /// own reusable value-task source (one per connection), so observing costs no allocation per read.
    /// </summary>
    private sealed class ObservingReader(PipeReader inner, ConnectionState connection, ServerCounters counters) : PipeReader, IValueTaskSource<ReadResult>
    {
        private ManualResetValueTaskSourceCore<ReadResult> _source = new() { RunContinuationsAsynchronously = false };
        private ConfiguredValueTaskAwaitable<ReadResult>.ConfiguredValueTaskAwaiter _pending;
        private Action? _onInnerCompleted;

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

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
            if (!result.Buffer.IsEmpty)
            {
                counters.BytesArrived(connection);
            }
        }

        ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _source.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _source.GetStatus(token);

        void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _source.OnCompleted(continuation, state, token, flags);
    }
}
