using System.Buffers;
using Edge.Runtime;

namespace Edge.Runtime.Tests.Functions;

public class EdgeFunctionTests
{
    private static readonly Func<int, int> Increment = x => x + 1;

    [Test]
    public async Task Defaults_match_the_spec()
    {
        var f = new EdgeFunction("fn-1", "process-image", Increment);

        await Assert.That(f.Id).IsEqualTo("fn-1");
        await Assert.That(f.Name).IsEqualTo("process-image");
        await Assert.That(f.Handler).IsSameReferenceAs(Increment);
        await Assert.That(f.MemoryMb).IsEqualTo(128);
        await Assert.That(f.TimeoutSeconds).IsEqualTo(30);
        await Assert.That(f.Timeout).IsEqualTo(TimeSpan.FromSeconds(30));
        await Assert.That(f.Environment.Count).IsEqualTo(0);
        await Assert.That(f.RequiredCapabilities.Count).IsEqualTo(0);
        await Assert.That(f.JsonHandler is null).IsTrue();
    }

    [Test]
    public async Task Init_properties_are_kept()
    {
        EdgeJsonHandler json = static (_, _, _) => default;
        var f = new EdgeFunction("fn", "n", Increment)
        {
            MemoryMb = 512,
            TimeoutSeconds = 5,
            Environment = new Dictionary<string, string> { ["MODE"] = "fast" },
            RequiredCapabilities = ["gpu", "camera"],
            JsonHandler = json,
        };

        await Assert.That(f.MemoryMb).IsEqualTo(512);
        await Assert.That(f.TimeoutSeconds).IsEqualTo(5);
        await Assert.That(f.Timeout).IsEqualTo(TimeSpan.FromSeconds(5));
        await Assert.That(f.Environment["MODE"]).IsEqualTo("fast");
        await Assert.That(f.RequiredCapabilities).IsEquivalentTo(new[] { "gpu", "camera" });
        await Assert.That(ReferenceEquals(f.JsonHandler, json)).IsTrue();
    }

    [Test]
    [Arguments("")]
    [Arguments(" ")]
    [Arguments("\t")]
    public async Task Empty_id_is_rejected(string id)
    {
        await Assert.That(() => new EdgeFunction(id, "n", Increment)).Throws<ArgumentException>();
    }

    [Test]
    public async Task Null_id_name_or_handler_is_rejected()
    {
        await Assert.That(() => new EdgeFunction(null!, "n", Increment)).Throws<ArgumentException>();
        await Assert.That(() => new EdgeFunction("f", null!, Increment)).Throws<ArgumentNullException>();
        await Assert.That(() => new EdgeFunction("f", "n", null!)).Throws<ArgumentNullException>();
    }

    [Test]
    [Arguments(0)]
    [Arguments(-1)]
    [Arguments(int.MinValue)]
    public async Task MemoryMb_not_positive_is_rejected(int memory)
    {
        await Assert.That(() => new EdgeFunction("f", "n", Increment) { MemoryMb = memory }).Throws<ArgumentException>();
    }

    [Test]
    [Arguments(0)]
    [Arguments(-30)]
    public async Task TimeoutSeconds_not_positive_is_rejected(int timeout)
    {
        await Assert.That(() => new EdgeFunction("f", "n", Increment) { TimeoutSeconds = timeout }).Throws<ArgumentException>();
    }

    [Test]
    public async Task Smallest_valid_budget_is_one()
    {
        var f = new EdgeFunction("f", "n", Increment) { MemoryMb = 1, TimeoutSeconds = 1 };

        await Assert.That(f.MemoryMb).IsEqualTo(1);
        await Assert.That(f.Timeout).IsEqualTo(TimeSpan.FromSeconds(1));
    }

    [Test]
    public async Task CanRunOn_needs_every_required_capability_case_insensitively()
    {
        var f = new EdgeFunction("f", "n", Increment) { RequiredCapabilities = ["gpu", "camera"] };
        var both = new EdgeNode("a", "a") { Capabilities = ["GPU", "Camera", "lidar"] };
        var one = new EdgeNode("b", "b") { Capabilities = ["gpu"] };
        var none = new EdgeNode("c", "c");

        await Assert.That(f.CanRunOn(both)).IsTrue();
        await Assert.That(f.CanRunOn(one)).IsFalse();
        await Assert.That(f.CanRunOn(none)).IsFalse();
        await Assert.That(new EdgeFunction("g", "g", Increment).CanRunOn(none)).IsTrue();
        await Assert.That(() => f.CanRunOn(null!)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task Attribute_defaults_and_settings()
    {
        var plain = new EdgeFunctionAttribute("resize");
        var set = new EdgeFunctionAttribute("detect")
        {
            Name = "Detect objects",
            MemoryMb = 256,
            TimeoutSeconds = 3,
            RequiredCapabilities = ["gpu"],
        };

        await Assert.That(plain.Id).IsEqualTo("resize");
        await Assert.That(plain.Name).IsNull();
        await Assert.That(plain.MemoryMb).IsEqualTo(128);
        await Assert.That(plain.TimeoutSeconds).IsEqualTo(30);
        await Assert.That(plain.RequiredCapabilities.Length).IsEqualTo(0);
        await Assert.That(set.Name).IsEqualTo("Detect objects");
        await Assert.That(set.MemoryMb).IsEqualTo(256);
        await Assert.That(set.TimeoutSeconds).IsEqualTo(3);
        await Assert.That(set.RequiredCapabilities).IsEquivalentTo(new[] { "gpu" });
    }

    [Test]
    public async Task Attribute_targets_methods_only_once()
    {
        var usage = (AttributeUsageAttribute)Attribute.GetCustomAttribute(typeof(EdgeFunctionAttribute), typeof(AttributeUsageAttribute))!;

        await Assert.That(usage.ValidOn).IsEqualTo(AttributeTargets.Method);
        await Assert.That(usage.AllowMultiple).IsFalse();
    }

    [Test]
    public async Task Json_context_attribute_names_the_context_on_the_assembly()
    {
        var attribute = new EdgeJsonContextAttribute(typeof(string));
        var usage = (AttributeUsageAttribute)Attribute.GetCustomAttribute(typeof(EdgeJsonContextAttribute), typeof(AttributeUsageAttribute))!;

        await Assert.That(attribute.ContextType).IsEqualTo(typeof(string));
        await Assert.That(usage.ValidOn).IsEqualTo(AttributeTargets.Assembly);
        await Assert.That(usage.AllowMultiple).IsFalse();
    }

    [Test]
    public async Task Descriptors_are_values()
    {
        EdgeParameterDescriptor[] parameters = [new("x", "global::System.Int32")];
        string[] caps = ["gpu"];
        var a = new EdgeFunctionDescriptor("f", "F", 128, 30, caps, parameters, "global::System.Int32", "Fns.F", false, true);
        var b = a with { };

        await Assert.That(b).IsEqualTo(a);
        await Assert.That(a with { TimeoutSeconds = 5 }).IsNotEqualTo(a);
        await Assert.That(new EdgeParameterDescriptor("x", "int")).IsEqualTo(new EdgeParameterDescriptor("x", "int"));
        await Assert.That(a.Parameters[0].Name).IsEqualTo("x");
        await Assert.That(a.AcceptsCancellation).IsTrue();
        await Assert.That(a.IsAsync).IsFalse();
    }

    [Test]
    public async Task Json_handler_delegate_shape_writes_to_a_buffer()
    {
        EdgeJsonHandler handler = static (args, result, _) =>
        {
            result.Write(args.Span);
            return default;
        };
        var buffer = new ArrayBufferWriter<byte>();

        await handler("{}"u8.ToArray(), buffer, CancellationToken.None);

        await Assert.That(buffer.WrittenCount).IsEqualTo(2);
    }
}
