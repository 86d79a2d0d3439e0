using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Edge.Host.Tests.Process;

public class BinaryTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("edge-child-").FullName;

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    [Test]
    public async Task Version_functions_and_invoke_work_one_shot()
    {
        var version = await ChildHost.RunAsync("version");
        await Assert.That(version.ExitCode).IsEqualTo(0);
        await Assert.That(version.Stdout).IsEqualTo($"edge-host {EdgeHost.Version}\n");

        var functions = await ChildHost.RunAsync("functions");
        await Assert.That(functions.ExitCode).IsEqualTo(0);
        await Assert.That(functions.Stdout).Contains("sensor-stats");
        await Assert.That(functions.Stdout).Contains("64 MB");

        var invoke = await ChildHost.RunAsync("invoke", "sensor-stats", "--json", """{"readings":[1,2,3]}""");
        await Assert.That(invoke.ExitCode).IsEqualTo(0);
        var result = JsonNode.Parse(invoke.Stdout)!;
        await Assert.That(result["mean"]!.GetValue<double>()).IsEqualTo(2.0);
    }

    [Test]
    public async Task Invoke_failures_exit_non_zero_with_the_error_on_stderr()
    {
        var unknown = await ChildHost.RunAsync("invoke", "nope");
        await Assert.That(unknown.ExitCode).IsEqualTo(1);
        await Assert.That(unknown.Stderr).Contains("Function not found: nope");
        await Assert.That(unknown.Stdout).IsEmpty();

        var badJson = await ChildHost.RunAsync("invoke", "echo", "--json", "{oops");
        await Assert.That(badJson.ExitCode).IsEqualTo(2);
        await Assert.That(badJson.Stderr).Contains("Malformed JSON");

        var badArg = await ChildHost.RunAsync("invoke", "echo", "--json", """{"message": 42}""");
        await Assert.That(badArg.ExitCode).IsEqualTo(1);
        await Assert.That(badArg.Stderr).Contains("message");
    }

    [Test]
    public async Task Invalid_configuration_stops_start_up_with_one_line_naming_the_setting()
    {
        var run = await ChildHost.RunAsync("serve", "--urls", "http://0.0.0.0:8080");
        await Assert.That(run.ExitCode).IsEqualTo(2);
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await Assert.That(lines.Length).IsEqualTo(1);
        await Assert.That(lines[0]).Contains("'token'");
    }

    [Test]
    public async Task Restart_after_sigkill_recovers_state_versions_and_pending()
    {
        var dir = TempDir();
        string before;
        string pendingBefore;
        await using (var host = await ChildHost.ServeAsync(dir))
        {
            for (var i = 1; i <= 5; i++)
            {
                var put = await host.Client.PutAsync("/v1/state", Body($$"""{"reading": {{i}}, "unit": "°C"}"""));
                await Assert.That(put.StatusCode).IsEqualTo(HttpStatusCode.OK);
            }

            await host.Client.PatchAsync("/v1/state", Body("""{"door": "open"}"""));
            await host.Client.PostAsync("/v1/state/confirm", Body("""{"upToVersion": 2}"""));
            before = await host.Client.GetStringAsync("/v1/state");
            pendingBefore = await host.Client.GetStringAsync("/v1/state/pending");
            await host.SignalAsync(9);
            await host.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        await using (var again = await ChildHost.ServeAsync(dir))
        {
            var after = JsonNode.Parse(await again.Client.GetStringAsync("/v1/state"))!;
            var expected = JsonNode.Parse(before)!;
            await Assert.That(after["version"]!.GetValue<long>()).IsEqualTo(6);
            await Assert.That(after["checksum"]!.GetValue<string>()).IsEqualTo(expected["checksum"]!.GetValue<string>());
            await Assert.That(after["data"]!.ToJsonString()).IsEqualTo(expected["data"]!.ToJsonString());
            await Assert.That(await again.Client.GetStringAsync("/v1/state/pending")).IsEqualTo(pendingBefore);
        }

        Directory.Delete(dir, recursive: true);
    }

    [Test]
    public async Task Sigterm_finishes_in_flight_invocations_then_exits_zero()
    {
        var dir = TempDir();
        await using var host = await ChildHost.ServeAsync(dir);
        var inFlight = host.Client.PostAsync("/v1/functions/sleep/invoke", Body("""{"milliseconds": 1500}"""));

        // Wait until the call is really running on the node, then ask it to stop.
        var metricsDeadline = DateTime.UtcNow.AddSeconds(10);
        while (!(await host.Client.GetStringAsync("/metrics")).Contains("edge_invocations_in_flight{node=\"child-node\"} 1", StringComparison.Ordinal))
        {
            await Assert.That(DateTime.UtcNow < metricsDeadline).IsTrue();
            await Task.Delay(20);
        }

        await host.SignalAsync(15);
        var response = await inFlight;
        await Assert.That(response.StatusCode).IsEqualTo(HttpStatusCode.OK);
        await Assert.That(await response.Content.ReadAsStringAsync()).IsEqualTo("1500");
        await Assert.That(await host.WaitForExitAsync(TimeSpan.FromSeconds(30))).IsEqualTo(0);
        await Assert.That(host.Stdout).Contains("stopped cleanly");
        Directory.Delete(dir, recursive: true);
    }
}
