namespace Descent.Cli;

/// <summary>
/// A failure to report to the user as one line on stderr, without a stack trace: bad data, a bad model file or a
/// failed run (exit status 1), or a usage error (exit status 2).
/// </summary>
internal class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    /// <summary>The process exit status this failure maps to.</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>A usage error: an option value the command cannot work with (exit status 2).</summary>
internal sealed class UsageException(string message) : CliException(message, ExitCodes.Usage);

/// <summary>The exit statuses of the <c>descent</c> command.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;

    /// <summary>Ctrl-C: the run did not finish, so it is a failed run (1), whatever was saved on the way out.</summary>
    public const int Interrupted = Failure;
}
