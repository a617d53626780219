using System.Buffers.Binary;
using Descent.IO;
using Xunit;

namespace Descent.Tests.IO;

/// <summary>Tensors whose data passes 2 GiB, more bytes than one span can count, go through files whole.</summary>
/// <remarks>
/// Alone, so that no other test's collection sees these 2 GiB alive and sizes the large-buffer budget on them
/// (StorageTests count on the budget following the live heap).
/// </remarks>
[Collection(nameof(LargeTensorFileTests))]
public class LargeTensorFileTests
{
    // 2^28 + 3 int64 values: 2 GiB and 24 bytes. A few marked elements, among zeros, show a lost or misplaced chunk.
    private const int N = (1 << 28) + 3;
    private static readonly int[] Marked = [0, 1, (1 << 17) - 1, 1 << 17, (1 << 28) - 1, 1 << 28, N - 1];

    [Fact]
    public void ATensorOfMoreThan2GiBIsWrittenWhole()
    {
        var t = Tensor.Zeros([N], DType.Int64);
        foreach (int i in Marked) t.Span<long>()[i] = i + 1L;
        var header = Npy.Header(t);
        var sink = new SparseStream(header.Length + 8L * N, header.Length, Marked);
        Npy.Save(sink, t);
        Assert.Equal(sink.Length, sink.Position);
        foreach (int i in Marked) Assert.Equal(i + 1L, sink.Marks[i]);
    }

    [Fact]
    public void ATensorOfMoreThan2GiBIsReadWhole()
    {
        var header = Npy.Wrap($"{{'descr': '<i8', 'fortran_order': False, 'shape': ({N},), }}");
        var source = new SparseStream(header.Length + 8L * N, header.Length, Marked, header);
        foreach (int i in Marked) source.Marks[i] = i + 1L;
        var t = Npy.Load(source);
        Assert.Equal([N], t.Shape.ToArray());
        var values = t.Span<long>();
        foreach (int i in Marked)
        {
            Assert.Equal(i + 1L, values[i]);
            values[i] = 0;
        }
        Assert.False(values.ContainsAnyExcept(0L));
    }

    /// <summary>
    /// A seekable stream of <c>length</c> bytes that holds no data: reads give <c>header</c>, then zeros except
    /// the marked int64 elements after it; writes are dropped except for the marked elements, which are kept.
    /// </summary>
    private sealed class SparseStream(long length, int dataStart, int[] marked, byte[]? header = null) : Stream
    {
        public Dictionary<int, long> Marks { get; } = [];

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => true;
        public override long Length => length;
        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var span = buffer.AsSpan(offset, (int)Math.Min(count, length - Position));
            span.Clear();
            if (header is not null && Position < header.Length)
                header.AsSpan((int)Position, Math.Min(span.Length, header.Length - (int)Position)).CopyTo(span);
            Span<byte> bytes = stackalloc byte[8];
            foreach (int i in marked)
            {
                BinaryPrimitives.WriteInt64LittleEndian(bytes, Marks.GetValueOrDefault(i));
                for (int b = 0; b < 8; b++)
                {
                    long at = dataStart + 8L * i + b - Position;
                    if (at >= 0 && at < span.Length) span[(int)at] = bytes[b];
                }
            }
            Position += span.Length;
            return span.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            foreach (int i in marked)
                for (int b = 0; b < 8; b++)
                {
                    long at = dataStart + 8L * i + b - Position;
                    if (at >= 0 && at < buffer.Length) Marks[i] = Marks.GetValueOrDefault(i) | (long)buffer[(int)at] << (8 * b);
                }
            Position += buffer.Length;
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

[CollectionDefinition(nameof(LargeTensorFileTests), DisableParallelization = true)]
public sealed class LargeTensorFileCollection;
