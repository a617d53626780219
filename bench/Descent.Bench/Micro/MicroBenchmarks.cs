using BenchmarkDotNet.Attributes;
using Descent.Bench.Workloads;

namespace Descent.Bench.Micro;

/// <summary>Elementwise ops on contiguous float32 tensors, small (per-op overhead) and large (bandwidth, threads).</summary>
[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    private Tensor _a = null!, _b = null!, _row = null!;

    [Params(10, 1_000, 1_000_000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(0);
        _a = Tensor.Rand([N], generator: g);
        _b = Tensor.Rand([N], generator: g);
        _row = Tensor.Rand([1], generator: g);
    }

    [Benchmark]
    public Tensor Add() => _a + _b;

    [Benchmark]
    public Tensor MulNumber() => _a * 1e-5;

    [Benchmark]
    public Tensor AddBroadcast() => _a + _row;

    [Benchmark]
    public Tensor Exp() => _a.Exp();
}

/// <summary>Reductions: all elements, and over the leading dim of a tall matrix (a bias gradient).</summary>
[MemoryDiagnoser]
public class ReductionBenchmarks
{
    private Tensor _flat = null!, _tall = null!;

    [Params(1_000, 10_000_000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _flat = Tensor.Rand([N], generator: new Generator(0));
        _tall = Tensor.Rand([N / 2, 2], generator: new Generator(1));
    }

    [Benchmark]
    public Tensor SumAll() => _flat.Sum();

    [Benchmark]
    public Tensor SumColumns() => _tall.Sum(0);
}

/// <summary>Square float32 products and the transposed layouts that backward passes.</summary>
public class MatMulBenchmarks
{
    private Tensor _a = null!, _b = null!;

    [Params(5, 64, 256, 1024)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _a = Tensor.Rand([N, N], generator: new Generator(0));
        _b = Tensor.Rand([N, N], generator: new Generator(1));
    }

    [Benchmark]
    public Tensor MatMul() => _a.MatMul(_b);

    [Benchmark]
    public Tensor MatMulATransposed() => _a.T.MatMul(_b);

    [Benchmark]
    public Tensor MatMulBTransposed() => _a.MatMul(_b.T);
}

/// <summary>The lesson's manual epoch (W1) and a full-batch epoch of linear regression on 1,000,000 x 16 inputs.</summary>
[MemoryDiagnoser]
public class EpochBenchmarks
{
    private Lesson.State _lesson = null!;
    private Tensor _x = null!, _y = null!, _w = null!, _bias = null!;

    [GlobalSetup]
    public void Setup()
    {
        _lesson = new Lesson.State();
        var g = new Generator(0);
        _x = Tensor.Rand([1_000_000, 16], generator: g);
        _y = Tensor.Rand([1_000_000, 1], generator: g);
        _w = Tensor.Zeros([1, 16], requiresGrad: true);
        _bias = Tensor.Zeros([1], DType.Float32, requiresGrad: true);
    }

    [Benchmark]
    public float LessonManualEpoch() => _lesson.Epoch();

    [Benchmark]
    public float LinearRegression1Mx16()
    {
        var diff = _x.MatMul(_w.T) + _bias - _y;
        var loss = (diff * diff).Sum() / diff.Numel();
        loss.Backward();
        using (Tensor.NoGrad())
        {
            _w.SubInPlace(_w.Grad! * 0.1);
            _bias.SubInPlace(_bias.Grad! * 0.1);
            _w.Grad!.ZeroInPlace();
            _bias.Grad!.ZeroInPlace();
        }
        return loss.Item<float>();
    }
}
