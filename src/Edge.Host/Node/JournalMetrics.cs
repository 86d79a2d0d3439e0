using Edge.Host.Options;
using Edge.Runtime;
using Microsoft.Extensions.Logging;

namespace Edge.Host.Node;

/// <summary>Opens the durable journal behind the node's synchronizer, and exports its counters.</summary>
internal sealed class JournalMetrics(FileSyncStore store) : IMetricSource
{
    public static FileSyncStore Open(JournalOptions settings, ILogger log)
    {
        Directory.CreateDirectory(settings.DataDir);
        return new FileSyncStore(new FileSyncStoreOptions(settings.DataDir)
        {
            Durability = settings.Durability,
            Log = message => log.LogWarning("journal: {Message}", message),
        });
    }

    public IEnumerable<MetricSample> Samples()
    {
        var c = store.Counters;
        yield return new("edge_journal_appends_total", "counter", "Records appended to the state journal.", c.Appends);
        yield return new("edge_journal_append_failures_total", "counter", "Appends that failed (the change was refused).", c.AppendFailures);
        yield return new("edge_journal_fsyncs_total", "counter", "fsync calls on the journal (group commit batches writers).", c.Fsyncs);
        yield return new("edge_journal_snapshots_total", "counter", "Snapshots written (journal compactions).", c.Snapshots);
        yield return new("edge_journal_snapshot_failures_total", "counter", "Snapshots that failed (the journal was kept).", c.SnapshotFailures);
        yield return new("edge_journal_recovered_frames", "gauge", "Journal frames replayed at start-up.", c.RecoveredFrames);
        yield return new("edge_journal_tail_corruptions_total", "counter", "Torn or corrupt journal tails cut off at start-up.", c.TailCorruptions);
        yield return new("edge_journal_truncated_bytes_total", "counter", "Bytes cut off a torn or corrupt journal tail.", c.TruncatedBytes);
        yield return new("edge_journal_out_of_space_total", "counter", "Journal and snapshot writes refused because the disk was full (each rolled back).", c.OutOfSpaceWrites);
        yield return new("edge_journal_missing_journals_total", "counter", "Live journals found deleted next to their snapshot at start-up.", c.MissingJournals);
        yield return new("edge_journal_faulted", "gauge", "1 once the journal stopped taking writes (failed fsync); a restart recovers.", store.FaultReason is null ? 0 : 1);
    }
}
