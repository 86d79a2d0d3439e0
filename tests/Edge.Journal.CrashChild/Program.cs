using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Runtime;

// Usage: Edge.Journal.CrashChild <data-dir> [snapshot-every-records]
// Opens a FileSyncStore-backed synchronizer and updates it forever. Each line "<version>" on stdout is written only
// after UpdateLocal returned, i.e. after the store acknowledged the change as durable. The parent kills this process
// at random and checks that every printed version survived.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Edge.Journal.CrashChild <data-dir> [snapshot-every-records]");
    return 2;
}

var snapshotEvery = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
using var store = new FileSyncStore(new FileSyncStoreOptions(args[0]) { SnapshotEveryRecords = snapshotEvery, SnapshotEveryBytes = 0 });
var sync = new EdgeSynchronizer(maxPending: 20, store: store);
using var stdout = Console.OpenStandardOutput();

Print($"ready {sync.LocalVersion}");
while (true)
{
    var version = sync.LocalVersion + 1;
    var state = sync.UpdateLocal(Data(version), isDelta: version % 2 == 0);
    if (version % 7 == 0)
    {
        sync.ConfirmSync(version - 3);
    }

    Print(state.Version.ToString(CultureInfo.InvariantCulture));
}

void Print(string line)
{
    // One write(2) per line, unbuffered: a line on the pipe means the call before it returned.
    stdout.Write(Encoding.ASCII.GetBytes(line + "\n"));
    stdout.Flush();
}

// The state of every version is a function of the version (the crash test computes the same), so "the state of some
// version" is checkable. Sizes vary up to ~700 bytes so frames straddle page boundaries.
static JsonObject Data(long version) => new()
{
    ["v"] = version,
    ["blob"] = new string((char)('a' + (version % 26)), (int)(version * 37 % 700)),
};
