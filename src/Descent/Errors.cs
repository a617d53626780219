namespace Descent;

/// <summary>
/// Thrown when the shapes of tensors do not fit an operation. The message names the operation and the shapes,
/// for example <c>MatMul: cannot multiply 5x3 by 2x3</c>.
/// </summary>
public sealed class ShapeMismatchException(string message) : ArgumentException(message);

/// <summary>Thrown when a tensor's dtype does not fit an operation, for example a MatMul of float32 by float64.</summary>
public sealed class DTypeMismatchException(string message) : ArgumentException(message);

internal static class Shapes
{
    public static string Format(ReadOnlySpan<int> shape) => shape.Length == 0 ? "[]" : "[" + string.Join(", ", shape.ToArray()) + "]";

    public static string Times(ReadOnlySpan<int> shape) => shape.Length == 0 ? "scalar" : string.Join("x", shape.ToArray());

    public static int Numel(ReadOnlySpan<int> shape)
    {
        // A zero anywhere makes an empty tensor, however large the dims before it ([65536, 65536, 0]).
        if (shape.Contains(0)) return 0;
        long n = 1;
        foreach (var d in shape)
        {
            n *= d;
            if (n > Array.MaxLength) throw new ArgumentException($"a tensor of shape {Format(shape)} has more elements than .NET can hold in one array ({Array.MaxLength})");
        }
        return (int)n;
    }

    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= Math.Max(shape[i], 1);
        }
        return strides;
    }

    /// <summary>
    /// Wraps a possibly negative dim into [0, rank), or throws naming the op; <paramref name="tensorDims"/> is the
    /// tensor's own number of dims when the op counts one more (Unsqueeze inserts one).
    /// </summary>
    public static int Dim(int dim, int rank, string op, int? tensorDims = null)
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"{op}: dim {dim} is out of range for a tensor of {tensorDims ?? rank} dims (expected -{r} to {r - 1})");
        return dim < 0 ? dim + r : dim;
    }

    /// <summary>True when two shapes broadcast together.</summary>
    public static bool CanBroadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        for (int i = 1; i <= Math.Min(a.Length, b.Length); i++)
            if (a[^i] != b[^i] && a[^i] != 1 && b[^i] != 1) return false;
        return true;
    }

    /// <summary>NumPy/PyTorch broadcasting of two shapes.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int n = Math.Max(a.Length, b.Length);
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i < n - a.Length ? 1 : a[i - (n - a.Length)];
            int db = i < n - b.Length ? 1 : b[i - (n - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ShapeMismatchException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together (dim {i}: {da} vs {db})");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }
}
