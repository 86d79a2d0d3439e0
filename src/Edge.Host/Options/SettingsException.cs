namespace Edge.Host.Options;

/// <summary>Invalid configuration: stops start-up with one line naming the setting.</summary>
public sealed class SettingsException(string setting, string problem) : Exception($"invalid setting '{setting}': {problem}")
{
    /// <summary>The setting's flag name (<c>max-body-bytes</c>), or <c>config</c> for the file itself.</summary>
    public string Setting { get; } = setting;
}
