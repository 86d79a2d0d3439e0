namespace Edge.Runtime;

/// <summary>What <see cref="JournalFrameReader.Next"/> found at the reader's offset.</summary>
internal enum FrameRead
{
    /// <summary>A whole, verified frame.</summary>
    Frame,

    /// <summary>The end of the file, exactly at a frame boundary.</summary>
    End,

    /// <summary>Bytes that are not a verified frame: a torn tail, or damage.</summary>
    Damaged,
}

/// <summary>
/// Reads a journal's frames front to back through one buffer that grows to the largest frame, not to the file: a
/// journal of 100k frames recovers in the memory of one of them.
/// </summary>
internal sealed class JournalFrameReader(Stream stream) : IDisposable
{
    private const int InitialBuffer = 64 * 1024;

    private byte[] _buffer = new byte[InitialBuffer];
    private int _start;
    private int _end;
    private long _bufferOffset;
    private bool _eof;
    private int _lastPayload;
    private int _lastLength;

    /// <summary>The file offset of the next frame (after <see cref="FrameRead.Damaged"/>: of the damage).</summary>
    public long Offset => _bufferOffset + _start;

    /// <summary>
    /// Reads the frame at <see cref="Offset"/>. On <see cref="FrameRead.Frame"/>, <paramref name="payload"/> is its
    /// payload, valid until the next call, and the reader moves past it; otherwise the reader stays where it is.
    /// </summary>
    public FrameRead Next(out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (!Fill(JournalFrame.HeaderSize))
        {
            return _end == _start ? FrameRead.End : FrameRead.Damaged;
        }

        var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start));
        if (length == 0 || length > JournalFrame.MaxPayload || !Fill(JournalFrame.HeaderSize + (int)length))
        {
            return FrameRead.Damaged;
        }

        var window = _buffer.AsSpan(_start, _end - _start);
        if (!JournalFrame.TryRead(window, 0, out payload))
        {
            return FrameRead.Damaged;
        }

        _lastPayload = _start + JournalFrame.HeaderSize;
        _lastLength = payload.Length;
        _start += JournalFrame.HeaderSize + payload.Length;
        return FrameRead.Frame;
    }

    /// <summary>The payload of the frame the last <see cref="Next"/> returned (for iterators, which cannot hold a span), valid until the next call.</summary>
    public ReadOnlySpan<byte> LastPayload => _buffer.AsSpan(_lastPayload, _lastLength);

    /// <summary>Everything from <see cref="Offset"/> to the end of the file: what a damage report and the search for a later valid frame need.</summary>
    public byte[] ReadRest()
    {
        using var rest = new MemoryStream();
        rest.Write(_buffer, _start, _end - _start);
        stream.CopyTo(rest);
        return rest.ToArray();
    }

    /// <summary>The buffer's size: what reading costs in memory (tests hold it to the largest frame).</summary>
    internal int BufferCapacity => _buffer.Length;

    public void Dispose() => stream.Dispose();

    /// <summary>True once <paramref name="count"/> bytes from <see cref="Offset"/> are in the buffer; false at the end of the file before that.</summary>
    private bool Fill(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_start > 0)
        {
            // Slide the unread bytes to the front: the buffer only ever holds the frame being read.
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _bufferOffset += _start;
            _end -= _start;
            _start = 0;
        }

        if (count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(count, Math.Min(_buffer.Length * 2, JournalFrame.HeaderSize + JournalFrame.MaxPayload)));
        }

        while (_end < count && !_eof)
        {
            var read = stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _eof = true;
            }

            _end += read;
        }

        return _end >= count;
    }
}
