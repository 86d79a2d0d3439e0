using System.Buffers;
using System.Text;
using Edge.Consumer;
using Edge.Runtime;

var runtime = new EdgeRuntime(new EdgeNode("n1", "node") { Capabilities = ["camera"] });
EdgeFunctionTable.DeployAll(runtime);
foreach (var d in EdgeFunctionTable.Descriptors)
{
    Console.WriteLine($"{d.Id} {d.Method}({string.Join(", ", d.Parameters.Select(p => p.Type + " " + p.Name))}) -> {d.ReturnType}");
}

var stats = runtime.Invoke<double[], Edge.Consumer.Functions.Stats>("sensor-stats", [1, 2, 3]);
Console.WriteLine(stats);
var buffer = new ArrayBufferWriter<byte>();
await runtime.InvokeJsonAsync("sensor-stats", """{"readings":[1,2,3,4]}"""u8.ToArray(), buffer);
Console.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
