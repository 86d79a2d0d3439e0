namespace Edge.Host.Options;

/// <summary>The node's identity (configuration section <c>Node</c>).</summary>
public sealed class NodeOptions
{
    /// <summary>This node's id: an MQTT topic level (<see cref="Node.NodeIds"/>). Default: the host name.</summary>
    [NodeId]
    public string Id { get; set; } = DefaultId();

    /// <summary>Display name; the id when unset.</summary>
    public string? Name { get; set; }

    public string Location { get; set; } = "";

    /// <summary>Comma-separated capabilities, e.g. <c>gpu,camera</c>.</summary>
    public string Capabilities { get; set; } = "";

    public IReadOnlyList<string> CapabilityList => Capabilities.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string DefaultId()
    {
        var name = Environment.MachineName;
        return string.IsNullOrWhiteSpace(name) ? "edge-node" : name.ToLowerInvariant();
    }
}
