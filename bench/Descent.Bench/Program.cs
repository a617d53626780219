using BenchmarkDotNet.Running;
using Descent.Bench.Workloads;

namespace Descent.Bench;

/// <summary>
/// <c>dotnet run -c Release -- workloads W1</c> (and W3, W6, hw) runs one whole workload and prints one JSON line,
/// as bench/peers/workloads.py does for PyTorch; anything else goes to BenchmarkDotNet's switcher.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "workloads") return Runner.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
