namespace Edge.Host.Options;

/// <summary>
/// Whether this node builds the cluster from the fleet's heartbeats (configuration section <c>Coordinator</c>). Its
/// heartbeat timeout is <see cref="Mqtt.MqttOptions.OfflineTimeout"/>, which the coordinator reads from the MQTT options.
/// </summary>
public sealed class CoordinatorOptions
{
    public bool Enabled { get; set; }
}
