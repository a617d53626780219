using System.Reflection;

namespace Descent.Cli;

/// <summary>Entry point of the <c>descent</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command with the given arguments and returns the exit status.</summary>
    public static int Main(string[] args)
    {
        if (args is ["--version"])
        {
            var version = typeof(Tensor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            Console.WriteLine(version.Split('+')[0]);
            return 0;
        }
        Console.Error.WriteLine("usage: descent --version");
        return 2;
    }
}
