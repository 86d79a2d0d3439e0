using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Runtime;

namespace Edge.Runtime.Tests;

/// <summary>Adapters for tests written against the JsonObject-valued state: states now hold immutable JSON elements.</summary>
internal static class TestJson
{
    /// <summary>The element as compact JSON (keys in the canonical order the state keeps them).</summary>
    public static string ToJsonString(this JsonElement element) => JsonNode.Parse(element.GetRawText())!.ToJsonString();

    /// <summary>A JSON element holding <paramref name="data"/>'s canonical form (CLR floats stay floats).</summary>
    public static JsonElement Element(this JsonObject data) => SyncState.FromData(data, 0).Data;

    /// <summary>The canonical text of a state's or change's data.</summary>
    public static string Text(this ReadOnlyMemory<byte> canonical) => System.Text.Encoding.UTF8.GetString(canonical.Span);
}
