using Edge.Runtime;

namespace Edge.Host.Functions;

/// <summary>
/// A deployed function's descriptor as the node reports it: in <c>GET /v1/functions</c>, in heartbeats, and in the
/// coordinator's fleet registry.
/// </summary>
/// <param name="Id">Function id.</param>
/// <param name="Name">Display name.</param>
/// <param name="MemoryMb">Memory budget.</param>
/// <param name="TimeoutSeconds">Timeout.</param>
/// <param name="RequiredCapabilities">Capabilities a node needs to run it.</param>
public sealed record FunctionInfo(string Id, string Name, int MemoryMb, int TimeoutSeconds, IReadOnlyList<string> RequiredCapabilities)
{
    /// <summary>The descriptor of <paramref name="function"/>.</summary>
    public static FunctionInfo From(EdgeFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new(function.Id, function.Name, function.MemoryMb, function.TimeoutSeconds, function.RequiredCapabilities);
    }
}
