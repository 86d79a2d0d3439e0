using System.Text;

namespace Edge.Host.Cli;

/// <summary>A parsed command line: the command, its positional arguments and its --flags.</summary>
public sealed record CommandLine(string Command, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Flags, bool Help)
{
    /// <summary>Flags that belong to one command only (beyond <see cref="HostSettings.All"/> and --config).</summary>
    private static readonly Dictionary<string, string[]> CommandFlags = new(StringComparer.Ordinal)
    {
        ["invoke"] = ["json"],
    };

    public static IReadOnlyList<(string Name, string Usage, string Summary)> Commands { get; } =
    [
        ("serve", "serve [options]", "run the node: HTTP API, durable state, optional MQTT fleet sync"),
        ("invoke", "invoke ID [--json '{...}'] [options]", "call one function locally and print its JSON result"),
        ("functions", "functions [options]", "list the functions this binary carries"),
        ("version", "version", "print the version"),
    ];

    /// <summary>Parses <paramref name="args"/>. Hand-written: no reflection, and small enough to read at a glance.</summary>
    /// <exception cref="SettingsException">An unknown flag or a flag without its value.</exception>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] is "-h" or "--help" or "help")
        {
            return new CommandLine(args.Count > 1 ? args[1] : "", [], new Dictionary<string, string>(), Help: true);
        }

        var command = args[0];
        if (Commands.All(c => c.Name != command))
        {
            throw new SettingsException("command", $"'{command}' is not a command; run 'edge-host --help'");
        }

        var arguments = new List<string>();
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var help = false;
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                help = true;
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                arguments.Add(arg);
                continue;
            }

            var name = arg[2..];
            string? value = null;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }

            var setting = HostSettings.All.FirstOrDefault(s => s.Flag == name);
            var known = setting is not null || name == "config" || (CommandFlags.TryGetValue(command, out var own) && own.Contains(name));
            if (!known)
            {
                throw new SettingsException(name, $"is not an option of '{command}'; run 'edge-host {command} --help'");
            }

            if (value is null)
            {
                if (setting is { IsSwitch: true } && (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)))
                {
                    value = "true";
                }
                else if (i + 1 < args.Count)
                {
                    value = args[++i];
                }
                else
                {
                    throw new SettingsException(name, "needs a value");
                }
            }

            flags[name] = value;
        }

        return new CommandLine(command, arguments, flags, help);
    }

    /// <summary>The help text for <paramref name="command"/> (or the overview when empty or unknown).</summary>
    public static string HelpText(string command)
    {
        var text = new StringBuilder();
        var entry = Commands.FirstOrDefault(c => c.Name == command);
        if (entry.Name is null)
        {
            text.AppendLine("edge-host: an Edge.Native node in one binary.");
            text.AppendLine();
            text.AppendLine("Usage: edge-host COMMAND [options]");
            text.AppendLine();
            text.AppendLine("Commands:");
            foreach (var c in Commands)
            {
                text.AppendLine($"  {c.Name,-10} {c.Summary}");
            }

            text.AppendLine();
            text.AppendLine("Run 'edge-host COMMAND --help' for its options.");
            return text.ToString();
        }

        text.AppendLine($"Usage: edge-host {entry.Usage}");
        text.AppendLine();
        text.AppendLine(entry.Summary + ".");
        if (command == "version")
        {
            return text.ToString();
        }

        text.AppendLine();
        text.AppendLine("Options (flag > environment variable > config file > default):");
        if (command == "invoke")
        {
            text.AppendLine($"  {"--json JSON",-28} the arguments: a JSON object keyed by parameter name (default {{}})");
        }

        text.AppendLine($"  {"--config FILE",-28} JSON config file with camelCase keys, e.g. {{\"dataDir\": \"/var/lib/edge\"}} [EDGE_CONFIG]");
        foreach (var s in HostSettings.All)
        {
            var flag = s.IsSwitch ? "--" + s.Flag : $"--{s.Flag} VALUE";
            text.AppendLine($"  {flag,-28} {s.Help} [{s.Env}]");
        }

        return text.ToString();
    }
}
