using System.Text.Json;
using System.Text.Json.Nodes;

namespace Edge.Host.Tests;

/// <summary>Adapters for tests written against the JsonObject-valued state: states now hold immutable JSON elements.</summary>
internal static class TestJson
{
    /// <summary>The element as compact JSON (keys in the canonical order the state keeps them).</summary>
    public static string ToJsonString(this JsonElement element) => JsonNode.Parse(element.GetRawText())!.ToJsonString();
}
