namespace Edge.Generators.Tests;

/// <summary>Representative consumer code the tests feed the generator.</summary>
internal static class Sources
{
    public const string Usings = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using Edge.Runtime;

        """;

    /// <summary>Stands in for the System.Text.Json source generator's half of a context, which these tests do not run.</summary>
    public static string Context(string name, params string[] types) =>
        $$"""

        [assembly: EdgeJsonContext(typeof(Demo.{{name}}))]

        namespace Demo
        {
        {{string.Concat(types.Select(t => $"    [System.Text.Json.Serialization.JsonSerializable(typeof({t}))]\n"))}}    public partial class {{name}} : System.Text.Json.Serialization.JsonSerializerContext
            {
                public {{name}}() : base(null) { }
                public static {{name}} Default { get; } = new();
                protected override System.Text.Json.JsonSerializerOptions? GeneratedSerializerOptions => null;
                public override System.Text.Json.Serialization.Metadata.JsonTypeInfo? GetTypeInfo(Type type) => null;
            }
        }
        """;

    public static readonly string Sensors = Usings + """
        namespace Demo;

        public sealed record Stats(int Count, double Mean);

        public sealed record Frame(string CameraId, int[] Pixels);

        public sealed record Detection(string Label, double Confidence);

        public static class Sensors
        {
            [EdgeFunction("sensor-stats", MemoryMb = 64, TimeoutSeconds = 2)]
            public static Stats Summarize(double[] readings) => new(readings.Length, 0);

            [EdgeFunction("process-image", MemoryMb = 256, TimeoutSeconds = 5, RequiredCapabilities = ["camera"])]
            public static async ValueTask<Detection> Detect(Frame frame, CancellationToken ct)
            {
                await Task.Yield();
                return new(frame.CameraId, 1);
            }
        }
        """;

    public static readonly string SensorsContext = Usings + Context("DemoJsonContext", "Stats", "Frame", "Detection");

    public static readonly string Primitives = Usings + """
        namespace Demo;

        public enum Color { Red, Green }

        [Flags]
        public enum Access { None = 0, Read = 1, Write = 2 }

        public static class Primitives
        {
            [EdgeFunction("numbers")]
            public static decimal Numbers(bool b, byte u8, sbyte i8, short i16, ushort u16, int i32, uint u32, long i64, ulong u64, float f32, double f64, decimal m) => m;

            [EdgeFunction("texts")]
            public static string? Texts(string s, string? maybe, char c, Guid g, DateTime dt, DateTimeOffset dto, TimeSpan ts) => maybe;

            [EdgeFunction("enums")]
            public static Access Enums(Color color, Access access, Color? maybe = Color.Green) => access;

            [EdgeFunction("sequences")]
            public static double[] Sequences(byte[] payload, int[] ints, string[] names, string?[]? loose, ReadOnlySpan<double> span, ReadOnlyMemory<byte> bytes, Color[] colors) => [];

            [EdgeFunction("defaults")]
            public static int? Defaults(int count = 3, double ratio = 0.5, string label = "a\"b", long big = -9000000000L, int? maybe = null, float f = 1.5f, decimal money = 2.25m, char sep = ',', bool flag = true, Color color = Color.Green, byte small = 7, double nan = double.NaN, Access access = Access.Read | Access.Write) => count;

            [EdgeFunction("results")]
            public static Memory<Color> Results(Guid? id, DateTimeOffset? at) => Array.Empty<Color>();
        }
        """;

    public static readonly string Shapes = Usings + """
        namespace Demo;

        public static class Shapes
        {
            [EdgeFunction("void")]
            public static void Nothing() { }

            [EdgeFunction("task")]
            public static Task DoAsync(CancellationToken ct) => Task.CompletedTask;

            [EdgeFunction("value-task")]
            public static ValueTask DoValueAsync(int x) => default;

            [EdgeFunction("task-of-t")]
            public static Task<int> CountAsync(string s) => Task.FromResult(s.Length);

            [EdgeFunction("value-task-of-t", Name = "Value task")]
            public static ValueTask<string> EchoAsync(string s, CancellationToken ct) => new(s);

            [EdgeFunction("token-only")]
            public static int TokenOnly(CancellationToken ct) => 1;

            internal static class Nested
            {
                [EdgeFunction("nested.internal")]
                internal static long Deep(long x) => x;
            }
        }
        """;

    public static readonly string Empty = Usings + """
        namespace Demo;

        public static class NoFunctions
        {
            public static int NotAFunction() => 1;
        }
        """;
}
