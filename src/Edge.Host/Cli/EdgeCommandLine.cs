using System.CommandLine;
using System.CommandLine.Help;

namespace Edge.Host.Cli;

/// <summary>
/// The command line, declared once with System.CommandLine: <c>serve</c>, <c>invoke ID --json '…'</c>, <c>functions</c>,
/// <c>version</c>, <c>help</c>. Every option comes from <see cref="Setting.All"/>; its help is generated. Values are
/// strings here: the configuration binder and the validators give them their types and rules, whatever their source.
/// </summary>
public static class EdgeCommandLine
{
    private static readonly Dictionary<Option<string>, Setting> SettingOptions = Setting.All.ToDictionary(
        s => new Option<string>("--" + s.Flag)
        {
            Description = $"{s.Help} [{s.Env}]",
            HelpName = s.Kind == SettingKind.Switch ? "true|false" : "VALUE",
            Arity = s.Kind == SettingKind.Switch ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
        },
        s => s);

    private static readonly Option<string> Config = new("--config")
    {
        Description = "JSON config file with camelCase keys, e.g. {\"dataDir\": \"/var/lib/edge\"} [EDGE_CONFIG]",
        HelpName = "FILE",
    };

    /// <summary>The function id of <c>invoke</c>.</summary>
    public static Argument<string> FunctionId { get; } = new("ID") { Description = "the function to call" };

    /// <summary>The arguments of <c>invoke</c>.</summary>
    public static Option<string> Json { get; } = new("--json")
    {
        Description = "the arguments: a JSON object keyed by parameter name",
        HelpName = "JSON",
        DefaultValueFactory = _ => "{}",
    };

    /// <summary>The whole command tree.</summary>
    public static RootCommand Root { get; } = CreateRoot();

    /// <summary>Parses <paramref name="args"/>: <c>help [COMMAND]</c> and no arguments at all ask for help.</summary>
    public static ParseResult Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string[] line = args.ToArray() switch
        {
            [] or ["help"] => ["--help"],
            ["help", .. var rest] => [.. rest, "--help"],
            _ => [.. args],
        };

        // No @response-file expansion: a token or a path starting with '@' means itself.
        return Root.Parse(line, new ParserConfiguration { ResponseFileTokenReplacer = null });
    }

    /// <summary>True when the parse asks for help (the caller runs <see cref="ParseResult.Invoke"/> to print it).</summary>
    public static bool IsHelp(ParseResult result) => result?.Action is HelpAction;

    /// <summary>The flags given on the command line by name (<c>data-dir</c>, <c>config</c>); a bare switch is <c>true</c>.</summary>
    public static IReadOnlyDictionary<string, string> Flags(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (option, setting) in SettingOptions)
        {
            if (result.GetResult(option) is { Implicit: false } given)
            {
                flags[setting.Flag] = given.Tokens.Count == 0 ? "true" : given.Tokens[0].Value;
            }
        }

        if (result.GetValue(Config) is { } config)
        {
            flags["config"] = config;
        }

        return flags;
    }

    /// <summary>The error of a failed parse as one line, with where to look.</summary>
    public static string Error(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var command = result.CommandResult.Command is RootCommand ? "" : result.CommandResult.Command.Name + " ";
        // An unknown word also leaves "no command given"; the word is the better clue.
        var error = result.Errors.FirstOrDefault(e => result.UnmatchedTokens.Any(t => e.Message.Contains(t, StringComparison.Ordinal))) ?? result.Errors[0];
        return $"{error.Message.TrimEnd('.')}; run 'edge-host {command}--help'";
    }

    private static RootCommand CreateRoot()
    {
        var root = new RootCommand(
            "edge-host: an Edge.Native node in one binary. Each option of a command comes from its flag, else its " +
            "environment variable, else the --config file, else the default.");
        root.Options.Remove(root.Options.OfType<VersionOption>().Single());
        root.Directives.Clear();
        root.Subcommands.Add(WithSettings(new Command("serve", "run the node: HTTP API, durable state, optional MQTT fleet sync")));
        root.Subcommands.Add(WithSettings(new Command("invoke", "call one function locally and print its JSON result") { FunctionId, Json }));
        root.Subcommands.Add(WithSettings(new Command("functions", "list the functions this binary carries")));
        root.Subcommands.Add(new Command("version", "print the version"));
        root.Subcommands.Add(new Command("help", "show help for a command: help COMMAND"));
        return root;
    }

    private static Command WithSettings(Command command)
    {
        command.Options.Add(Config);
        foreach (var option in SettingOptions.Keys)
        {
            command.Options.Add(option);
        }

        return command;
    }
}
