using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Sluice.Http.Runtime;

namespace Sluice.StubStatus;

/// <summary>nginx's <c>stub_status</c> page, byte for byte, from the process-wide counters.</summary>
internal sealed class StubStatusFeature : IHttpFeature
{
    public void BuildLocation(LocationBuildContext location)
    {
        if (location.Scope.TryGetHere(StubStatusSettings.Enabled, out var enabled) && enabled)
        {
            location.Handlers.Add(StubStatusHandler.Instance);
        }
    }
}

internal sealed class StubStatusHandler : PhaseHandler
{
    public static readonly StubStatusHandler Instance = new();

    public override HttpPhase Phase => HttpPhase.Content;

    public override async ValueTask<PhaseOutcome> ExecuteAsync(RequestContext request)
    {
        var method = request.Http.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            return PhaseOutcome.Finalize(405);
        }

        var counters = request.Runtime.Counters;
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"Active connections: {counters.Active} \nserver accepts handled requests\n {counters.Accepted} {counters.Handled} {counters.Requests} \nReading: {counters.Reading} Writing: {counters.Writing} Waiting: {counters.Waiting} \n");
        var bytes = Encoding.ASCII.GetBytes(text);
        var response = request.Http.Response;
        SpecialResponse.SetStatus(request, 200);
        response.ContentType = "text/plain";
        response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(method))
        {
            await response.Body.WriteAsync(bytes).ConfigureAwait(false);
            request.BodyBytesSent += bytes.Length;
        }

        return PhaseOutcome.Done;
    }
}
