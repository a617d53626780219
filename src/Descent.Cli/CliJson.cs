using System.Text.Json;
using System.Text.Json.Serialization;

namespace Descent.Cli;

/// <summary>Source-generated JSON for the model metadata, so the command publishes with Native AOT.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(double[]))]
internal sealed partial class CliJson : JsonSerializerContext;

/// <summary>
/// Numbers in the <c>--json</c> output. JSON has no NaN or infinity (Utf8JsonWriter throws on them), and a model can
/// still produce them, for example a large weight times a large input overflowing float32: they are written as null.
/// </summary>
internal static class JsonNumbers
{
    public static void WriteNumberOrNull(this Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }

    public static void WriteNumberOrNullValue(this Utf8JsonWriter w, double value)
    {
        if (double.IsFinite(value)) w.WriteNumberValue(value);
        else w.WriteNullValue();
    }

    /// <summary>A float32 value, written with the fewest digits that read back as the same float32.</summary>
    public static void WriteNumberOrNullValue(this Utf8JsonWriter w, float value)
    {
        if (float.IsFinite(value)) w.WriteNumberValue(value);
        else w.WriteNullValue();
    }
}
