using Edge.Host.Functions;
using Edge.Host.Options;
using Edge.Runtime;
using Microsoft.Extensions.Logging;

namespace Edge.Host.Node;

/// <summary>This node's parts, wired once: identity, runtime, durable synchronizer, cluster registry, catalog.</summary>
public sealed class LocalNode : IDisposable
{
    public LocalNode(HostSettings settings, FunctionCatalog catalog, ILogger log, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings.Http;
        Catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        Time = timeProvider ?? TimeProvider.System;
        Node = new EdgeNode(settings.Node.Id, settings.Node.Name ?? settings.Node.Id)
        {
            Location = settings.Node.Location,
            Capabilities = [.. settings.Node.CapabilityList],
        };

        Cluster = new EdgeCluster(Time);
        Runtime = new EdgeRuntime(Node, Cluster.Metrics, Time);
        catalog.DeployAll(Runtime);
        Cluster.RegisterNode(Node);

        Store = JournalMetrics.Open(settings.Journal, log);
        try
        {
            Synchronizer = new EdgeSynchronizer(settings.Journal.ConflictStrategy, settings.Journal.MaxPending, Store, Time);
            // A torn tail cut off or a live journal found missing at start was already logged as a warning by the
            // store itself (JournalMetrics.Open wires its Log to this logger); logging LastRecovery here again would
            // print it twice. Both are counted in /metrics.
            MetricSources.Add(new JournalMetrics(Store));
        }
        catch
        {
            Store.Dispose();
            throw;
        }
    }

    /// <summary>The HTTP API's settings: its limits and token.</summary>
    public HttpOptions Settings { get; }

    public FunctionCatalog Catalog { get; }

    public TimeProvider Time { get; }

    public EdgeNode Node { get; }

    public EdgeRuntime Runtime { get; }

    public EdgeSynchronizer Synchronizer { get; }

    public EdgeCluster Cluster { get; }

    public FileSyncStore Store { get; }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Parts that add lines to <c>/metrics</c>.</summary>
    public IList<IMetricSource> MetricSources { get; } = [];

    public void Dispose() => Store.Dispose();
}
