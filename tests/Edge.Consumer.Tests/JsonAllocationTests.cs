using System.Buffers;
using Edge.Consumer;

namespace Edge.Consumer.Tests;

/// <summary>The generated JSON entry point reuses one Utf8JsonWriter per thread instead of allocating one per call.</summary>
public class JsonAllocationTests
{
    [Test]
    public async Task Generated_json_call_of_a_primitive_function_allocates_nothing_after_warm_up()
    {
        var arguments = """{"temperature": 90.5, "floor": "low"}"""u8.ToArray();
        var output = new ArrayBufferWriter<byte>(256);
        for (var i = 0; i < 100; i++)
        {
            output.ResetWrittenCount();
            await EdgeFunctionTable.InvokeJsonAsync("classify", arguments, output);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            output.ResetWrittenCount();
            var pending = EdgeFunctionTable.InvokeJsonAsync("classify", arguments, output);
            if (!pending.IsCompletedSuccessfully)
            {
                await pending;
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        await Assert.That(System.Text.Encoding.UTF8.GetString(output.WrittenSpan)).IsEqualTo("\"Critical\"");
        await Assert.That(allocated).IsEqualTo(0);
    }
}
