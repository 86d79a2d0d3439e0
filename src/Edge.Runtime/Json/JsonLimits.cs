namespace Edge.Runtime;

/// <summary>The one JSON nesting limit every layer (HTTP, MQTT, canonical writer, journal) agrees on.</summary>
public static class JsonLimits
{
    /// <summary>The nesting depth accepted by default (an object or array is one level).</summary>
    public const int DefaultDepth = 64;

    /// <summary>
    /// The deepest nesting a node may be configured to accept: what the canonical writer, the journal codec and every
    /// serializer support once the envelope levels are added, so whatever is accepted can be read back on every route.
    /// </summary>
    public const int MaxDepth = 256;

    /// <summary>
    /// Levels the wire envelopes add around accepted data (a SyncState's <c>data</c>, a pending change in the pending
    /// list, an MQTT change batch): serializers and readers of those envelopes allow <see cref="MaxDepth"/> plus this.
    /// </summary>
    public const int EnvelopeDepth = 8;

    /// <summary>The depth every serializer and reader of stored or transmitted state allows.</summary>
    public const int SerializerDepth = MaxDepth + EnvelopeDepth;
}
