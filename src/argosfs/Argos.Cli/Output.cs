using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Argos.Cli;

/// <summary>Prints command results: JSON (with --json) or text for people. JSON goes through
/// Utf8JsonWriter (no reflection, AOT safe).</summary>
public static class Output
{
    private static readonly JsonWriterOptions s_indented = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string ToJson(JsonNode? node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, s_indented))
        {
            if (node is null) writer.WriteNullValue();
            else node.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The node as one line of compact JSON (the control channel's framing).</summary>
    public static string ToJsonLine(JsonNode? node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            if (node is null) writer.WriteNullValue();
            else node.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static void Json(JsonNode? node) => Console.Out.WriteLine(ToJson(node));

    public static void Line(string text) => Console.Out.WriteLine(text);

    public static void Error(string text) => Console.Error.WriteLine("argosfs: " + text);
}
