using Edge.Host.Cli;

namespace Edge.Host.Tests.Cli;

public class CommandLineTests
{
    [Test]
    public async Task Parses_command_positional_flags_and_switches()
    {
        var line = CommandLine.Parse(["invoke", "echo", "--json", """{"message":"hi"}""", "--node-id=n1", "--coordinator", "--mqtt", "mqtt://127.0.0.1:1883"]);
        await Assert.That(line.Command).IsEqualTo("invoke");
        await Assert.That(line.Arguments).IsEquivalentTo(["echo"]);
        await Assert.That(line.Flags["json"]).IsEqualTo("""{"message":"hi"}""");
        await Assert.That(line.Flags["node-id"]).IsEqualTo("n1");
        await Assert.That(line.Flags["coordinator"]).IsEqualTo("true");
        await Assert.That(line.Flags["mqtt"]).IsEqualTo("mqtt://127.0.0.1:1883");
    }

    [Test]
    public async Task Unknown_command_flag_or_missing_value_is_an_error()
    {
        await Assert.That(() => CommandLine.Parse(["launch"])).Throws<SettingsException>();
        var unknown = await Assert.That(() => CommandLine.Parse(["serve", "--colour", "red"])).Throws<SettingsException>();
        await Assert.That(unknown!.Message).Contains("colour");
        await Assert.That(() => CommandLine.Parse(["serve", "--urls"])).Throws<SettingsException>();
        await Assert.That(() => CommandLine.Parse(["serve", "--json", "{}"])).Throws<SettingsException>();
    }

    [Test]
    [Arguments("serve")]
    [Arguments("invoke")]
    [Arguments("functions")]
    [Arguments("version")]
    public async Task Every_command_has_help(string command)
    {
        var line = CommandLine.Parse([command, "--help"]);
        await Assert.That(line.Help).IsTrue();
        var text = CommandLine.HelpText(command);
        await Assert.That(text).StartsWith($"Usage: edge-host {command}");
        if (command != "version")
        {
            await Assert.That(text).Contains("--data-dir VALUE");
            await Assert.That(text).Contains("EDGE_DATA_DIR");
        }
    }

    [Test]
    public async Task Overview_help_lists_every_command()
    {
        var text = CommandLine.HelpText("");
        foreach (var (name, _, _) in CommandLine.Commands)
        {
            await Assert.That(text).Contains("  " + name);
        }
    }
}
