using System.ComponentModel.DataAnnotations;
using Edge.Host.Mqtt;
using Microsoft.Extensions.Options;

namespace Edge.Host.Options;

/// <summary>
/// Everything a node is configured with: one options object per concern, bound from configuration by
/// <see cref="SettingsLoader"/> and validated once at start. Defaults need nothing else.
/// </summary>
// Each section has a validator of its own (below), so that a failure is known by its section and key.
#pragma warning disable SYSLIB1212 // a section without [ValidateObjectMembers]
public sealed class HostSettings : IValidatableObject
{
    public NodeOptions Node { get; init; } = new();

    public HttpOptions Http { get; init; } = new();

    public JournalOptions Journal { get; init; } = new();

    /// <summary>The fleet's broker session; null when standalone (no <c>--mqtt</c>).</summary>
    public MqttOptions? Mqtt { get; init; }

    public CoordinatorOptions Coordinator { get; init; } = new();

    public BrokerOptions Broker { get; init; } = new();

    /// <summary>The users the embedded broker admits, read from <see cref="BrokerOptions.CredentialsFile"/>; null admits anonymous clients (loopback only).</summary>
    public Edge.Host.Broker.BrokerCredentials? BrokerUsers { get; init; }

    /// <summary>The JSON config file these settings were read from, if any.</summary>
    public string? ConfigFile { get; init; }

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (Coordinator.Enabled && Mqtt is null)
        {
            yield return new("needs --mqtt: the coordinator learns the fleet from the broker", ["Coordinator.Enabled"]);
        }
    }
}
#pragma warning restore SYSLIB1212

/// <summary>The generated validators, one per section; each runs its options' attributes and <see cref="IValidatableObject"/> rules.</summary>
[OptionsValidator]
public sealed partial class NodeOptionsValidator : IValidateOptions<NodeOptions>;

[OptionsValidator]
public sealed partial class HttpOptionsValidator : IValidateOptions<HttpOptions>;

[OptionsValidator]
public sealed partial class JournalOptionsValidator : IValidateOptions<JournalOptions>;

[OptionsValidator]
public sealed partial class BrokerOptionsValidator : IValidateOptions<BrokerOptions>;

[OptionsValidator]
public sealed partial class HostSettingsValidator : IValidateOptions<HostSettings>;
