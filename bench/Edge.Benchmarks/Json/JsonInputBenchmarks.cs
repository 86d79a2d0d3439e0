using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Edge.Benchmarks.Checksum;
using Edge.Runtime;

namespace Edge.Benchmarks.Json;

/// <summary>
/// What validating a body where it enters costs: JsonInput (syntax + UTF-8 + surrogates + duplicate keys + depth with a
/// path) beside the bare Utf8JsonReader pass the host used before, which checked syntax and depth only.
/// </summary>
[MemoryDiagnoser]
public class JsonInputBenchmarks
{
    private byte[] _body = [];

    [Params(ChecksumStates.Small, ChecksumStates.Large)]
    public string State { get; set; } = ChecksumStates.Small;

    [GlobalSetup]
    public void Setup()
    {
        var state = State == ChecksumStates.Small ? ChecksumStates.SmallState() : ChecksumStates.LargeState();
        _body = Encoding.UTF8.GetBytes(state.ToJsonString());
    }

    [Benchmark(Baseline = true)]
    public long Validate_Baseline()
    {
        var reader = new Utf8JsonReader(_body, new JsonReaderOptions { MaxDepth = JsonLimits.DefaultDepth });
        while (reader.Read())
        {
        }

        return reader.BytesConsumed;
    }

    [Benchmark]
    public bool Validate_JsonInput() => JsonInput.TryValidate(_body, JsonLimits.DefaultDepth, out _);
}
