using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Edge.Runtime;

/// <summary>
/// The payloads of journal frames and snapshot files: a compact little-endian binary form, written and read by hand
/// (no reflection, AOT-safe). State data is embedded as its canonical UTF-8 JSON.
/// </summary>
/// <remarks>
/// <para>Records of format 2 (this release) hold the change, not the state: a delta update carries the delta and the
/// checksum its merged state claims (replay merges and verifies once, at the end), a full update carries its data once
/// (the pending change shares the state's bytes). Their data is the canonical bytes as stored, behind the frame's CRC,
/// so reading them back copies bytes and parses nothing. Format-1 records (the release before) carry the merged state
/// and the change, each with a float table; a journal may hold both formats, frame by frame.</para>
/// Journals of earlier releases hold plain JSON text and, for CLR floating-point values (which that text could not tell
/// from integers: 1.0 was written "1", but is "1.0" in the canonical form), a table of them by pre-order position;
/// they read back to the same canonical bytes and checksums.
/// </remarks>
internal static class JournalCodec
{
    private const byte RecordFormat1 = 1;
    private const byte RecordFormat = 2;
    private const byte HasState = 1;
    private const byte HasChange = 2;
    private const byte ChangeSharesState = 4;
    private const byte DeltaWithResultChecksum = 8;
    private const byte SnapshotFormat = 1;
    private const byte FloatDouble = 1;
    private const byte FloatSingle = 2;
    private const byte FloatDecimal = 3;

    /// <summary>Starts every snapshot file; the rest of the file is one frame.</summary>
    public static ReadOnlySpan<byte> SnapshotMagic => "EDGESNAP"u8;

    // The one depth limit of every layer (JsonLimits): whatever the API accepted is journaled and read back.
    private static readonly JsonDocumentOptions ReaderOptions = new() { MaxDepth = JsonLimits.SerializerDepth };
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    public static void WriteRecord(FrameBuffer buffer, SyncRecord record)
    {
        var w = new Writer(buffer);
        w.Byte(RecordFormat);
        w.Byte((byte)record.Kind);
        w.Int64(record.Version);
        w.Time(record.Timestamp);
        w.Int32(record.Dropped);
        w.String(record.Detail);
        var state = record.State;
        var change = record.Change;
        if (change is { IsDelta: true } && (state?.Checksum ?? record.ResultChecksum) is { } resultChecksum)
        {
            // The change, not the state: the merged state is rebuilt on replay and checked against this checksum.
            w.Byte(DeltaWithResultChecksum);
            w.Int64(change.Version);
            w.Time(change.Timestamp);
            w.Data(change.Canonical.Span);
            w.String(resultChecksum);
            return;
        }

        var shares = state is not null && change is { IsDelta: false } && change.Canonical.Span.SequenceEqual(state.Canonical.Span);
        w.Byte((byte)((state is null ? 0 : HasState) | (change is null ? 0 : shares ? ChangeSharesState : HasChange)));
        if (state is not null)
        {
            w.Int64(state.Version);
            w.Data(state.Canonical.Span);
            w.String(state.Checksum);
            w.Time(state.UpdatedAt);
        }

        if (change is not null)
        {
            w.Int64(change.Version);
            w.Time(change.Timestamp);
            w.Byte(change.IsDelta ? (byte)1 : (byte)0);
            if (!shares)
            {
                w.Data(change.Canonical.Span);
            }
        }
    }

    /// <summary>Decodes a record; with <paramref name="validateOnly"/>, only checks that it decodes (JSON is scanned, not built).</summary>
    public static SyncRecord ReadRecord(ReadOnlySpan<byte> payload, bool validateOnly = false)
    {
        var r = new Reader(payload, validateOnly);
        var format = r.Byte();
        if (format is not (RecordFormat1 or RecordFormat))
        {
            throw new InvalidDataException($"unknown record format {format} (this release reads {RecordFormat1} and {RecordFormat})");
        }

        var kind = (SyncRecordKind)r.Byte();
        if (!Enum.IsDefined(kind))
        {
            throw new InvalidDataException($"unknown record kind {(byte)kind}");
        }

        var version = r.Int64();
        var timestamp = r.Time();
        var dropped = r.Int32();
        var detail = r.String();
        var flags = r.Byte();
        SyncRecord record;
        if (format == RecordFormat1)
        {
            var state1 = (flags & HasState) != 0 ? r.State() : null;
            var change1 = (flags & HasChange) != 0 ? r.Change() : null;
            record = new SyncRecord(kind, timestamp, version, state1, change1, dropped, detail);
        }
        else if (flags == DeltaWithResultChecksum)
        {
            var changeVersion = r.Int64();
            var changeTime = r.Time();
            var delta = r.Data();
            var resultChecksum = r.String();
            var change = new PendingChange(PendingChange.DeltaType, changeVersion, delta, changeTime, isDelta: true);
            record = new SyncRecord(kind, timestamp, version, null, change, dropped, detail, resultChecksum);
        }
        else
        {
            SyncState? state = null;
            if ((flags & HasState) != 0)
            {
                var stateVersion = r.Int64();
                var data = r.Data();
                state = new SyncState(data, r.String(), stateVersion, r.Time());
            }

            PendingChange? change = null;
            if ((flags & (HasChange | ChangeSharesState)) != 0)
            {
                var changeVersion = r.Int64();
                var changeTime = r.Time();
                var isDelta = r.Byte() != 0;
                var shares = (flags & ChangeSharesState) != 0;
                if (shares && state is null)
                {
                    throw new InvalidDataException("a change that shares the state's data has no state");
                }

                var data = shares ? state!.CanonicalArray : r.Data();
                change = new PendingChange(isDelta ? PendingChange.DeltaType : PendingChange.FullType, changeVersion, data, changeTime, isDelta, shares ? state!.Checksum : null);
            }

            record = new SyncRecord(kind, timestamp, version, state, change, dropped, detail);
        }

        r.End();
        return record;
    }

    public static void WriteSnapshot(FrameBuffer buffer, SyncSnapshot snapshot, long generation)
    {
        var w = new Writer(buffer);
        w.Byte(SnapshotFormat);
        w.Int64(generation);
        w.Byte(snapshot.Local is null ? (byte)0 : (byte)1);
        if (snapshot.Local is { } local)
        {
            w.State(local);
        }

        w.Int64(snapshot.RemoteVersion);
        w.Int32(snapshot.Pending.Count);
        foreach (var change in snapshot.Pending)
        {
            w.Change(change);
        }

        var c = snapshot.Counters;
        w.Int64(c.LocalUpdates);
        w.Int64(c.RemoteApplied);
        w.Int64(c.RemoteRejected);
        w.Int64(c.ConfirmedChanges);
        w.Int64(c.DroppedChanges);
        var history = snapshot.History ?? [];
        w.Int32(history.Count);
        foreach (var e in history)
        {
            w.Time(e.Timestamp);
            w.Byte((byte)e.Action);
            w.Int64(e.Version);
            w.String(e.Detail);
        }
    }

    public static SyncSnapshot ReadSnapshot(ReadOnlySpan<byte> payload, out long generation)
    {
        var r = new Reader(payload, validateOnly: false);
        r.Format(SnapshotFormat);
        generation = r.Int64();
        var local = r.Byte() != 0 ? r.State() : null;
        var remoteVersion = r.Int64();
        var pending = new PendingChange[r.Count()];
        for (var i = 0; i < pending.Length; i++)
        {
            pending[i] = r.Change();
        }

        var counters = new SyncCounters(r.Int64(), r.Int64(), r.Int64(), r.Int64(), r.Int64());
        var history = new SyncEvent[r.Count()];
        for (var i = 0; i < history.Length; i++)
        {
            var timestamp = r.Time();
            var action = (SyncAction)r.Byte();
            if (!Enum.IsDefined(action))
            {
                throw new InvalidDataException($"unknown history action {(byte)action}");
            }

            history[i] = new SyncEvent(timestamp, action, r.Int64(), r.String());
        }

        r.End();
        return new SyncSnapshot(local, remoteVersion, pending, counters, history);
    }

    private readonly ref struct Writer(FrameBuffer buffer)
    {
        private readonly FrameBuffer _buffer = buffer;

        public void Byte(byte value)
        {
            _buffer.GetSpan(1)[0] = value;
            _buffer.Advance(1);
        }

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), value);
            _buffer.Advance(4);
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value);
            _buffer.Advance(8);
        }

        /// <summary>Clock ticks and offset, so the value reads back identical, not just the same instant.</summary>
        public void Time(DateTimeOffset value)
        {
            Int64(value.Ticks);
            Int32(checked((int)value.Offset.TotalMinutes));
        }

        public void String(string value)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            Int32(length);
            Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
            _buffer.Advance(length);
        }

        /// <summary>Length-prefixed canonical JSON text, then an empty float table (canonical text keeps floats as floats).</summary>
        public void Json(ReadOnlySpan<byte> canonical)
        {
            Int32(canonical.Length);
            canonical.CopyTo(_buffer.GetSpan(canonical.Length));
            _buffer.Advance(canonical.Length);
            Int32(0);
        }

        /// <summary>Length-prefixed canonical JSON bytes (format 2: no float table).</summary>
        public void Data(ReadOnlySpan<byte> canonical)
        {
            Int32(canonical.Length);
            canonical.CopyTo(_buffer.GetSpan(canonical.Length));
            _buffer.Advance(canonical.Length);
        }

        public void State(SyncState state)
        {
            Int64(state.Version);
            Json(state.Canonical.Span);
            String(state.Checksum);
            Time(state.UpdatedAt);
        }

        public void Change(PendingChange change)
        {
            String(change.Type);
            Int64(change.Version);
            Json(change.Canonical.Span);
            Time(change.Timestamp);
            Byte(change.IsDelta ? (byte)1 : (byte)0);
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> data, bool validateOnly)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private readonly bool _validateOnly = validateOnly;
        private int _position;

        public void Format(byte expected)
        {
            var format = Byte();
            if (format != expected)
            {
                throw new InvalidDataException($"unknown format {format} (expected {expected})");
            }
        }

        public byte Byte() => Take(1)[0];

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public int Count()
        {
            var count = Int32();
            if (count < 0 || count > _data.Length - _position)
            {
                throw new InvalidDataException($"bad count {count}");
            }

            return count;
        }

        public DateTimeOffset Time()
        {
            var ticks = Int64();
            var offset = TimeSpan.FromMinutes(Int32());
            return new DateTimeOffset(ticks, offset);
        }

        public string String() => Encoding.UTF8.GetString(Take(Count()));

        /// <summary>Canonical bytes as format 2 stores them: copied, not parsed (the frame's CRC vouches for them; the state's checksum is verified on replay).</summary>
        public byte[] Data()
        {
            var bytes = Take(Count());
            return _validateOnly ? [] : bytes.ToArray();
        }

        /// <summary>The canonical bytes of stored state data (written canonical, or by older releases as plain JSON text with a float table).</summary>
        public byte[] Json()
        {
            var bytes = Take(Count());
            if (_validateOnly)
            {
                Validate(bytes);
                for (var i = Count(); i > 0; i--)
                {
                    Int32();
                    _ = Byte() switch
                    {
                        FloatDouble => Int64(),
                        FloatSingle => Int32(),
                        FloatDecimal => Int32() + Int32() + Int32() + Int32(),
                        var kind => throw new InvalidDataException($"unknown float kind {kind}"),
                    };
                }

                return [];
            }

            var count = Count();
            if (count == 0)
            {
                // Canonical text (this release) canonicalizes to itself; older JSON text without CLR floats canonicalizes
                // exactly as the data it was written from (numbers keep their text).
                return CanonicalJson.CanonicalizeObject(bytes);
            }

            var data = JsonNode.Parse(bytes, NodeOptions, ReaderOptions) as JsonObject
                ?? throw new InvalidDataException("state data is not a JSON object");

            // CLR floating-point values come back as themselves, not as JSON numbers: "1.0" stays a float for the checksum.
            var floats = new (int Index, JsonValue Value)[count];
            for (var i = 0; i < count; i++)
            {
                var at = Int32();
                JsonValue value = Byte() switch
                {
                    FloatDouble => JsonValue.Create(BitConverter.Int64BitsToDouble(Int64())),
                    FloatSingle => JsonValue.Create(BitConverter.Int32BitsToSingle(Int32())),
                    FloatDecimal => JsonValue.Create(new decimal([Int32(), Int32(), Int32(), Int32()])),
                    var kind => throw new InvalidDataException($"unknown float kind {kind}"),
                };
                floats[i] = (at, value);
            }

            var index = 0;
            var next = 0;
            Restore(data, ref index, floats, ref next);
            if (next != floats.Length)
            {
                throw new InvalidDataException("float positions do not match the data");
            }

            return CanonicalJson.CanonicalizeNode(data);
        }

        /// <summary>Checks that <paramref name="json"/> is one JSON object, without building it.</summary>
        private static void Validate(ReadOnlySpan<byte> json)
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = ReaderOptions.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidDataException("state data is not a JSON object");
            }

            reader.Skip();
            if (reader.Read())
            {
                throw new InvalidDataException("trailing data after the state JSON");
            }
        }

        private static void Restore(JsonNode? node, ref int index, (int Index, JsonValue Value)[] floats, ref int next)
        {
            index++;
            switch (node)
            {
                case JsonObject obj:
                    for (var i = 0; i < obj.Count; i++)
                    {
                        if (next < floats.Length && floats[next].Index == index)
                        {
                            obj.SetAt(i, floats[next++].Value);
                            index++;
                        }
                        else
                        {
                            Restore(obj.GetAt(i).Value, ref index, floats, ref next);
                        }
                    }

                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (next < floats.Length && floats[next].Index == index)
                        {
                            array[i] = floats[next++].Value;
                            index++;
                        }
                        else
                        {
                            Restore(array[i], ref index, floats, ref next);
                        }
                    }

                    break;
            }
        }

        public SyncState State()
        {
            var version = Int64();
            var data = Json();
            var checksum = String();
            return new SyncState(data, checksum, version, Time());
        }

        public PendingChange Change()
        {
            // The stored type is read past, not trusted: journals written before full updates were typed "update" hold
            // "full". The type follows IsDelta, so old data directories open with today's names.
            _ = String();
            var version = Int64();
            var data = Json();
            var timestamp = Time();
            var isDelta = Byte() != 0;
            return new PendingChange(isDelta ? PendingChange.DeltaType : PendingChange.FullType, version, data, timestamp, isDelta);
        }

        public readonly void End()
        {
            if (_position != _data.Length)
            {
                throw new InvalidDataException($"{_data.Length - _position} unexpected trailing bytes");
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > _data.Length - _position)
            {
                throw new InvalidDataException($"truncated payload at byte {_position}");
            }

            var span = _data.Slice(_position, count);
            _position += count;
            return span;
        }
    }
}
