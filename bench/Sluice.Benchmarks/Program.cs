using BenchmarkDotNet.Running;

// Micro benchmarks of Sluice's per-request pieces (bench/README.md):
//   dotnet run -c Release --project bench/Sluice.Benchmarks -- --filter '*'
//   dotnet run -c Release --project bench/Sluice.Benchmarks -- --filter '*Balancer*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Sluice.Benchmarks.HotPathBenchmarks).Assembly).Run(args);
