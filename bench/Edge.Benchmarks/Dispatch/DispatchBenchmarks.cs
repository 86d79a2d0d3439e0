using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Edge.Consumer;
using Edge.Consumer.Functions;
using Edge.Runtime;

namespace Edge.Benchmarks.Dispatch;

/// <summary>One invocation of a small two-int function through every path a caller could take.</summary>
[MemoryDiagnoser]
public class DispatchBenchmarks
{
    private const string TypedId = "mix";
    private const string TokenId = "mix-ct";
    private const string JsonId = "mix-json";
    private const string GeneratedId = "classify";

    private readonly ArrayBufferWriter<byte> _jsonResult = new(64);
    private readonly ReadOnlyMemory<byte> _jsonArguments = """{"a": 20, "b": 22}"""u8.ToArray();
    private readonly ReadOnlyMemory<byte> _classifyArguments = """{"temperature": 42.5}"""u8.ToArray();
    private EdgeRuntime _runtime = null!;
    private EdgeRuntime _generated = null!;
    private EdgeFunctionHandle<int, int, int> _mix = null!;
    private EdgeFunctionHandle<int, int, int> _mixToken = null!;
    private EdgeFunctionTable.Handles _table = null!;
    private Func<int, int, int> _delegate = null!;
    private MethodInfo _method = null!;
    private int _a = 20;
    private int _b = 22;

    [GlobalSetup]
    public void Setup()
    {
        _runtime = new EdgeRuntime(new EdgeNode("bench-node", "Bench node"));
        _runtime.Deploy(new EdgeFunction(TypedId, "Mix", new Func<int, int, int>(Mix)));
        _runtime.Deploy(new EdgeFunction(TokenId, "Mix with token", new Func<int, int, CancellationToken, int>(MixWithToken)));
        _runtime.Deploy(new EdgeFunction(JsonId, "Mix (JSON)", new Func<int, int, int>(Mix)) { JsonHandler = MixJson });
        _generated = new EdgeRuntime(new EdgeNode("bench-generated", "Bench node (generated table)"));
        EdgeFunctionTable.DeployAll(_generated);
        _mix = _runtime.Resolve<int, int, int>(TypedId);
        _mixToken = _runtime.Resolve<int, int, int>(TokenId);
        _table = EdgeFunctionTable.For(_generated);
        _delegate = Mix;
        _method = typeof(DispatchBenchmarks).GetMethod(nameof(Mix), BindingFlags.Public | BindingFlags.Static)!;

        // Fail fast (and fail the CI smoke run) if a path does not compute what the baseline computes.
        var expected = Mix(_a, _b);
        if (Invoke_Typed() != expected || InvokeAsync_Token().AsTask().GetAwaiter().GetResult() != expected
            || Handle_Invoke() != expected || Handle_InvokeAsync().AsTask().GetAwaiter().GetResult() != expected
            || Handle_InvokeAsync_Token().AsTask().GetAwaiter().GetResult() != expected
            || MethodInfo_Reflection() != expected || Delegate_Call() != expected)
        {
            throw new InvalidOperationException("Dispatch paths disagree with the direct call.");
        }

        InvokeJson_Handwritten().AsTask().GetAwaiter().GetResult();
        if (!_jsonResult.WrittenSpan.SequenceEqual(System.Text.Encoding.UTF8.GetBytes(expected.ToString(CultureInfo.InvariantCulture))))
        {
            throw new InvalidOperationException("JSON dispatch returned the wrong result.");
        }

        Generated_Switch().AsTask().GetAwaiter().GetResult();
        var direct = _jsonResult.WrittenSpan.ToArray();
        Generated_RuntimeJson().AsTask().GetAwaiter().GetResult();
        if (direct.Length == 0 || !_jsonResult.WrittenSpan.SequenceEqual(direct)
            || Generated_Typed() != Sensors.Classify(42.5, Level.Low) || Generated_Accessor() != Sensors.Classify(42.5, Level.Low))
        {
            throw new InvalidOperationException("Generated dispatch paths disagree.");
        }
    }

    /// <summary>
    /// The function every path calls: a few nanoseconds of real work (FNV-style mixing), so the baseline is measurable
    /// and every Ratio is against a real call rather than against BenchmarkDotNet's empty-method overhead.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Mix(int a, int b)
    {
        var h = a;
        for (var i = 0; i < 8; i++)
        {
            h = unchecked((h ^ b) * 16777619) + i;
        }

        return h;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int MixWithToken(int a, int b, CancellationToken ct) => Mix(a, b);

    [Benchmark(Baseline = true)]
    public int Direct_Baseline() => Mix(_a, _b);

    /// <summary>The direct call plus two clock reads: the floor for any path that measures its own duration.</summary>
    [Benchmark]
    public long Direct_TwoTimestamps()
    {
        var start = Stopwatch.GetTimestamp();
        var result = Mix(_a, _b);
        return result + Stopwatch.GetTimestamp() - start;
    }

    [Benchmark]
    public int Delegate_Call() => _delegate(_a, _b);

    [Benchmark]
    public int Invoke_Typed() => _runtime.Invoke<int, int, int>(TypedId, _a, _b);

    [Benchmark]
    public ValueTask<int> InvokeAsync_Token() => _runtime.InvokeAsync<int, int, int>(TokenId, _a, _b);

    /// <summary>A handle from <c>Resolve</c>: no lookup, no shape check; deadline, in-flight and metrics bookkeeping only.</summary>
    [Benchmark]
    public int Handle_Invoke() => _mix.Invoke(_a, _b);

    /// <summary>A handle's async form over a synchronous handler (completes synchronously).</summary>
    [Benchmark]
    public ValueTask<int> Handle_InvokeAsync() => _mix.InvokeAsync(_a, _b);

    /// <summary>A handle's async form over a <see cref="CancellationToken"/>-taking handler: a pooled deadline per call.</summary>
    [Benchmark]
    public ValueTask<int> Handle_InvokeAsync_Token() => _mixToken.InvokeAsync(_a, _b);

    [Benchmark]
    public ValueTask InvokeJson_Handwritten()
    {
        _jsonResult.ResetWrittenCount();
        return _runtime.InvokeJsonAsync(JsonId, _jsonArguments, _jsonResult);
    }

    /// <summary>The generated table's static switch with JSON binding, outside any runtime (no deadline, no metrics).</summary>
    [Benchmark]
    public ValueTask Generated_Switch()
    {
        _jsonResult.ResetWrittenCount();
        return EdgeFunctionTable.InvokeJsonAsync(GeneratedId, _classifyArguments, _jsonResult);
    }

    /// <summary>A generated function deployed with DeployAll, invoked through the runtime's JSON entry point.</summary>
    [Benchmark]
    public ValueTask Generated_RuntimeJson()
    {
        _jsonResult.ResetWrittenCount();
        return _generated.InvokeJsonAsync(GeneratedId, _classifyArguments, _jsonResult);
    }

    /// <summary>A generated function's typed delegate through the runtime.</summary>
    [Benchmark]
    public Level Generated_Typed() => _generated.Invoke<double, Level, Level>(GeneratedId, 42.5, Level.Low);

    /// <summary>The generated accessor: <c>EdgeFunctionTable.For(runtime).Classify</c>, a kept handle.</summary>
    [Benchmark]
    public Level Generated_Accessor() => _table.Classify.Invoke(42.5, Level.Low);

    [Benchmark]
    public int MethodInfo_Reflection() => (int)_method.Invoke(null, [_a, _b])!;

    /// <summary>What the generator emits for a function: bind by parameter name, call directly, write the result.</summary>
    private static ValueTask MixJson(ReadOnlyMemory<byte> utf8Arguments, IBufferWriter<byte> utf8Result, CancellationToken ct)
    {
        var reader = new Utf8JsonReader(utf8Arguments.Span);
        int a = 0, b = 0;
        bool hasA = false, hasB = false;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new EdgeBindingException(JsonId, null, "arguments must be a JSON object");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("a"u8))
            {
                reader.Read();
                a = reader.GetInt32();
                hasA = true;
            }
            else if (reader.ValueTextEquals("b"u8))
            {
                reader.Read();
                b = reader.GetInt32();
                hasB = true;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (!hasA || !hasB)
        {
            throw new EdgeBindingException(JsonId, hasA ? "b" : "a", "missing");
        }

        var span = utf8Result.GetSpan(11);
        Mix(a, b).TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        utf8Result.Advance(written);
        return ValueTask.CompletedTask;
    }
}
