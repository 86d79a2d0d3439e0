using System.Net.Sockets;
using System.Text;

namespace Edge.Host.Tests.Http;

/// <summary>
/// HTTP/1.1 over a bare socket, for what HttpClient will not send: request targets spelled exactly as given (no dot
/// segment removal, no re-encoding), chunked bodies with chosen framing. One request per connection.
/// </summary>
internal static class RawHttp
{
    public sealed record Response(int Status, string Headers, string Body);

    public static async Task<Response> SendAsync(int port, string method, string target, string? body = null, string? extraHeaders = null, bool chunked = false, int chunkSize = 4096)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var stream = tcp.GetStream();
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        return await SendAsync(stream, method, target, bytes, extraHeaders, chunked, chunkSize);
    }

    public static async Task<Response> SendAsync(int port, string method, string target, byte[] body, string? extraHeaders = null, bool chunked = false, int chunkSize = 4096)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var stream = tcp.GetStream();
        return await SendAsync(stream, method, target, body, extraHeaders, chunked, chunkSize);
    }

    private static async Task<Response> SendAsync(NetworkStream stream, string method, string target, byte[] body, string? extraHeaders, bool chunked, int chunkSize)
    {
        var head = new StringBuilder()
            .Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n")
            .Append("Connection: close\r\n");
        if (extraHeaders?.Contains("Host:", StringComparison.OrdinalIgnoreCase) != true)
        {
            head.Append("Host: 127.0.0.1\r\n");
        }

        if (extraHeaders is not null)
        {
            head.Append(extraHeaders.TrimEnd('\r', '\n')).Append("\r\n");
        }

        if (body.Length > 0 || chunked)
        {
            head.Append(chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {body.Length}\r\n");
        }

        head.Append("\r\n");
        IOException? writeFailure = null;
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
            if (chunked)
            {
                for (var offset = 0; offset < body.Length; offset += chunkSize)
                {
                    var size = Math.Min(chunkSize, body.Length - offset);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"{size:x}\r\n"));
                    await stream.WriteAsync(body.AsMemory(offset, size));
                    await stream.WriteAsync("\r\n"u8.ToArray());
                }

                await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
            }
            else
            {
                await stream.WriteAsync(body);
            }
        }
        catch (IOException e)
        {
            // The server answered early (413 before the whole body) and closed: the answer is still to be read.
            writeFailure = e;
        }

        var reply = new MemoryStream();
        try
        {
            await stream.CopyToAsync(reply);
        }
        catch (IOException)
        {
            // The server may reset after answering (413 with Connection: close); what arrived is the answer.
        }

        if (reply.Length == 0 && writeFailure is not null)
        {
            throw writeFailure;
        }

        var text = Encoding.UTF8.GetString(reply.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var headers = split < 0 ? text : text[..split];
        var content = split < 0 ? "" : text[(split + 4)..];
        if (headers.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            content = Dechunk(content);
        }

        var status = int.Parse(headers.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return new Response(status, headers, content);
    }

    private static string Dechunk(string chunked)
    {
        var text = new StringBuilder();
        var rest = chunked.AsSpan();
        while (true)
        {
            var line = rest.IndexOf("\r\n");
            if (line <= 0)
            {
                return text.ToString();
            }

            var size = Convert.ToInt32(rest[..line].ToString(), 16);
            if (size == 0)
            {
                return text.ToString();
            }

            text.Append(rest.Slice(line + 2, size));
            rest = rest[(line + 2 + size + 2)..];
        }
    }
}
