using BenchmarkDotNet.Attributes;
using Edge.Runtime;

namespace Edge.Benchmarks.Cluster;

/// <summary>
/// Redeploying one function (same id) across a 100-node cluster: 90 eligible, 5 Offline, 5 lacking the capability.
/// The baseline applies the same filter and stores the function in a plain per-node dictionary.
/// </summary>
[MemoryDiagnoser]
public class DeployToAllBenchmarks
{
    private const int Nodes = 100;

    private readonly List<(EdgeNode Node, Dictionary<string, EdgeFunction> Functions)> _plain = [];
    private EdgeCluster _cluster = null!;
    private EdgeFunction _function = null!;

    [GlobalSetup]
    public void Setup()
    {
        _function = new EdgeFunction("sensor-stats", "Sensor stats", new Func<double[], double>(static r => r.Length))
        {
            RequiredCapabilities = ["sensors"],
        };

        _cluster = new EdgeCluster();
        for (var i = 0; i < Nodes; i++)
        {
            var node = new EdgeNode($"node-{i:D3}", $"Node {i}") { Capabilities = i % 20 == 19 ? ["camera"] : ["sensors", "camera"] };
            _cluster.RegisterNode(node);
            if (i % 20 == 9)
            {
                node.Status = EdgeNodeStatus.Offline;
            }

            _plain.Add((node, new Dictionary<string, EdgeFunction>(StringComparer.Ordinal)));
        }

        if (DeployToAll_Typed() != 90 || DeployToAll_Baseline() != 90)
        {
            throw new InvalidOperationException("Cluster set-up is not what the benchmarks assume.");
        }
    }

    [Benchmark(Baseline = true)]
    public int DeployToAll_Baseline()
    {
        var deployed = 0;
        foreach (var (node, functions) in _plain)
        {
            if (node.Status is not (EdgeNodeStatus.Offline or EdgeNodeStatus.Maintenance) && _function.CanRunOn(node))
            {
                functions[_function.Id] = _function;
                deployed++;
            }
        }

        return deployed;
    }

    [Benchmark]
    public int DeployToAll_Typed() => _cluster.DeployToAll(_function);
}
