using Descent.IO;
using Xunit;

namespace Descent.Tests.IO;

public class AtomicWriteTests
{
    private static readonly byte[] Original = "the previous, complete file"u8.ToArray();

    private static (TempDir Dir, string Path) Existing(string name)
    {
        var dir = TempDir.Create();
        var path = Path.Combine(dir.Path, name);
        File.WriteAllBytes(path, Original);
        return (dir, path);
    }

    private static void AssertUntouchedAndNoTempLeft(TempDir dir, string path)
    {
        Assert.Equal(Original, File.ReadAllBytes(path));
        Assert.Equal([Path.GetFileName(path)], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void AWriterThatFailsHalfwayLeavesTheOldFileAndNoTemporaryFile()
    {
        var (dir, path) = Existing("model.bin");
        using var _ = dir;
        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]);
            throw new InvalidOperationException("disk on fire");
        }));
        Assert.Equal("disk on fire", e.Message);
        AssertUntouchedAndNoTempLeft(dir, path);
    }

    [Fact]
    public void NpzSaveThatFailsMidArchiveLeavesTheOldFile()
    {
        var (dir, path) = Existing("arrays.npz");
        using var _ = dir;
        Assert.Throws<InvalidOperationException>(() => Npz.Save(path, new ThrowingDictionary(), compress: true));
        AssertUntouchedAndNoTempLeft(dir, path);
    }

    [Fact]
    public void InvalidArgumentsFailBeforeAnyFileIsTouched()
    {
        var (dir, path) = Existing("model.safetensors");
        using var _ = dir;
        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = null! }));
        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(1) }));
        AssertUntouchedAndNoTempLeft(dir, path);
    }

    [Fact]
    public void AHeaderLargerThanReadersAcceptIsRefusedBeforeAnyFileIsTouched()
    {
        // Metadata that pushes the header past 100 MB made a file that this reader and the reference refuse to open.
        var (dir, path) = Existing("model.safetensors");
        using var _ = dir;
        var metadata = new Dictionary<string, string> { ["notes"] = new string('x', (int)Safetensors.MaxHeaderBytes) };
        var e = Assert.Throws<ArgumentException>(() => Safetensors.Save(path, IOFixtures.Sample(), metadata));
        Assert.Contains($"more than the {Safetensors.MaxHeaderBytes} bytes that readers accept", e.Message);
        AssertUntouchedAndNoTempLeft(dir, path);
    }

    [Fact]
    public void ATensorWithMoreDimensionsThanTheReadersAcceptIsRefusedBeforeAnyFileIsTouched()
    {
        // 65 dims: the readers stop at 64, so the files written used to fail to load.
        var (dir, path) = Existing("model.safetensors");
        using var _ = dir;
        var deep = Tensor.Ones(Enumerable.Repeat(1, TensorBytes.MaxRank + 1).ToArray());
        var e = Assert.Throws<ArgumentException>(() => Safetensors.Save(path, new Dictionary<string, Tensor> { ["deep"] = deep }));
        Assert.Contains("tensor 'deep' has 65 dimensions; files hold at most 64", e.Message);
        Assert.Throws<ArgumentException>(() => Npy.Save(path, deep));
        Assert.Throws<ArgumentException>(() => Npz.Save(path, new Dictionary<string, Tensor> { ["deep"] = deep }));
        Assert.Throws<ArgumentException>(() => Npy.Save(new MemoryStream(), deep));
        AssertUntouchedAndNoTempLeft(dir, path);

        var widest = Tensor.Ones(Enumerable.Repeat(1, TensorBytes.MaxRank).ToArray());
        Assert.Equal(TensorBytes.MaxRank, Safetensors.Load(Safetensors.Serialize(new Dictionary<string, Tensor> { ["w"] = widest }))["w"].Dim);
        var npy = new MemoryStream();
        Npy.Save(npy, widest);
        Assert.Equal(TensorBytes.MaxRank, Npy.Load(npy.ToArray()).Dim);
    }

    [Fact]
    public void AnUnwritableTargetFailsAndLeavesNoTemporaryFile()
    {
        using var dir = TempDir.Create();
        var target = Path.Combine(dir.Path, "taken");
        Directory.CreateDirectory(target);
        File.WriteAllBytes(Path.Combine(target, "inside"), Original);
        var tensors = IOFixtures.Sample();
        Assert.ThrowsAny<IOException>(() => Safetensors.Save(target, tensors));
        Assert.ThrowsAny<IOException>(() => Npy.Save(target, tensors["weight"]));
        Assert.ThrowsAny<IOException>(() => Npz.Save(target, tensors));
        Assert.Equal(["taken"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
        Assert.Equal(Original, File.ReadAllBytes(Path.Combine(target, "inside")));
        Assert.Throws<DirectoryNotFoundException>(() => Npy.Save(Path.Combine(dir.Path, "missing", "x.npy"), tensors["weight"]));
    }

    [Fact]
    public void FailuresNameTheCallersPathNotTheTemporaryFile()
    {
        using var dir = TempDir.Create();
        var tensors = IOFixtures.Sample();
        var missing = Path.Combine(dir.Path, "missing", "x.npy");
        var e = Assert.Throws<DirectoryNotFoundException>(() => Npy.Save(missing, tensors["weight"]));
        Assert.Contains(missing, e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
        var taken = Path.Combine(dir.Path, "taken");
        Directory.CreateDirectory(taken);
        var io = Assert.ThrowsAny<IOException>(() => Safetensors.Save(taken, tensors));
        Assert.DoesNotContain(".tmp", io.Message);
    }

    [Fact]
    public void ASuccessfulSaveReplacesTheOldFileWhole()
    {
        var (dir, path) = Existing("model.safetensors");
        using var _ = dir;
        Safetensors.Save(path, IOFixtures.Sample());
        Assert.Equal(Safetensors.Serialize(IOFixtures.Sample()), File.ReadAllBytes(path));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void AReplacedFileKeepsItsPermissions()
    {
        if (OperatingSystem.IsWindows()) return; // no Unix file modes there
        // The new file was created with the default mode, so a file only its owner could read became readable by all.
        var (dir, path) = Existing("model.safetensors");
        using var _ = dir;
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        File.SetUnixFileMode(path, ownerOnly);
        Safetensors.Save(path, IOFixtures.Sample());
        Assert.Equal(ownerOnly, File.GetUnixFileMode(path));
        Assert.Equal(Safetensors.Serialize(IOFixtures.Sample()), File.ReadAllBytes(path));
    }

    [Fact]
    public void ASymbolicLinkIsWrittenThroughAndKept()
    {
        if (OperatingSystem.IsWindows()) return; // creating links there needs a privilege
        // As np.save and torch.save do; the link used to be replaced by a new file, leaving the file it named stale.
        var (dir, path) = Existing("run-1.safetensors");
        using var _ = dir;
        var link = Path.Combine(dir.Path, "latest.safetensors");
        File.CreateSymbolicLink(link, "run-1.safetensors");
        Safetensors.Save(link, IOFixtures.Sample());
        Assert.Equal("run-1.safetensors", new FileInfo(link).LinkTarget);
        Assert.Equal(Safetensors.Serialize(IOFixtures.Sample()), File.ReadAllBytes(path));
        Assert.Equal(2, Directory.GetFileSystemEntries(dir.Path).Length);

        // A link to a file not yet there creates it, as opening the link for writing does.
        var dangling = Path.Combine(dir.Path, "next.npy");
        File.CreateSymbolicLink(dangling, "run-2.npy");
        Npy.Save(dangling, Tensor.Ones(2));
        Assert.Equal("run-2.npy", new FileInfo(dangling).LinkTarget);
        Assert.Equal([1f, 1f], Npy.Load(Path.Combine(dir.Path, "run-2.npy")).ToArray<float>());
    }

    [Theory]
    [InlineData(240, 'm', ".safetensors")]
    [InlineData(118, '\u00e9', ".npy")]
    public void ANameNearTheFileSystemsLimitIsSavedAndReplacedWhole(int repeat, char c, string extension)
    {
        // 252 ASCII characters, or 118 two-byte ones (236 bytes) and ".npy": both within the 255-byte name limit.
        var (dir, path) = Existing(new string(c, repeat) + extension);
        using var _ = dir;
        var tensors = IOFixtures.Sample();
        if (extension == ".npy") Npy.Save(path, tensors["weight"]);
        else Safetensors.Save(path, tensors);
        Assert.NotEqual(Original, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
    }

    /// <summary>Yields one tensor, then fails, as a lazily computed state dict might.</summary>
    private sealed class ThrowingDictionary : IReadOnlyDictionary<string, Tensor>
    {
        public Tensor this[string key] => throw new KeyNotFoundException();
        public IEnumerable<string> Keys => ["a", "b"];
        public IEnumerable<Tensor> Values => throw new InvalidOperationException("unreachable");
        public int Count => 2;
        public bool ContainsKey(string key) => false;
        public bool TryGetValue(string key, out Tensor value) => throw new KeyNotFoundException();
        public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
        {
            yield return new("a", Tensor.Ones(1000));
            throw new InvalidOperationException("the second tensor could not be computed");
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
