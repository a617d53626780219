namespace Descent.Autograd;

/// <summary>
/// Reverse-mode differentiation over the recorded graph, without recursion: a dependency count per node, then one
/// loop that runs each node once all of its consumers have handed it their gradients (see
/// docs/notes/autograd-engine.md).
/// </summary>
internal static class Engine
{
    private static int _stamp;

    /// <summary>
    /// Backward passes run one at a time: nodes keep their pass's counts and pending gradients, and passes from
    /// several threads may share nodes (a leaf's accumulator). PyTorch's engine is safe to call from several
    /// threads too; without this, two threads' gradients for one leaf were lost.
    /// </summary>
    private static readonly Lock Gate = new();

    public static void Backward(Tensor root, Tensor grad, bool retainGraph)
    {
        lock (Gate) Run(root, grad, retainGraph);
    }

    private static void Run(Tensor root, Tensor grad, bool retainGraph)
    {
        var rootNode = root.GradEdge ?? throw new InvalidOperationException(
            "Backward: the tensor does not require grad and has no grad_fn; set RequiresGrad = true on the inputs you want gradients for, "
            + "do not compute it inside NoGrad(), and update parameters in place (w.SubInPlace(w.Grad! * lr)): in C#, w -= w.Grad! * lr makes a new "
            + "tensor that does not require grad and leaves the parameter behind");
        int stamp = Interlocked.Increment(ref _stamp);
        var ready = new Stack<Node>();
        CountDependencies(rootNode, stamp, ready);

        using var _ = GradMode.Set(false);
        rootNode.PendingGrad = grad;
        ready.Push(rootNode);
        while (ready.TryPop(out var node))
        {
            var g = node.PendingGrad;
            node.PendingGrad = null;
            // Only a leaf's accumulator may keep a fresh gradient; any other node may pass it on to several edges.
            if (g is not null && node is not AccumulateGrad) g.FreshGrad = false;
            var grads = g is null ? [] : node.Apply(g);
            for (int i = 0; i < node.Next.Length; i++)
            {
                var next = node.Next[i];
                if (next is null) continue;
                var gi = i < grads.Length ? grads[i] : null;
                if (gi is not null)
                    next.PendingGrad = next.PendingGrad is null ? gi : Node.Fresh(next.PendingGrad + gi);
                if (--next.Dependencies == 0) ready.Push(next);
            }
            if (!retainGraph) node.Release();
        }
    }

    /// <summary>Counts, for every node reachable from the root, how many edges point at it, and clears what it holds.</summary>
    private static void CountDependencies(Node root, int stamp, Stack<Node> work)
    {
        // Gradients left waiting by a backward pass that threw are dropped: each pass starts from nothing.
        root.Stamp = stamp;
        root.Dependencies = 0;
        root.PendingGrad = null;
        work.Push(root);
        while (work.TryPop(out var node))
        {
            foreach (var next in node.Next)
            {
                if (next is null) continue;
                if (next.Stamp != stamp)
                {
                    next.Stamp = stamp;
                    next.Dependencies = 0;
                    next.PendingGrad = null;
                    work.Push(next);
                }
                next.Dependencies++;
            }
        }
    }
}
