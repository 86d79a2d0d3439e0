namespace Edge.Host.Node;

/// <summary>One exported metric value from a part of the host (journal, MQTT sync, coordinator).</summary>
/// <param name="Name">Prometheus metric name, e.g. <c>edge_journal_fsyncs_total</c>.</param>
/// <param name="Type"><c>counter</c> or <c>gauge</c>.</param>
/// <param name="Help">One line of help.</param>
/// <param name="Value">The value.</param>
/// <param name="Labels">Extra labels, already formatted (<c>kind="x"</c>), or empty.</param>
public readonly record struct MetricSample(string Name, string Type, string Help, double Value, string Labels = "");

/// <summary>A part of the host that exports metrics.</summary>
public interface IMetricSource
{
    IEnumerable<MetricSample> Samples();
}
