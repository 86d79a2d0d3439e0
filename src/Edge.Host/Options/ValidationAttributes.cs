using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Edge.Host.Options;

/// <summary>The node-id rule of <see cref="Node.NodeIds"/> as a validation attribute, so the generated validators apply it.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NodeIdAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        Node.NodeIds.Validate(value as string) is { } problem ? new ValidationResult(problem, [validationContext?.MemberName ?? ""]) : ValidationResult.Success;
}

/// <summary>
/// A whole number from <paramref name="minimum"/> to <paramref name="maximum"/>. (The options generator's copy of
/// <see cref="RangeAttribute"/> ignores <c>ErrorMessage</c> and names the CLR property; this one states the rule.)
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class WholeNumberAttribute(long minimum, long maximum) : ValidationAttribute
{
    public long Minimum { get; } = minimum;

    public long Maximum { get; } = maximum;

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        Convert.ToInt64(value, CultureInfo.InvariantCulture) is var n && n >= Minimum && n <= Maximum
            ? ValidationResult.Success
            : new ValidationResult($"{n} is not a whole number from {Minimum} to {Maximum}", [validationContext?.MemberName ?? ""]);
}
