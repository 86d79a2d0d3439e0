using Edge.Runtime;
using Microsoft.AspNetCore.Http;

namespace Edge.Host.Http;

/// <summary>
/// The reply (<c>application/problem+json</c>, never an empty 500) for an exception no handler answered — above all a
/// state change the durable journal could not store. Every such journal failure is counted once by the store
/// (<c>edge_journal_append_failures_total</c>; a full disk also in <c>edge_journal_out_of_space_total</c>), so the
/// replies and the metrics agree. Wired as the API's exception handler, so no route repeats the mapping.
/// </summary>
internal static class StoreFailures
{
    /// <summary>True for what the journal throws when a change cannot be stored.</summary>
    public static bool Handles(Exception error) => error is JournalWriteException or JournalFaultedException;

    /// <summary>
    /// 507 when the disk is full (the change was rolled back; the same call succeeds once space is freed), 503 once the
    /// journal stopped taking writes (a failed fsync; a restart recovers), 500 for any other write the journal refused
    /// and for any other unexpected failure (with its message, never a stack trace).
    /// </summary>
    public static Task Write(HttpContext context, FileSyncStore store, Exception error)
    {
        ArgumentNullException.ThrowIfNull(store);
        var problem = error switch
        {
            JournalWriteException { OutOfSpace: true } e =>
                Problems.Of(StatusCodes.Status507InsufficientStorage, "Insufficient Storage", e.Message),
            JournalFaultedException e =>
                Problems.Of(StatusCodes.Status503ServiceUnavailable, "Journal stopped", e.Message),

            // A failed fsync throws JournalWriteException for the calls it failed, and stops the store.
            JournalWriteException e when store.FaultReason is not null =>
                Problems.Of(StatusCodes.Status503ServiceUnavailable, "Journal stopped", e.Message),
            JournalWriteException e => Problems.Of(StatusCodes.Status500InternalServerError, "State change not stored", e.Message),
            _ => Problems.Of(StatusCodes.Status500InternalServerError, "Internal error", $"The node failed to handle the request: {error.Message}"),
        };
        return problem.ExecuteAsync(context);
    }
}
