using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Host.App;
using Edge.Host.App.Functions;
using Edge.Runtime;

namespace Edge.Host.Tests.Functions;

/// <summary>
/// The built-ins through the runtime's JSON path (as HTTP, MQTT triggers and the CLI call them): good arguments work,
/// bad ones are an <see cref="EdgeBindingException"/> (400 over HTTP) naming function, parameter and problem.
/// </summary>
public class BuiltinFunctionsTests
{
    private static EdgeRuntime Runtime()
    {
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "n"));
        EdgeFunctionTable.DeployAll(runtime);
        return runtime;
    }

    private static async Task<JsonNode?> Invoke(string id, string arguments)
    {
        var output = new ArrayBufferWriter<byte>();
        await Runtime().InvokeJsonAsync(id, Encoding.UTF8.GetBytes(arguments), output);
        return JsonNode.Parse(output.WrittenSpan);
    }

    [Test]
    [Arguments("downsample", """{"readings":[1,2,3],"factor":0}""", "factor", "must be at least 1 (got 0)")]
    [Arguments("downsample", """{"readings":[1,2,3],"factor":-4}""", "factor", "must be at least 1 (got -4)")]
    [Arguments("downsample", """{"readings":[1,2,3],"factor":2147483647}""", "factor", "must not exceed the number of readings (3), got 2147483647")]
    [Arguments("downsample", """{"readings":[1,2,3],"factor":4}""", "factor", "must not exceed the number of readings (3), got 4")]
    [Arguments("downsample", """{"readings":[],"factor":1}""", "readings", "must hold at least one reading")]
    [Arguments("downsample", """{"readings":null,"factor":1}""", "readings", "must not be null (expected a JSON array)")] // the generated binder's refusal
    [Arguments("sensor-stats", """{"readings":[]}""", "readings", "must hold at least one reading: mean, min, max and stdDev of an empty window are undefined")]
    [Arguments("threshold-alert", """{"readings":[1,2],"threshold":1,"minConsecutive":0}""", "minConsecutive", "must be at least 1 (got 0)")]
    [Arguments("threshold-alert", """{"readings":[1,2],"threshold":1,"minConsecutive":-1}""", "minConsecutive", "must be at least 1 (got -1)")]
    [Arguments("frame-summary", """{"frame":"AAEC","bins":0}""", "bins", "must be from 1 to 256 (got 0)")]
    [Arguments("frame-summary", """{"frame":"AAEC","bins":257}""", "bins", "must be from 1 to 256 (got 257)")]
    [Arguments("frame-summary", """{"frame":"AAEC","bins":-1}""", "bins", "must be from 1 to 256 (got -1)")]
    [Arguments("sleep", """{"milliseconds":-1}""", "milliseconds", "must not be negative (got -1)")]
    [Arguments("sleep", """{"milliseconds":-2147483648}""", "milliseconds", "must not be negative (got -2147483648)")]
    public async Task A_bad_argument_is_a_binding_exception_with_our_message(string id, string arguments, string parameter, string problem)
    {
        var thrown = await Assert.That(async () => await Invoke(id, arguments)).Throws<EdgeBindingException>();

        await Assert.That(thrown!.FunctionId).IsEqualTo(id);
        await Assert.That(thrown.Parameter).IsEqualTo(parameter);
        await Assert.That(thrown.Problem).IsEqualTo(problem);
        await Assert.That(thrown.Message).IsEqualTo($"Function '{id}', parameter '{parameter}': {problem}");
    }

    [Test]
    public async Task Non_finite_readings_and_a_NaN_threshold_are_refused_on_the_typed_path()
    {
        // JSON cannot carry NaN or infinity; a typed caller can, and no result could carry them back.
        var runtime = Runtime();

        var stats = await Assert.That(() => runtime.Invoke<double[], SensorStats>("sensor-stats", [1, double.NaN])).Throws<EdgeBindingException>();
        await Assert.That(stats!.Problem).IsEqualTo("reading 1 is NaN: every reading must be a finite number");
        var down = await Assert.That(() => runtime.Invoke<double[], int, double[]>("downsample", [double.PositiveInfinity], 1)).Throws<EdgeBindingException>();
        await Assert.That(down!.Problem).IsEqualTo("reading 0 is Infinity: every reading must be a finite number");
        var alert = await Assert.That(() => runtime.Invoke<double[], double, int, ThresholdAlert>("threshold-alert", [1], double.NaN, 1)).Throws<EdgeBindingException>();
        await Assert.That(alert!.Parameter).IsEqualTo("threshold");
        await Assert.That(alert.Problem).IsEqualTo("must be a number, not NaN");
        var echo = await Assert.That(() => runtime.Invoke<string, string>("echo", null!)).Throws<EdgeBindingException>();
        await Assert.That(echo!.Parameter).IsEqualTo("message");
        var frame = await Assert.That(() => runtime.Invoke<byte[], int, FrameSummary>("frame-summary", null!, 16)).Throws<EdgeBindingException>();
        await Assert.That(frame!.Parameter).IsEqualTo("frame");
    }

    [Test]
    public async Task Downsample_averages_runs_the_last_one_shorter_and_accepts_factor_one_and_n()
    {
        await Assert.That((await Invoke("downsample", """{"readings":[1,2,3,4,5],"factor":2}"""))!.ToJsonString()).IsEqualTo("[1.5,3.5,5]");
        await Assert.That((await Invoke("downsample", """{"readings":[1,2,3],"factor":1}"""))!.ToJsonString()).IsEqualTo("[1,2,3]");
        await Assert.That((await Invoke("downsample", """{"readings":[1,2,3,6],"factor":4}"""))!.ToJsonString()).IsEqualTo("[3]");
        await Assert.That((await Invoke("downsample", """{"readings":[7],"factor":1}"""))!.ToJsonString()).IsEqualTo("[7]");
    }

    [Test]
    public async Task Downsample_and_stats_of_readings_at_the_ends_of_the_double_range_stay_finite()
    {
        var down = (await Invoke("downsample", """{"readings":[1.7e308,1.7e308,-1.7e308,-1.5e308],"factor":2}"""))!.AsArray();
        await Assert.That(down.Select(v => v!.GetValue<double>())).IsEquivalentTo(new[] { 1.7e308, -1.6e308 }, TUnit.Assertions.Enums.CollectionOrdering.Matching);

        var stats = (await Invoke("sensor-stats", """{"readings":[1.5e308,-1.5e308]}"""))!;
        await Assert.That(stats["mean"]!.GetValue<double>()).IsEqualTo(0);
        await Assert.That(stats["stdDev"]!.GetValue<double>()).IsEqualTo(1.5e308);
        await Assert.That(stats["min"]!.GetValue<double>()).IsEqualTo(-1.5e308);
    }

    [Test]
    public async Task Sensor_stats_of_good_readings()
    {
        var stats = (await Invoke("sensor-stats", """{"readings":[2,4,4,4,5,5,7,9]}"""))!;
        await Assert.That(stats.ToJsonString()).IsEqualTo("""{"count":8,"mean":5,"min":2,"max":9,"stdDev":2}""");
        var one = (await Invoke("sensor-stats", """{"readings":[-3.5]}"""))!;
        await Assert.That(one.ToJsonString()).IsEqualTo("""{"count":1,"mean":-3.5,"min":-3.5,"max":-3.5,"stdDev":0}""");
    }

    [Test]
    public async Task Threshold_alert_accepts_empty_and_short_windows_and_finds_the_first_run()
    {
        var empty = (await Invoke("threshold-alert", """{"readings":[],"threshold":1}"""))!;
        await Assert.That(empty.ToJsonString()).IsEqualTo("""{"triggered":false,"exceeding":0,"firstIndex":-1,"longestRun":0,"peak":0}""");
        var shorter = (await Invoke("threshold-alert", """{"readings":[5,6],"threshold":1,"minConsecutive":3}"""))!;
        await Assert.That(shorter["triggered"]!.GetValue<bool>()).IsFalse();
        await Assert.That(shorter["longestRun"]!.GetValue<int>()).IsEqualTo(2);
        var run = (await Invoke("threshold-alert", """{"readings":[0,5,0,5,6,7],"threshold":1,"minConsecutive":2}"""))!;
        await Assert.That(run.ToJsonString()).IsEqualTo("""{"triggered":true,"exceeding":4,"firstIndex":3,"longestRun":3,"peak":7}""");
    }

    [Test]
    public async Task Frame_summary_at_the_bin_limits_and_of_an_empty_frame()
    {
        // AAH/ = bytes 0, 1, 255
        var one = (await Invoke("frame-summary", """{"frame":"AAH/","bins":1}"""))!;
        await Assert.That(one["histogram"]!.ToJsonString()).IsEqualTo("[3]");
        var full = (await Invoke("frame-summary", """{"frame":"AAH/","bins":256}"""))!;
        var histogram = full["histogram"]!.AsArray();
        await Assert.That(histogram.Count).IsEqualTo(256);
        await Assert.That(histogram[0]!.GetValue<int>() + histogram[1]!.GetValue<int>() + histogram[255]!.GetValue<int>()).IsEqualTo(3);
        await Assert.That(full["max"]!.GetValue<int>()).IsEqualTo(255);
        var empty = (await Invoke("frame-summary", """{"frame":""}"""))!;
        await Assert.That(empty["bytes"]!.GetValue<int>()).IsEqualTo(0);
        await Assert.That(empty["histogram"]!.AsArray().Count).IsEqualTo(16);
    }

    [Test]
    public async Task Echo_and_sleep_zero_work()
    {
        await Assert.That((await Invoke("echo", """{"message":"héllo"}"""))!.GetValue<string>()).IsEqualTo("héllo");
        await Assert.That((await Invoke("sleep", """{"milliseconds":0}"""))!.GetValue<int>()).IsEqualTo(0);
    }
}
