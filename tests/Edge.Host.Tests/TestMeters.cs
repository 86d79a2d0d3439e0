using System.Diagnostics.Metrics;
using Edge.Host.Metrics;
using Edge.Host.Node;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Host.Tests;

/// <summary>A meter factory of a test's own and the exporter /metrics uses over it, so a test reads what a scrape would.</summary>
internal sealed class TestMeters : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterExporter _exporter;

    public TestMeters()
    {
        Factory = _services.GetRequiredService<IMeterFactory>();
        _exporter = new MeterExporter(Factory);
    }

    public IMeterFactory Factory { get; }

    public IReadOnlyList<MetricSample> Samples() => [.. _exporter.Samples()];

    public void Dispose()
    {
        _exporter.Dispose();
        _services.Dispose();
    }
}
