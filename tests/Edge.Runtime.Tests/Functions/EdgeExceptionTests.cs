using Edge.Runtime;

namespace Edge.Runtime.Tests.Functions;

public class EdgeExceptionTests
{
    [Test]
    public async Task Execution_exception_constructors()
    {
        var inner = new InvalidOperationException("boom");

        await Assert.That(new EdgeExecutionException().FunctionId).IsEqualTo("");
        await Assert.That(new EdgeExecutionException("m").Message).IsEqualTo("m");
        var withInner = new EdgeExecutionException("m", inner);
        await Assert.That(withInner.InnerException).IsSameReferenceAs(inner);
        var full = new EdgeExecutionException("fn", "m", inner);
        await Assert.That(full.FunctionId).IsEqualTo("fn");
        await Assert.That(full.Message).IsEqualTo("m");
        await Assert.That(full.InnerException).IsSameReferenceAs(inner);
    }

    [Test]
    public async Task Not_found_is_an_argument_exception_with_the_exact_message()
    {
        var ex = new EdgeFunctionNotFoundException("fn-9");

        await Assert.That(ex is ArgumentException).IsTrue();
        await Assert.That(ex.Message).IsEqualTo("Function not found: fn-9");
        await Assert.That(ex.FunctionId).IsEqualTo("fn-9");
    }

    [Test]
    public async Task Timeout_is_a_timeout_exception_naming_function_and_deadline()
    {
        var ex = new EdgeTimeoutException("fn", TimeSpan.FromSeconds(2.5));

        await Assert.That(ex is TimeoutException).IsTrue();
        await Assert.That(ex.FunctionId).IsEqualTo("fn");
        await Assert.That(ex.Timeout).IsEqualTo(TimeSpan.FromSeconds(2.5));
        await Assert.That(ex.Message).IsEqualTo("Function 'fn' exceeded its timeout of 2.5 s.");
    }

    [Test]
    public async Task Binding_exception_message_with_and_without_parameter()
    {
        var inner = new FormatException("bad");
        var withParameter = new EdgeBindingException("fn", "x", "expected a number", inner);
        var without = new EdgeBindingException("fn", null, "arguments must be an object");

        await Assert.That(withParameter is ArgumentException).IsTrue();
        await Assert.That(withParameter.Message).IsEqualTo("Function 'fn', parameter 'x': expected a number");
        await Assert.That(withParameter.InnerException).IsSameReferenceAs(inner);
        await Assert.That(withParameter.FunctionId).IsEqualTo("fn");
        await Assert.That(withParameter.Parameter).IsEqualTo("x");
        await Assert.That(withParameter.Problem).IsEqualTo("expected a number");
        await Assert.That(without.Message).IsEqualTo("Function 'fn': arguments must be an object");
        await Assert.That(without.Parameter).IsNull();
        await Assert.That(without.InnerException).IsNull();
    }
}
