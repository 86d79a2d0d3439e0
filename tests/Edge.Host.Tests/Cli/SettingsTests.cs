using Edge.Host.Cli;
using Edge.Runtime;

namespace Edge.Host.Tests.Cli;

public class SettingsTests
{
    private static HostSettings Load(Dictionary<string, string>? flags = null, Dictionary<string, string>? env = null) =>
        HostSettings.Load(flags ?? [], name => env?.GetValueOrDefault(name));

    [Test]
    public async Task Defaults_need_nothing_else()
    {
        var s = Load();
        await Assert.That(s.Urls).IsEqualTo("http://127.0.0.1:8080");
        await Assert.That(s.DataDir).IsEqualTo("./edge-data");
        await Assert.That(s.NodeId).IsEqualTo(Environment.MachineName.ToLowerInvariant());
        await Assert.That(s.MaxBodyBytes).IsEqualTo(1024 * 1024);
        await Assert.That(s.Token).IsNull();
        await Assert.That(s.IsLoopbackOnly()).IsTrue();
    }

    [Test]
    public async Task Flags_beat_environment_which_beats_the_config_file()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, """{ "nodeId": "from-file", "dataDir": "/tmp/file-dir", "location": "file", "maxPending": 7, "capabilities": ["gpu", "camera"] }""");
        try
        {
            var s = Load(
                new() { ["config"] = file, ["node-id"] = "from-flag" },
                new() { ["EDGE_NODE_ID"] = "from-env", ["EDGE_DATA_DIR"] = "/tmp/env-dir" });
            await Assert.That(s.NodeId).IsEqualTo("from-flag");
            await Assert.That(s.DataDir).IsEqualTo("/tmp/env-dir");
            await Assert.That(s.Location).IsEqualTo("file");
            await Assert.That(s.MaxPending).IsEqualTo(7);
            await Assert.That(s.Capabilities).IsEquivalentTo(["gpu", "camera"]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    [Arguments("max-body-bytes", "lots", "max-body-bytes")]
    [Arguments("max-body-bytes", "0", "max-body-bytes")]
    [Arguments("conflict-strategy", "coin-flip", "conflict-strategy")]
    [Arguments("urls", "ftp://127.0.0.1:21", "urls")]
    [Arguments("node-id", "a/b", "node-id")]
    [Arguments("mqtt", "http://broker", "mqtt")]
    [Arguments("token", "short", "token")]
    [Arguments("coordinator", "true", "coordinator")]
    public async Task Invalid_values_name_the_setting(string flag, string value, string named)
    {
        var error = await Assert.That(() => Load(new() { [flag] = value })).Throws<SettingsException>();
        await Assert.That(error!.Setting).IsEqualTo(named);
        await Assert.That(error.Message).StartsWith($"invalid setting '{named}'");
    }

    [Test]
    public async Task Invalid_environment_value_names_the_variable_as_its_source()
    {
        var error = await Assert.That(() => Load(env: new() { ["EDGE_MAX_PENDING"] = "-3" })).Throws<SettingsException>();
        await Assert.That(error!.Message).Contains("EDGE_MAX_PENDING");
    }

    [Test]
    public async Task Binding_beyond_loopback_requires_a_token()
    {
        var error = await Assert.That(() => Load(new() { ["urls"] = "http://0.0.0.0:8080" })).Throws<SettingsException>();
        await Assert.That(error!.Setting).IsEqualTo("token");

        var withToken = Load(new() { ["urls"] = "http://0.0.0.0:8080", ["token"] = "a-long-enough-token" });
        await Assert.That(withToken.IsLoopbackOnly()).IsFalse();
        await Assert.That(Load(new() { ["urls"] = "http://[::1]:9000;http://localhost:9001" }).IsLoopbackOnly()).IsTrue();
    }

    [Test]
    public async Task Config_file_with_unknown_key_or_bad_json_is_refused()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, """{ "nodeld": "typo" }""");
            var unknown = await Assert.That(() => Load(new() { ["config"] = file })).Throws<SettingsException>();
            await Assert.That(unknown!.Message).Contains("nodeld");

            await File.WriteAllTextAsync(file, "{ not json");
            var bad = await Assert.That(() => Load(new() { ["config"] = file })).Throws<SettingsException>();
            await Assert.That(bad!.Setting).IsEqualTo("config");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Strategy_and_durability_parse()
    {
        var s = Load(new() { ["conflict-strategy"] = "latest-wins", ["durability"] = "per-write" });
        await Assert.That(s.ConflictStrategy).IsEqualTo(ConflictStrategy.LatestWins);
        await Assert.That(s.Durability).IsEqualTo(JournalDurability.PerWrite);
    }
}
