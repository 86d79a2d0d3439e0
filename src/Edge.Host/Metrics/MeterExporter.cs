using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Edge.Host.Node;

namespace Edge.Host.Metrics;

/// <summary>
/// Reads the host's <see cref="System.Diagnostics.Metrics"/> instruments for <c>/metrics</c>: a <see cref="MeterListener"/>
/// over the <c>Edge.*</c> meters one <see cref="IMeterFactory"/> made (so two nodes in one process never mix), observable instruments
/// polled at each scrape, counters summed per tag set. Instrument names are the Prometheus names; descriptions the help.
/// </summary>
/// <remarks>
/// A hand-written exporter (about a hundred lines) instead of OpenTelemetry's Prometheus exporter: that one is still a
/// prerelease, and it brings the OpenTelemetry SDK into a binary whose size is budgeted.
/// </remarks>
internal sealed class MeterExporter : IMetricSource, IDisposable
{
    /// <summary>The prefix of the meters exported: every Edge.Native meter's name starts with it.</summary>
    public const string MeterPrefix = "Edge.";

    private readonly Lock _lock = new();
    private readonly MeterListener _listener = new();
    private readonly IMeterFactory _factory;

    // Per instrument in publication order (so one metric's samples stay together), its values by formatted labels.
    private readonly List<(Instrument Instrument, Dictionary<string, double> Values)> _instruments = [];
    private readonly Dictionary<Instrument, Dictionary<string, double>> _byInstrument = [];

    public MeterExporter(IMeterFactory factory)
    {
        _factory = factory ?? throw new ArgumentNullException(nameof(factory));
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // The host's own meters only: the framework's (Kestrel, hosting) share the factory but not our naming.
            if (ReferenceEquals(instrument.Meter.Scope, _factory) && instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal))
            {
                lock (_lock)
                {
                    var values = new Dictionary<string, double>(StringComparer.Ordinal);
                    _instruments.Add((instrument, values));
                    _byInstrument[instrument] = values;
                }

                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) =>
        {
            lock (_lock)
            {
                if (_byInstrument.Remove(instrument))
                {
                    _instruments.RemoveAll(i => ReferenceEquals(i.Instrument, instrument));
                }
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Every instrument's current values (observable ones polled now).</summary>
    public IEnumerable<MetricSample> Samples()
    {
        lock (_lock)
        {
            _listener.RecordObservableInstruments();
            var samples = new List<MetricSample>();
            foreach (var (instrument, values) in _instruments)
            {
                var type = instrument is ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> or Counter<long> or Counter<int> or Counter<double>
                    ? "counter"
                    : "gauge";
                foreach (var (labels, value) in values)
                {
                    samples.Add(new MetricSample(instrument.Name, type, instrument.Description ?? instrument.Name, value, labels));
                }
            }

            return samples;
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        lock (_lock)
        {
            if (!_byInstrument.TryGetValue(instrument, out var values))
            {
                return;
            }

            // Observable instruments report the current value; a pushed counter adds to the sum.
            values[labels] = instrument.IsObservable ? value : values.GetValueOrDefault(labels) + value;
        }
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }

        var text = new StringBuilder();
        foreach (var (key, value) in tags)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(key).Append("=\"").Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('"');
        }

        return text.ToString();
    }
}
