using Edge.Host.Cli;

namespace Edge.Host.Tests.Cli;

public class CommandLineTests
{
    [Test]
    public async Task Parses_command_positional_flags_and_switches()
    {
        var line = EdgeCommandLine.Parse(["invoke", "echo", "--json", """{"message":"hi"}""", "--node-id=n1", "--coordinator", "--mqtt", "mqtt://127.0.0.1:1883", "--token", ""]);
        await Assert.That(line.Errors).IsEmpty();
        await Assert.That(line.CommandResult.Command.Name).IsEqualTo("invoke");
        await Assert.That(line.GetValue(EdgeCommandLine.FunctionId)).IsEqualTo("echo");
        await Assert.That(line.GetValue(EdgeCommandLine.Json)).IsEqualTo("""{"message":"hi"}""");
        var flags = EdgeCommandLine.Flags(line);
        await Assert.That(flags["node-id"]).IsEqualTo("n1");
        await Assert.That(flags["coordinator"]).IsEqualTo("true");
        await Assert.That(flags["mqtt"]).IsEqualTo("mqtt://127.0.0.1:1883");
        await Assert.That(flags["token"]).IsEqualTo("");
        await Assert.That(flags.Keys.Order(StringComparer.Ordinal)).IsEquivalentTo(["coordinator", "mqtt", "node-id", "token"], TUnit.Assertions.Enums.CollectionOrdering.Matching);
    }

    [Test]
    public async Task A_switch_takes_an_explicit_value_and_json_defaults_to_an_empty_object()
    {
        var line = EdgeCommandLine.Parse(["invoke", "echo", "--coordinator", "false", "--mqtt-tls=true"]);
        await Assert.That(line.Errors).IsEmpty();
        await Assert.That(EdgeCommandLine.Flags(line)["coordinator"]).IsEqualTo("false");
        await Assert.That(EdgeCommandLine.Flags(line)["mqtt-tls"]).IsEqualTo("true");
        await Assert.That(line.GetValue(EdgeCommandLine.Json)).IsEqualTo("{}");
    }

    [Test]
    [Arguments(new[] { "launch" }, "launch")]
    [Arguments(new[] { "serve", "--colour", "red" }, "--colour")]
    [Arguments(new[] { "serve", "--urls" }, "--urls")]
    [Arguments(new[] { "serve", "--json", "{}" }, "--json")]
    [Arguments(new[] { "invoke" }, "invoke")]
    [Arguments(new[] { "version", "--data-dir", "x" }, "--data-dir")]
    public async Task Unknown_command_flag_or_missing_value_is_one_line_naming_it(string[] args, string named)
    {
        var line = EdgeCommandLine.Parse(args);
        await Assert.That(line.Errors).IsNotEmpty();
        var error = EdgeCommandLine.Error(line);
        await Assert.That(error).Contains(named);
        await Assert.That(error).Contains("--help");
        await Assert.That(error).DoesNotContain("\n");
    }

    [Test]
    public async Task A_token_starting_with_at_is_not_a_response_file()
    {
        var line = EdgeCommandLine.Parse(["serve", "--token", "@not-a-file-0123456789"]);
        await Assert.That(line.Errors).IsEmpty();
        await Assert.That(EdgeCommandLine.Flags(line)["token"]).IsEqualTo("@not-a-file-0123456789");
    }

    [Test]
    [Arguments("serve")]
    [Arguments("invoke")]
    [Arguments("functions")]
    public async Task Every_command_has_generated_help_listing_each_setting_and_its_variable(string command)
    {
        foreach (var args in new[] { new[] { command, "--help" }, ["help", command] })
        {
            var line = EdgeCommandLine.Parse(args);
            await Assert.That(EdgeCommandLine.IsHelp(line)).IsTrue();
            var text = await HelpText(line);
            await Assert.That(text).Contains($"Usage:\n  ").And.Contains($" {command} ");
            foreach (var setting in Setting.All)
            {
                await Assert.That(text).Contains("--" + setting.Flag + " ");
                await Assert.That(text).Contains($"[{setting.Env}]");
            }
        }
    }

    [Test]
    public async Task Overview_help_lists_every_command_and_no_arguments_ask_for_it()
    {
        foreach (var args in new[] { Array.Empty<string>(), ["help"], ["--help"] })
        {
            var line = EdgeCommandLine.Parse(args);
            await Assert.That(EdgeCommandLine.IsHelp(line)).IsTrue();
            var text = await HelpText(line);
            foreach (var name in new[] { "serve", "invoke", "functions", "version", "help" })
            {
                await Assert.That(text).Contains("  " + name);
            }
        }
    }

    [Test]
    public async Task Every_setting_has_a_unique_flag_variable_file_key_and_configuration_key()
    {
        await Assert.That(Setting.All.Select(s => s.Flag).Distinct().Count()).IsEqualTo(Setting.All.Count);
        await Assert.That(Setting.All.Select(s => s.Env).Distinct().Count()).IsEqualTo(Setting.All.Count);
        await Assert.That(Setting.All.Select(s => s.FileKey).Distinct().Count()).IsEqualTo(Setting.All.Count);
        await Assert.That(Setting.All.Select(s => s.Key).Distinct(StringComparer.OrdinalIgnoreCase).Count()).IsEqualTo(Setting.All.Count);
        await Assert.That(Setting.All.All(s => s.Env == "EDGE_" + s.Flag.ToUpperInvariant().Replace('-', '_'))).IsTrue();
        await Assert.That(Setting.All.First(s => s.Flag == "data-dir").FileKey).IsEqualTo("dataDir");
    }

    private static async Task<string> HelpText(System.CommandLine.ParseResult line)
    {
        var output = new StringWriter();
        await Assert.That(await line.InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output })).IsEqualTo(0);
        return output.ToString();
    }
}
