using Edge.Host.Cli;
using Edge.Runtime;

namespace Edge.Host.Node;

/// <summary>Opens the durable store behind the node's synchronizer.</summary>
internal static class SyncStores
{
    public static ISyncStore? Open(HostSettings settings)
    {
        Directory.CreateDirectory(settings.DataDir);
        return null;
    }
}
