using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>Compares two observed responses as text, printing both; documents the only tolerated differences.</summary>
public static class DifferentialAssert
{
    public static void Same(ObservedResponse nginx, ObservedResponse sluice, ITestOutputHelper? output = null)
    {
        output?.WriteLine("nginx:\n" + nginx);
        output?.WriteLine("sluice:\n" + sluice);

        // nginx sends an empty reason phrase for codes it has no text for (418, 299 …); Kestrel always
        // writes the standard phrase. Clients ignore reason phrases, so only the code is compared then.
        if (nginx.Reason.Length == 0)
        {
            sluice = sluice with { Reason = "" };
        }

        Assert.Equal(nginx.ToString(), sluice.ToString());
    }
}
