using System.Text;
using Descent.IO;
using Xunit;

namespace Descent.Tests.IO;

public class CsvTests
{
    private static readonly string Apples = IOFixtures.PathOf("apples_oranges.csv");

    [Fact]
    public void LoadsTheLessonsDataWithTargetsByNameAndEveryOtherColumnAsAFeature()
    {
        var data = Csv.Load(Apples, "apples", "oranges");
        Assert.Equal(["temp", "rainfall", "humidity"], data.FeatureNames);
        Assert.Equal(["apples", "oranges"], data.TargetNames);
        Assert.Equal(15, data.Rows);
        Assert.Equal(DType.Float32, data.Features.DType);
        Assert.Equal([15, 3], data.Features.Shape.ToArray());
        Assert.Equal([15, 2], data.Targets.Shape.ToArray());
        // The lesson's first five rows are its `inputs` and `targets`.
        var inputs = new float[,] { { 73, 67, 43 }, { 91, 88, 64 }, { 87, 134, 58 }, { 102, 43, 37 }, { 69, 96, 70 } };
        var targets = new float[,] { { 56, 70 }, { 81, 101 }, { 119, 133 }, { 22, 37 }, { 103, 119 } };
        Assert.Equal(inputs, (float[,])data.Features[..5].ToArray());
        Assert.Equal(targets, (float[,])data.Targets[..5].ToArray());
        Assert.Equal(new float[] { 68, 97, 70 }, data.Features[14].ToArray<float>());
        Assert.Equal(new float[] { 102, 120 }, data.Targets[14].ToArray<float>());
    }

    [Fact]
    public void LoadsLinnerudWithChosenFeatureOrderAsFloat64()
    {
        var data = Csv.Load(IOFixtures.PathOf("linnerud.csv"), new CsvOptions
        {
            Targets = ["pulse", "weight"],
            Features = ["jumps", "chins"],
            DType = DType.Float64,
        });
        Assert.Equal(DType.Float64, data.Targets.DType);
        Assert.Equal([20, 2], data.Features.Shape.ToArray());
        Assert.Equal(new double[] { 60, 5 }, data.Features[0].ToArray<double>());
        Assert.Equal(new double[] { 50, 191 }, data.Targets[0].ToArray<double>());
        Assert.Equal(new double[] { 68, 138 }, data.Targets[19].ToArray<double>());
    }

    [Fact]
    public void WithoutTargetsEveryColumnIsAFeature()
    {
        var data = Csv.Parse("a,b\n1,2\n", new CsvOptions());
        Assert.Equal(["a", "b"], data.FeatureNames);
        Assert.Equal([1, 0], data.Targets.Shape.ToArray());
    }

    [Fact]
    public void ParsesNumbersWithTheInvariantCultureAndRoundsOnceToFloat32()
    {
        var data = Csv.Parse("x\n1.5\n-2.5E-1\n 7 \n1e3\n+4\n0.1\n16777217\n", new CsvOptions());
        Assert.Equal(new[] { 1.5f, -0.25f, 7f, 1000f, 4f, 0.1f, 16777216f }, data.Features.ToArray<float>());
        var wide = Csv.Parse("x\n0.1\n16777217\n", new CsvOptions { DType = DType.Float64 });
        Assert.Equal(new[] { 0.1, 16777217.0 }, wide.Features.ToArray<double>());
    }

    [Fact]
    public void HandlesQuotedFieldsCrlfBlankLinesAndAByteOrderMark()
    {
        var text = "\uFEFF\"temp, °F\",\"say \"\"hi\"\"\",y\r\n\r\n\"1.5\",2,3\r\n  \r\n4,\"5\",\"6\"\r\n";
        var data = Csv.Parse(text, new CsvOptions { Targets = ["y"] });
        Assert.Equal(["temp, °F", "say \"hi\""], data.FeatureNames);
        Assert.Equal(new float[,] { { 1.5f, 2 }, { 4, 5 } }, (float[,])data.Features.ToArray());
        Assert.Equal(new float[] { 3, 6 }, data.Targets.ToArray<float>());
    }

    [Fact]
    public void AQuotedHeaderNameMaySpanLinesAndLaterLineNumbersStayTrue()
    {
        var e = Assert.Throws<CsvFormatException>(() => Csv.Parse("\"a\nb\",c\n1,2\n\n3,x\n", new CsvOptions(), "t.csv"));
        Assert.Equal(5, e.Line);
        Assert.Equal(2, e.Column);
    }

    [Fact]
    public void AColumnWithNoNameIsNotTakenAsAFeature()
    {
        // pandas' to_csv writes the row index as a first column with an empty name.
        const string text = ",a,y\n0,1,2\n1,2,4\n2,3,7\n";
        var e = Assert.Throws<CsvFormatException>(() => Csv.Parse(text, new CsvOptions { Targets = ["y"] }, "idx.csv"));
        Assert.Equal("idx.csv: line 1, column 1: column 1 has no name in the header, so it cannot be a feature (a nameless first " +
            "column is usually the row index pandas writes: save with to_csv(index=False)); name it, or choose the feature columns by name", e.Message);
        var later = Assert.Throws<CsvFormatException>(() => Csv.Parse("a, ,y\n1,2,3\n", new CsvOptions { Targets = ["y"] }, "gap.csv"));
        Assert.StartsWith("gap.csv: line 1, column 2: column 2 has no name in the header, so it cannot be a feature; name it", later.Message);
        var chosen = Csv.Parse(text, new CsvOptions { Targets = ["y"], Features = ["a"] });
        Assert.Equal(new[] { "a" }, chosen.FeatureNames);
        Assert.Equal(new[] { 1f, 2f, 3f }, chosen.Features.ToArray<float>());
    }

    [Fact]
    public void ReadsFromStreamsTextReadersAndOtherSeparators()
    {
        var bytes = File.ReadAllBytes(Apples);
        Assert.Equal(15, Csv.Read(new MemoryStream(bytes), new CsvOptions { Targets = ["apples"] }).Rows);
        using var reader = new StringReader("a;b\n1,5;2\n");
        var e = Assert.Throws<CsvFormatException>(() => Csv.Read(reader, new CsvOptions { Separator = ';' }, "semi.csv"));
        Assert.Equal("semi.csv: line 2, column 1 ('a'): '1,5' is not a number", e.Message);
        using var ok = new StringReader("a;b\n1.5;2\n");
        Assert.Equal(new[] { 1.5f, 2f }, Csv.Read(ok, new CsvOptions { Separator = ';' }).Features.ToArray<float>());
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,x\n", 3, 2, "b", "'x' is not a number")]
    [InlineData("a,b\n1,2\n3,\n", 3, 2, "b", "the value is empty")]
    [InlineData("a,b\n1,2\n\"\",4\n", 3, 1, "a", "the value is empty")]
    [InlineData("a,b\n1,NaN\n", 2, 2, "b", "'NaN' is not a finite number")]
    [InlineData("a,b\n1,-Infinity\n", 2, 2, "b", "not a finite number")]
    [InlineData("a,b\n1,1e39\n", 2, 2, "b", "'1e39' is outside the range of float32")]
    [InlineData("a,b\n1,1e400\n", 2, 2, "b", "'1e400' is outside the range of float32")]
    [InlineData("a,b\n1,inf\n", 2, 2, "b", "'inf' is not a finite number")]
    [InlineData("a,b\n1,-INF\n", 2, 2, "b", "'-INF' is not a finite number")]
    [InlineData("a,b\n1,infinite\n", 2, 2, "b", "'infinite' is not a number")]
    [InlineData("a,b\n1,\"2\n", 2, 2, "b", "a quoted field is never closed")]
    [InlineData("a,b\n1,\"2\"x\n", 2, 2, "b", "text follows the closing quote in '\"2\"x'")]
    [InlineData("a,b\n1,2\"\n", 2, 2, "b", "a quote appears inside the unquoted field")]
    [InlineData("a,a\n1,2\n", 1, 2, "a", "the header names column 'a' twice (columns 1 and 2)")]
    [InlineData("a,\0b\n1,2\n", 1, 2, null, "control character U+0000; this does not look like a text CSV file")]
    [InlineData("a,b\n1,2\n3,\u0001\"\n", 3, 2, "b", "control character U+0001")]
    [InlineData("a,b\n1,\uFFFD\n", 2, 2, "b", "bytes that are not UTF-8 text")]
    public void BadValuesNameTheFileLineAndColumn(string text, int line, int column, string? columnName, string message)
    {
        var e = Assert.Throws<CsvFormatException>(() => Csv.Parse(text, new CsvOptions(), "data.csv"));
        Assert.Equal("data.csv", e.FileName);
        Assert.Equal(line, e.Line);
        Assert.Equal(column, e.Column);
        Assert.Equal(columnName, e.ColumnName);
        Assert.Contains(message, e.Message);
        Assert.StartsWith($"data.csv: line {line}, column {column}", e.Message);
    }

    [Theory]
    [InlineData("", null, "the file is empty")]
    [InlineData("\n\n  \n", null, "the file is empty")]
    [InlineData("a,b\n", null, "a header row but no data rows")]
    [InlineData("a,b\n\n", null, "a header row but no data rows")]
    [InlineData("a,b\n1,2\n3\n", 3, "the row has 1 fields but the header has 2")]
    [InlineData("a,b\n1,2\n3,4,5\n", 3, "the row has 3 fields but the header has 2")]
    [InlineData("a,b\n1,2\n", 1, "there is no target column 'y'; the header has 'a', 'b'")]
    public void StructuralProblemsNameTheFileAndLine(string text, int? line, string message)
    {
        var e = Assert.Throws<CsvFormatException>(() => Csv.Parse(text, new CsvOptions { Targets = message.Contains("'y'") ? ["y"] : [] }, "data.csv"));
        Assert.Equal(line, e.Line);
        Assert.Null(e.Column);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ColumnSelectionErrorsAreReported()
    {
        const string text = "a,b,c\n1,2,3\n";
        Assert.Contains("there is no feature column 'd'", Assert.Throws<CsvFormatException>(() => Csv.Parse(text, new CsvOptions { Features = ["a", "d"] })).Message);
        Assert.Contains("column 'a' is asked for as both a feature and a target", Assert.Throws<CsvFormatException>(() => Csv.Parse(text, new CsvOptions { Features = ["a"], Targets = ["a"] })).Message);
        Assert.Contains("target column 'b' is asked for twice", Assert.Throws<CsvFormatException>(() => Csv.Parse(text, new CsvOptions { Targets = ["b", "b"] })).Message);
        Assert.Throws<ArgumentException>(() => Csv.Parse(text, new CsvOptions { DType = DType.Int64 }));
    }

    [Fact]
    public void AMissingColumnNamesAnotherCaseOrAnotherSeparator()
    {
        var cased = Assert.Throws<CsvFormatException>(() => Csv.Parse("chins,weight\n1,2\n", new CsvOptions { Targets = ["Weight"] }));
        Assert.Contains("names are case-sensitive: the file's column is 'weight'", cased.Message);
        var semicolons = Assert.Throws<CsvFormatException>(() => Csv.Parse("temp;apples\n73;56\n", new CsvOptions { Targets = ["apples"] }));
        Assert.Contains("the file seems to be separated by ';', not ','", semicolons.Message);
        var tabs = Assert.Throws<CsvFormatException>(() => Csv.Parse("temp,apples\n73,56\n", new CsvOptions { Targets = ["apples"], Separator = '\t' }));
        Assert.Contains("separated by ',', not tabs", tabs.Message);
        Assert.EndsWith("'a', 'b'", Assert.Throws<CsvFormatException>(() => Csv.Parse("a,b\n1,2\n", new CsvOptions { Targets = ["y"] })).Message);
    }

    [Fact]
    public void NonFiniteValuesCanBeAllowed()
    {
        var data = Csv.Parse("a\nNaN\n-Infinity\n1e39\n", new CsvOptions { AllowNonFinite = true });
        var v = data.Features.ToArray<float>();
        Assert.True(float.IsNaN(v[0]));
        Assert.Equal(float.NegativeInfinity, v[1]);
        Assert.Equal(float.PositiveInfinity, v[2]);
        // NumPy's savetxt and pandas' to_csv write infinities as inf and -inf, and NaN as nan.
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var numpy = Csv.Parse("a\ninf\n-inf\n+Inf\nnan\n1e400\n", new CsvOptions { AllowNonFinite = true, DType = dtype }).Features.To(DType.Float64).ToArray<double>();
            Assert.Equal([double.PositiveInfinity, double.NegativeInfinity, double.PositiveInfinity], numpy[..3]);
            Assert.True(double.IsNaN(numpy[3]));
            Assert.Equal(double.PositiveInfinity, numpy[4]);
        }
    }

    [Fact]
    public void BinaryGarbageIsRejectedAsNotText()
    {
        using var dir = TempDir.Create();
        var path = Path.Combine(dir.Path, "model.csv");
        File.WriteAllBytes(path, File.ReadAllBytes(IOFixtures.PathOf("linear.safetensors")));
        var e = Assert.Throws<CsvFormatException>(() => Csv.Load(path, "y"));
        Assert.StartsWith(path + ": line 1", e.Message);
        Assert.Contains("does not look like a text CSV file", e.Message);
    }

    [Fact]
    public void ALatin1FileIsToldToBeSavedAsUtf8()
    {
        using var dir = TempDir.Create();
        var path = Path.Combine(dir.Path, "latin1.csv");
        File.WriteAllBytes(path, [.. "city,y\n"u8, (byte)'K', 0xF6, .. "ln,3\n"u8]); // Köln in Latin-1
        var e = Assert.Throws<CsvFormatException>(() => Csv.Load(path, new CsvOptions { Targets = ["y"], Features = [] }));
        Assert.StartsWith(path + ": line 2, column 1 ('city'): the field holds bytes that are not UTF-8 text", e.Message);
        Assert.EndsWith("or it is text in another encoding such as Latin-1: save it as UTF-8", e.Message);
    }

    [Fact]
    public void ReadHeaderReadsOnlyTheHeader()
    {
        using var dir = TempDir.Create();
        var path = Path.Combine(dir.Path, "data.csv");
        File.WriteAllText(path, "\n\"a\"; b ;c\n1;2;not a number\n");
        Assert.Equal(["a", "b", "c"], Csv.ReadHeader(path, ';'));
        File.WriteAllText(path, "\n\n");
        Assert.Contains("the file is empty", Assert.Throws<CsvFormatException>(() => Csv.ReadHeader(path)).Message);
        File.WriteAllText(path, "a,b,a\n1,2,3\n");
        Assert.Contains("names column 'a' twice", Assert.Throws<CsvFormatException>(() => Csv.ReadHeader(path)).Message);
    }

    [Fact]
    public void AMissingFileIsAPlainFileNotFoundException()
    {
        Assert.Throws<FileNotFoundException>(() => Csv.Load(Path.Combine(AppContext.BaseDirectory, "no-such.csv"), "y"));
    }

    [Fact]
    public void AFileWithAByteOrderMarkLoads()
    {
        using var dir = TempDir.Create();
        var path = Path.Combine(dir.Path, "bom.csv");
        File.WriteAllText(path, "x,y\n1,2\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(["x"], Csv.Load(path, "y").FeatureNames);
    }

    [Fact]
    public void AFirstRowTooLongToReadIsAFormatError()
    {
        // Sep reads the first row while it opens the source; a row past its 16 Mi-character limit escaped as a raw
        // NotSupportedException with no file name.
        var text = new string('a', 17_000_000) + ",y\n1,2\n";
        var e = Assert.Throws<CsvFormatException>(() => Csv.Parse(text, new CsvOptions { Targets = ["y"] }, "wide.csv"));
        Assert.StartsWith("wide.csv: cannot be read as CSV", e.Message);
    }

    [Theory]
    [InlineData('"')]
    [InlineData('\n')]
    [InlineData('\0')]
    [InlineData('1')]
    [InlineData('.')]
    [InlineData('-')]
    public void SeparatorsThatCannotSeparateAreRefused(char separator)
    {
        var e = Assert.Throws<ArgumentException>(() => Csv.Parse("a,y\n1,2\n", new CsvOptions { Separator = separator }));
        Assert.Contains("Csv: the separator cannot be", e.Message);
    }
}
