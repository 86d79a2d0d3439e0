namespace Edge.Generators.Tests;

/// <summary>The small pure rules of the parser.</summary>
public class ParserTests
{
    [Test]
    [Arguments("Edge.Host", "Edge.Host")]
    [Arguments("edge-host", "edge_host")]
    [Arguments("my app.2nd", "my_app._2nd")]
    [Arguments("Company..Product", "Company.Product")]
    [Arguments("class", "@class")]
    [Arguments("", "EdgeFunctions")]
    public async Task Root_namespace_is_made_a_valid_namespace(string name, string expected)
    {
        await Assert.That(Parser.ToNamespace(name)).IsEqualTo(expected);
    }

    [Test]
    [Arguments("a", true)]
    [Arguments("sensor-stats", true)]
    [Arguments("v1.2_beta-3", true)]
    [Arguments("9lives", true)]
    [Arguments("", false)]
    [Arguments("-a", false)]
    [Arguments(".a", false)]
    [Arguments("a b", false)]
    [Arguments("é", false)]
    [Arguments("a/b", false)]
    public async Task Ids_follow_the_documented_pattern(string id, bool valid)
    {
        await Assert.That(Parser.IsValidId(id)).IsEqualTo(valid);
    }

    [Test]
    public async Task Ids_may_be_64_characters_but_not_65()
    {
        await Assert.That(Parser.IsValidId(new string('a', 64))).IsTrue();
        await Assert.That(Parser.IsValidId(new string('a', 65))).IsFalse();
    }
}
