namespace Sluice.Http.Runtime;

/// <summary>
/// Named captures of the configuration's regexes (locations, server names, if, rewrite) are variables in
/// nginx (<c>(?&lt;sub&gt;…)</c> gives <c>$sub</c>); they read the request's last regex match.
/// </summary>
internal sealed class RegexCapturesFeature : IHttpFeature
{
    public void Prepare(HttpBuildContext context)
    {
        foreach (var name in context.State.Variables.CaptureNames)
        {
            var group = name;
            context.Variables.Define(group, r => r.NamedCapture(group));
        }
    }

    public void BuildLocation(LocationBuildContext location)
    {
    }
}
