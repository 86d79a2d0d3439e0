using System.Security.Cryptography.X509Certificates;

namespace Edge.Host.Tls;

/// <summary>
/// Whether a peer's certificate chains to a private CA (the PEM bundle of <c>--mqtt-ca</c> or
/// <c>--broker-client-ca</c>) rather than to the system store: the broker's certificate, seen by a node, and a
/// node's client certificate, seen by the embedded broker.
/// </summary>
internal static class CertificateTrust
{
    /// <summary>True when <paramref name="certificate"/> chains to one of <paramref name="trust"/>, using what the peer presented as intermediates.</summary>
    public static bool ChainsTo(X509Certificate? certificate, X509Chain? presented, X509Certificate2Collection trust)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
