using System.Security.Cryptography.X509Certificates;
using Edge.Host.Tls;
using MQTTnet.Certificates;

namespace Edge.Host.Broker;

/// <summary>
/// The embedded broker's certificate, read again when its files change: MQTTnet asks for the certificate on every
/// connection, so a renewed pair (certbot, step-ca, cert-manager) is served to the next client without a restart, as
/// a node re-reads its own client certificate on every connect. A pair that cannot be loaded (a renewal caught
/// half-written, a key that does not match) leaves the last good certificate in use and is reported once.
/// </summary>
internal sealed class RenewingCertificate : ICertificateProvider, IDisposable
{
    private readonly string _certificatePath;
    private readonly string _keyPath;
    private readonly Action<string> _reportFailure;
    private readonly Lock _lock = new();
    private X509Certificate2 _current;
    private (DateTime Certificate, DateTime Key) _loadedStamps;
    private (DateTime Certificate, DateTime Key) _failedStamps;

    /// <summary>Loads the pair now; a bad pair at start is the caller's to refuse.</summary>
    /// <exception cref="PemFileException">The files cannot be read or do not make a certificate with its key.</exception>
    public RenewingCertificate(string certificatePath, string keyPath, Action<string> reportFailure)
    {
        _certificatePath = certificatePath;
        _keyPath = keyPath;
        _reportFailure = reportFailure;
        _loadedStamps = Stamps();
        _current = PemFiles.LoadCertificate(certificatePath, keyPath);
    }

    /// <inheritdoc />
    public X509Certificate2 GetCertificate()
    {
        lock (_lock)
        {
            var stamps = Stamps();
            if (stamps != _loadedStamps && stamps != _failedStamps)
            {
                try
                {
                    var renewed = PemFiles.LoadCertificate(_certificatePath, _keyPath);
                    // The old certificate is not disposed: a handshake that took it may still be using it.
                    _current = renewed;
                    _loadedStamps = stamps;
                }
                catch (PemFileException e)
                {
                    _failedStamps = stamps;
                    _reportFailure(e.Message);
                }
            }

            return _current;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _current.Dispose();

    private (DateTime, DateTime) Stamps() => (File.GetLastWriteTimeUtc(_certificatePath), File.GetLastWriteTimeUtc(_keyPath));
}
