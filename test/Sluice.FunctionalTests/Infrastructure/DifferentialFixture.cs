namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>One <see cref="DifferentialRig"/> shared by all tests of a class (starting nginx and Sluice once).</summary>
public abstract class DifferentialFixture : IAsyncLifetime
{
    public DifferentialRig Rig { get; private set; } = null!;

    protected abstract string Config { get; }

    protected virtual int Backends => 0;

    protected virtual IDictionary<string, string> Files => new Dictionary<string, string>();

    public async Task InitializeAsync() => Rig = await DifferentialRig.StartAsync(Config, Backends, Files);

    public async Task DisposeAsync() => await Rig.DisposeAsync();
}
