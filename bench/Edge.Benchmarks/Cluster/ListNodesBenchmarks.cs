using BenchmarkDotNet.Attributes;
using Edge.Runtime;

namespace Edge.Benchmarks.Cluster;

/// <summary>
/// ListNodes(status) over 10,000 nodes: 80% Online, 10% Offline, 5% Degraded, 5% Syncing. The baseline is a
/// hand-written filter over a plain list of the same nodes.
/// </summary>
[MemoryDiagnoser]
public class ListNodesBenchmarks
{
    private const int Nodes = 10_000;

    private readonly List<EdgeNode> _plain = [];
    private EdgeCluster _cluster = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cluster = new EdgeCluster();
        for (var i = 0; i < Nodes; i++)
        {
            var node = new EdgeNode($"node-{i:D5}", $"Node {i}");
            _cluster.RegisterNode(node);
            node.Status = (i % 20) switch
            {
                < 16 => EdgeNodeStatus.Online,
                < 18 => EdgeNodeStatus.Offline,
                18 => EdgeNodeStatus.Degraded,
                _ => EdgeNodeStatus.Syncing,
            };
            _plain.Add(node);
        }

        if (ListNodes_Online() != 8_000 || ListNodes_Baseline() != 8_000 || ListNodes_Degraded() != 500)
        {
            throw new InvalidOperationException("Cluster set-up is not what the benchmarks assume.");
        }
    }

    [Benchmark(Baseline = true)]
    public int ListNodes_Baseline()
    {
        var result = new List<EdgeNode>();
        foreach (var node in _plain)
        {
            if (node.Status == EdgeNodeStatus.Online)
            {
                result.Add(node);
            }
        }

        return result.Count;
    }

    [Benchmark]
    public int ListNodes_Online() => _cluster.ListNodes(EdgeNodeStatus.Online).Count;

    [Benchmark]
    public int ListNodes_Degraded() => _cluster.ListNodes(EdgeNodeStatus.Degraded).Count;
}
