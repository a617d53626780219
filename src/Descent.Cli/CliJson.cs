using System.Text.Json.Serialization;

namespace Descent.Cli;

/// <summary>Source-generated JSON for the model metadata, so the command publishes with Native AOT.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(double[]))]
internal sealed partial class CliJson : JsonSerializerContext;
