using System.Diagnostics.Metrics;
using Edge.Host.Broker;
using Edge.Host.Fleet;
using Edge.Host.Functions;
using Edge.Host.Http;
using Edge.Host.Metrics;
using Edge.Host.Mqtt;
using Edge.Host.Node;
using Edge.Host.Options;
using Edge.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Edge.Host;

/// <summary>
/// Puts an edge node into an ASP.NET Core application: <c>builder.Services.AddEdgeNode(...)</c>, then
/// <c>app.MapEdgeApi()</c>. <c>edge-host serve</c> is exactly that on a slim builder of its own.
/// </summary>
public static class EdgeNodeServices
{
    /// <summary>Adds the node built from a generated function table (<c>EdgeFunctionTable.Instance</c>).</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="table">The functions the node runs.</param>
    /// <param name="settings">Validated settings: <see cref="SettingsLoader.Load(Microsoft.Extensions.Configuration.IConfiguration)"/>
    /// reads them from a configuration section.</param>
    public static IServiceCollection AddEdgeNode(this IServiceCollection services, IEdgeFunctionTable table, HostSettings settings) =>
        services.AddEdgeNode(new FunctionCatalog(table), settings);

    /// <summary>Adds the node: its runtime and journal, and, as the settings ask, the embedded broker, the MQTT fleet sync and the coordinator.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="catalog">The functions the node runs.</param>
    /// <param name="settings">Validated settings.</param>
    /// <param name="timeProvider">The node's clock (a fake one in tests); the system clock when null.</param>
    public static IServiceCollection AddEdgeNode(this IServiceCollection services, FunctionCatalog catalog, HostSettings settings, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(settings);

        // A graceful stop waits for in-flight calls: at least the longest function timeout, whatever the app set.
        var drain = catalog.LongestTimeout + TimeSpan.FromSeconds(5);
        services.PostConfigure<HostOptions>(o => o.ShutdownTimeout = o.ShutdownTimeout > drain ? o.ShutdownTimeout : drain);

        services.AddSingleton(s => new LocalNode(settings, catalog, s.GetRequiredService<ILoggerFactory>().CreateLogger("edge-host"), timeProvider));
        services.AddSingleton(settings);
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(settings.Node));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(settings.Http));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(settings.Journal));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(settings.Coordinator));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(settings.Broker));
        if (settings.Broker.Mode == BrokerMode.Embedded)
        {
            // Registered first: hosted services start in order (the broker listens before the node's client dials it)
            // and stop in reverse (the node says goodbye before the broker goes).
            services.AddSingleton(s => new EmbeddedBroker(settings.Broker, settings.BrokerUsers, settings.Journal.DataDir,
                s.GetRequiredService<ILogger<EmbeddedBroker>>(), s.GetRequiredService<IMeterFactory>()));
            services.AddHostedService(s => s.GetRequiredService<EmbeddedBroker>());
        }

        if (settings.Mqtt is { } mqtt)
        {
            services.AddSingleton(s =>
            {
                var local = s.GetRequiredService<LocalNode>();
                return new NodeSyncAgent(local.Node, local.Runtime, local.Synchronizer, mqtt, local.Time, local.Catalog.Find,
                    logger: s.GetRequiredService<ILogger<NodeSyncAgent>>(), meterFactory: s.GetRequiredService<IMeterFactory>());
            });
            services.AddHostedService(s => s.GetRequiredService<NodeSyncAgent>());

            if (settings.Coordinator.Enabled)
            {
                services.AddSingleton(s => new FleetRegistry(s.GetRequiredService<LocalNode>().Time));
                services.AddSingleton(s =>
                {
                    var local = s.GetRequiredService<LocalNode>();
                    return new ClusterCoordinator(s.GetRequiredService<FleetRegistry>(), mqtt, $"{local.Node.Id}-coordinator", local.Time,
                        logger: s.GetRequiredService<ILogger<ClusterCoordinator>>(), meterFactory: s.GetRequiredService<IMeterFactory>());
                });
                services.AddHostedService(s => s.GetRequiredService<ClusterCoordinator>());
            }
        }

        // The HTTP API's parts: its one body reader (the node's limits), the cluster its routes report, problem details.
        services.AddSingleton(new RequestBody(settings.Http.MaxBodyBytes, settings.Http.MaxJsonDepth));
        services.AddSingleton<INodeDirectory>(s => s.GetService<FleetRegistry>() is { } registry
            ? new FleetDirectory(registry)
            : new ClusterDirectory(s.GetRequiredService<LocalNode>().Cluster));
        services.AddNodeProblemDetails();

        // The MQTT side's instruments come from the app's meter factory; /metrics reads them through one listener.
        services.AddMetrics();
        services.AddSingleton(s => new MeterExporter(s.GetRequiredService<IMeterFactory>()));
        return services;
    }
}
