namespace Descent.Autograd;

/// <summary>
/// Whether operations are recorded for backward on the current thread (PyTorch's grad mode). Change it with the
/// nestable scopes <see cref="Tensor.NoGrad"/> and <see cref="Tensor.EnableGrad"/>.
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static bool _disabled;

    /// <summary>True when operations on tensors that require grad are recorded (the default).</summary>
    public static bool IsEnabled => !_disabled;

    internal static Scope Set(bool enabled)
    {
        var scope = new Scope(!_disabled);
        _disabled = !enabled;
        return scope;
    }

    /// <summary>True when an op on these inputs must record a node.</summary>
    internal static bool Records(Tensor a) => !_disabled && a.RequiresGradForOp;

    /// <summary>True when an op on these inputs must record a node.</summary>
    internal static bool Records(Tensor a, Tensor b) => !_disabled && (a.RequiresGradForOp | b.RequiresGradForOp);

    /// <summary>
    /// Restores the previous grad mode when disposed. Dispose it on the thread that created it. A struct, so that
    /// the <c>using (Tensor.NoGrad())</c> of every update step allocates nothing.
    /// </summary>
    public struct Scope : IDisposable
    {
        private readonly bool _previous;
        private bool _disposed;

        internal Scope(bool previous) => _previous = previous;

        /// <summary>Restores the grad mode that was in force when the scope began.</summary>
        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _disabled = !_previous;
        }
    }
}
