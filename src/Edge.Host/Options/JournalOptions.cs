using System.ComponentModel.DataAnnotations;
using Edge.Runtime;

namespace Edge.Host.Options;

/// <summary>The node's durable state: journal directory and fsync mode, synchronizer policy (configuration section <c>Journal</c>).</summary>
public sealed class JournalOptions
{
    [Required(ErrorMessage = "must not be empty")]
    public string DataDir { get; set; } = "./edge-data";

    public JournalDurability Durability { get; set; } = JournalDurability.GroupCommit;

    public ConflictStrategy ConflictStrategy { get; set; } = ConflictStrategy.RemoteWins;

    /// <summary>Unconfirmed changes kept before the oldest are dropped.</summary>
    [WholeNumber(1, 10_000_000)]
    public int MaxPending { get; set; } = 10_000;
}
