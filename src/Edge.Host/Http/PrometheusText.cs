using System.Globalization;
using System.Text;
using Edge.Host.Node;
using Edge.Runtime;

namespace Edge.Host.Http;

/// <summary>Renders the node's metrics in the Prometheus text exposition format (version 0.0.4).</summary>
internal static class PrometheusText
{
    internal static string Render(LocalNode node, INodeDirectory nodes)
    {
        var text = new StringBuilder(4096);
        var metrics = node.Runtime.Metrics;
        var nodeLabel = $"node=\"{Escape(node.Node.Id)}\"";
        var functions = node.Runtime.ListFunctions();

        Header(text, "edge_invocations_total", "counter", "Function invocations, by function.");
        foreach (var f in functions)
        {
            Sample(text, "edge_invocations_total", $"{nodeLabel},function=\"{Escape(f.Id)}\"", metrics.TotalInvocations(f.Id));
        }

        Header(text, "edge_invocation_errors_total", "counter", "Failed or timed-out invocations, by function.");
        foreach (var f in functions)
        {
            Sample(text, "edge_invocation_errors_total", $"{nodeLabel},function=\"{Escape(f.Id)}\"", metrics.FunctionErrorCount(f.Id));
        }

        Header(text, "edge_invocation_duration_seconds", "histogram", "Invocation latency, by function.");
        var bounds = EdgeMetrics.HistogramBoundsMs;
        Span<long> counts = stackalloc long[bounds.Length + 1];
        foreach (var f in functions)
        {
            metrics.CopyHistogram(f.Id, counts);
            var labels = $"{nodeLabel},function=\"{Escape(f.Id)}\"";
            long cumulative = 0;
            for (var i = 0; i < bounds.Length; i++)
            {
                cumulative += counts[i];
                Sample(text, "edge_invocation_duration_seconds_bucket", $"{labels},le=\"{Number(bounds[i] / 1000.0)}\"", cumulative);
            }

            cumulative += counts[bounds.Length];
            Sample(text, "edge_invocation_duration_seconds_bucket", $"{labels},le=\"+Inf\"", cumulative);
            Sample(text, "edge_invocation_duration_seconds_sum", labels, metrics.AvgLatencyMs(f.Id) * metrics.TotalInvocations(f.Id) / 1000.0);
            Sample(text, "edge_invocation_duration_seconds_count", labels, cumulative);
        }

        Gauge(text, "edge_invocations_in_flight", "Invocations running now (runaways included).", nodeLabel, node.Runtime.InFlight);
        Counter(text, "edge_invocation_runaways_total", "Async invocations still running at their deadline, not having honoured cancellation.", nodeLabel, node.Runtime.RunawayCount);
        Counter(text, "edge_invocation_cancellations_total", "Invocations ended because the caller cancelled (e.g. the HTTP client went away).", nodeLabel, node.Runtime.CancelledCount);
        Counter(text, "edge_cold_starts_total", "Invocations that found their function cold.", nodeLabel, node.Runtime.ColdStartCount);
        Gauge(text, "edge_functions_deployed", "Functions deployed on this node.", nodeLabel, node.Runtime.FunctionCount);

        var sync = node.Synchronizer.Summary();
        Header(text, "edge_state_version", "gauge", "State versions: local, and the highest known to be in the cloud.");
        Sample(text, "edge_state_version", $"{nodeLabel},kind=\"local\"", sync.LocalVersion);
        Sample(text, "edge_state_version", $"{nodeLabel},kind=\"remote\"", sync.RemoteVersion);
        Gauge(text, "edge_state_pending", "Local changes awaiting confirmation.", nodeLabel, sync.PendingCount);
        Gauge(text, "edge_state_synced", "1 when nothing is pending and the cloud has the local version.", nodeLabel, sync.IsSynced ? 1 : 0);
        Counter(text, "edge_sync_local_updates_total", "Local state updates.", nodeLabel, sync.LocalUpdates);
        Counter(text, "edge_sync_remote_applied_total", "Remote states applied.", nodeLabel, sync.RemoteApplied);
        Counter(text, "edge_sync_remote_rejected_total", "Remote states refused.", nodeLabel, sync.RemoteRejected);
        Counter(text, "edge_sync_confirmed_total", "Pending changes confirmed by the cloud.", nodeLabel, sync.ConfirmedChanges);
        Counter(text, "edge_sync_dropped_total", "Pending changes dropped over the max-pending limit.", nodeLabel, sync.DroppedChanges);

        Header(text, "edge_node_status", "gauge", "1 for each node's current status (cluster registry).");
        foreach (var n in nodes.List(null))
        {
            foreach (var status in Enum.GetValues<EdgeNodeStatus>())
            {
                var wire = NodeStatusNames.ToWire(status);
                Sample(text, "edge_node_status", $"node=\"{Escape(n.Id)}\",status=\"{wire}\"", n.Status == wire ? 1 : 0);
            }
        }

        foreach (var source in node.MetricSources)
        {
            string? previous = null;
            foreach (var sample in source.Samples())
            {
                if (sample.Name != previous)
                {
                    Header(text, sample.Name, sample.Type, sample.Help);
                    previous = sample.Name;
                }

                Sample(text, sample.Name, sample.Labels is { Length: > 0 } extra ? $"{nodeLabel},{extra}" : nodeLabel, sample.Value);
            }
        }

        return text.ToString();
    }

    private static void Gauge(StringBuilder text, string name, string help, string labels, double value)
    {
        Header(text, name, "gauge", help);
        Sample(text, name, labels, value);
    }

    private static void Counter(StringBuilder text, string name, string help, string labels, double value)
    {
        Header(text, name, "counter", help);
        Sample(text, name, labels, value);
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, string labels, double value) =>
        text.Append(name).Append('{').Append(labels).Append("} ").Append(Number(value)).Append('\n');

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
