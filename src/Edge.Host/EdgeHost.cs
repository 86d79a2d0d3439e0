using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Edge.Host.Broker;
using Edge.Host.Cli;
using Edge.Host.Functions;
using Edge.Host.Http;
using Edge.Host.Node;
using Edge.Host.Options;
using Edge.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Edge.Host;

/// <summary>
/// The one entry point of the host. A project with its own <c>[EdgeFunction]</c>s gets the same CLI, HTTP API,
/// durable state and fleet sync in its own binary with
/// <c>return await EdgeHost.RunAsync(args, EdgeFunctionTable.Instance);</c> (the generated table of that project).
/// </summary>
public static class EdgeHost
{
    /// <summary>The version printed by <c>edge-host version</c>.</summary>
    public const string Version = BuildInfo.Version;

    /// <summary>Runs the command line: <c>serve</c>, <c>invoke</c>, <c>functions</c>, <c>version</c>.</summary>
    /// <param name="args">The process arguments.</param>
    /// <param name="table">The functions compiled into the binary: the generator's <c>EdgeFunctionTable.Instance</c>.</param>
    /// <returns>The process exit code: 0 success, 1 failure, 2 bad usage or configuration.</returns>
    public static async Task<int> RunAsync(string[] args, IEdgeFunctionTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var line = EdgeCommandLine.Parse(args);
        if (line.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync("edge-host: " + EdgeCommandLine.Error(line));
            return 2;
        }

        var command = line.CommandResult.Command.Name;
        if (EdgeCommandLine.IsHelp(line))
        {
            return await line.InvokeAsync();
        }

        if (command == "version")
        {
            Console.Out.WriteLine($"edge-host {Version}");
            return 0;
        }

        HostSettings settings;
        try
        {
            settings = SettingsLoader.Load(EdgeCommandLine.Flags(line), Environment.GetEnvironmentVariable);
        }
        catch (SettingsException e)
        {
            await Console.Error.WriteLineAsync("edge-host: " + e.Message);
            return 2;
        }

        var catalog = new FunctionCatalog(table);
        return command switch
        {
            "functions" => ListFunctions(catalog),
            "invoke" => await InvokeAsync(line.GetValue(EdgeCommandLine.FunctionId)!, line.GetValue(EdgeCommandLine.Json)!, catalog, settings),
            _ => await ServeAsync(settings, catalog),
        };
    }

    /// <summary>Builds the node's web application (used by <c>serve</c> and by in-process tests).</summary>
    public static WebApplication BuildApp(HostSettings settings, FunctionCatalog catalog, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(catalog);
        // Empty, not slim: edge-host has its own settings (flags, EDGE_*, --config), so no appsettings.json, no file
        // watcher and no environment providers are read; only Kestrel and routing are added (a faster start).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.WebHost.UseUrls(settings.Http.SplitUrls());
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.Http.MaxBodyBytes;
        });
        if (settings.Http.UsesHttps())
        {
            // HTTPS is left out of the empty builder (it costs binary size); only a node with an https:// URL brings it in.
            X509Certificate2 certificate;
            try
            {
                certificate = Tls.PemFiles.LoadCertificate(settings.Http.CertFile!, settings.Http.KeyFile!);
            }
            catch (Tls.PemFileException e)
            {
                throw new SettingsException("https-cert", e.Message);
            }

            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
        }
        builder.Services.AddSystemd();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.Services.AddEdgeNode(catalog, settings, timeProvider);
        var app = builder.Build();
        app.MapEdgeApi();
        return app;
    }

    private static async Task<int> ServeAsync(HostSettings settings, FunctionCatalog catalog)
    {
        WebApplication app;
        try
        {
            app = BuildApp(settings, catalog);
        }
        catch (SettingsException e)
        {
            await Console.Error.WriteLineAsync("edge-host: " + e.Message);
            return 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            await Console.Error.WriteLineAsync($"edge-host: cannot open the data directory '{settings.Journal.DataDir}': {e.Message}");
            return 1;
        }

        await using (app)
        {
            var node = app.Services.GetRequiredService<LocalNode>();
            var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("edge-host");
            app.Lifetime.ApplicationStarted.Register(() => log.LogInformation(
                "node {NodeId} serving {Count} functions on {Urls}; state v{Version} ({Pending} pending) in {DataDir}",
                node.Node.Id, node.Runtime.FunctionCount, settings.Http.Urls, node.Synchronizer.LocalVersion, node.Synchronizer.PendingCount, Path.GetFullPath(settings.Journal.DataDir)));
            try
            {
                await app.RunAsync();
            }
            catch (BrokerListenException e)
            {
                await Console.Error.WriteLineAsync("edge-host: " + e.Message);
                return 1;
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"edge-host: cannot listen on '{settings.Http.Urls}': {e.Message}");
                return 1;
            }

            log.LogInformation("node {NodeId} stopped cleanly", node.Node.Id);
        }

        return 0;
    }

    private static int ListFunctions(FunctionCatalog catalog)
    {
        var rows = catalog.Descriptors
            .OrderBy(d => d.Id, StringComparer.Ordinal)
            .Select(d => (d.Id, d.Name, Memory: $"{d.MemoryMb} MB", Timeout: $"{d.TimeoutSeconds} s", Caps: string.Join(',', d.RequiredCapabilities)))
            .ToList();
        var header = (Id: "ID", Name: "NAME", Memory: "MEMORY", Timeout: "TIMEOUT", Caps: "CAPABILITIES");
        int idW = Math.Max(header.Id.Length, rows.Select(r => r.Id.Length).DefaultIfEmpty(0).Max()),
            nameW = Math.Max(header.Name.Length, rows.Select(r => r.Name.Length).DefaultIfEmpty(0).Max()),
            memW = Math.Max(header.Memory.Length, rows.Select(r => r.Memory.Length).DefaultIfEmpty(0).Max()),
            toW = Math.Max(header.Timeout.Length, rows.Select(r => r.Timeout.Length).DefaultIfEmpty(0).Max());
        var text = new StringBuilder();
        foreach (var r in rows.Prepend(header))
        {
            text.Append(r.Id.PadRight(idW)).Append("  ").Append(r.Name.PadRight(nameW)).Append("  ")
                .Append(r.Memory.PadLeft(memW)).Append("  ").Append(r.Timeout.PadLeft(toW)).Append("  ").Append(r.Caps).AppendLine();
        }

        Console.Out.Write(text.ToString());
        return 0;
    }

    private static async Task<int> InvokeAsync(string id, string json, FunctionCatalog catalog, HostSettings settings)
    {
        var runtime = new EdgeRuntime(new EdgeNode(settings.Node.Id, settings.Node.Name ?? settings.Node.Id));
        catalog.DeployAll(runtime);
        var arguments = Encoding.UTF8.GetBytes(json);
        var body = new Http.RequestBody(settings.Http.MaxBodyBytes, settings.Http.MaxJsonDepth);
        if (body.Validate(arguments) is { } problem)
        {
            await Console.Error.WriteLineAsync("edge-host: " + problem);
            return 2;
        }

        var result = new ArrayBufferWriter<byte>();
        try
        {
            await runtime.InvokeJsonAsync(id, arguments, result);
        }
        catch (Exception e) when (e is ArgumentException or TimeoutException or EdgeExecutionException or System.Text.Json.JsonException)
        {
            await Console.Error.WriteLineAsync("edge-host: " + e.Message);
            return 1;
        }

        using var stdout = Console.OpenStandardOutput();
        stdout.Write(result.WrittenSpan);
        stdout.Write("\n"u8);
        return 0;
    }
}
