using Sluice.Proxy.Configuration;
using Sluice.Upstreams.Balancing;

namespace Sluice.Proxy.Runtime;

/// <summary>
/// nginx 1.22's decision after an attempt that did not give the client its response
/// (<c>ngx_http_upstream_test_next</c> and <c>ngx_http_upstream_next</c>): how the peer is released and whether
/// the next peer is tried. The order is what passive health depends on. A status proxy_next_upstream names
/// counts as a failure only when another peer is actually tried: the last peer's 502, a POST without
/// <c>non_idempotent</c>, <c>proxy_next_upstream_tries 1</c> or a spent <c>proxy_next_upstream_timeout</c> give
/// the answer to the client and release the peer as a success. An error, a timeout or an invalid header is a
/// failure whatever comes next.
/// </summary>
internal static class NextUpstreamRules
{
    /// <summary>
    /// The peer answered a status proxy_next_upstream names (<paramref name="condition"/>). When more than one
    /// try is left and the request may go to another peer, the peer is released — failed, or for 403 and 404
    /// only passed over (nginx's <c>NGX_PEER_NEXT</c>, which is no failure) — and true is returned. Otherwise
    /// nothing is released: the caller sends the answer and releases the peer as a success afterwards.
    /// </summary>
    /// <param name="disabled">This failure took the peer out for fail_timeout (nginx warns "upstream server temporarily disabled").</param>
    public static bool TryNextAfterStatus(
        IUpstreamBalancer balancer,
        PeerSelection selection,
        UpstreamPeer peer,
        NextUpstreamConditions condition,
        bool requestSent,
        in NextUpstreamRequest request,
        out bool disabled)
    {
        disabled = false;
        if (selection.Tries <= 1 || !Allowed(condition, requestSent, request))
        {
            return false;
        }

        var failed = IsFailure(condition);
        disabled = balancer.Free(selection, peer, failed) && failed;
        return true;
    }

    /// <summary>
    /// The attempt failed with an error, a timeout or an invalid header (<paramref name="condition"/>): the peer
    /// is released as failed first, whatever comes next. An error on a connection taken from the keepalive
    /// cache gives its try back (nginx's <c>u->peer.tries++</c> for <c>peer.cached</c>), so the request may
    /// go once more — on the same peer when it is the group's only one. Then the next peer is tried when a try
    /// is left and the request may go to another peer.
    /// </summary>
    public static bool TryNextAfterFailure(
        IUpstreamBalancer balancer,
        PeerSelection selection,
        UpstreamPeer peer,
        NextUpstreamConditions condition,
        bool requestSent,
        bool cachedConnection,
        in NextUpstreamRequest request,
        out bool disabled)
    {
        disabled = balancer.Free(selection, peer, failed: true);
        if (cachedConnection && condition == NextUpstreamConditions.Error)
        {
            selection.Tries++;
        }

        return selection.Tries > 0 && Allowed(condition, requestSent, request);
    }

    /// <summary>Whether passing over a peer for <paramref name="condition"/> counts toward its max_fails (all but 403 and 404).</summary>
    public static bool IsFailure(NextUpstreamConditions condition) =>
        condition is not (NextUpstreamConditions.Http403 or NextUpstreamConditions.Http404);

    /// <summary>
    /// proxy_next_upstream names the condition (with <c>non_idempotent</c> too once a POST, LOCK or PATCH
    /// reached the peer), the body was not streamed to it (it cannot be sent again), and
    /// proxy_next_upstream_timeout has not passed since the first attempt began.
    /// </summary>
    private static bool Allowed(NextUpstreamConditions condition, bool requestSent, in NextUpstreamRequest request)
    {
        if (requestSent && request.NonIdempotent)
        {
            condition |= NextUpstreamConditions.NonIdempotent;
        }

        return (request.Allowed & NextUpstreamConditions.Off) == 0
            && (request.Allowed & condition) == condition
            && !(requestSent && request.BodyStreamed)
            && !(request.Timeout > TimeSpan.Zero && request.Elapsed >= request.Timeout);
    }
}

/// <summary>What the next-upstream decision looks at besides the attempt.</summary>
/// <param name="Allowed">proxy_next_upstream.</param>
/// <param name="NonIdempotent">The method is POST, LOCK or PATCH.</param>
/// <param name="BodyStreamed">The body goes to the peer as it arrives (proxy_request_buffering off): it cannot be sent twice.</param>
/// <param name="Timeout">proxy_next_upstream_timeout; zero for none.</param>
/// <param name="Elapsed">Time since the first attempt began.</param>
internal readonly record struct NextUpstreamRequest(NextUpstreamConditions Allowed, bool NonIdempotent, bool BodyStreamed, TimeSpan Timeout, TimeSpan Elapsed);
