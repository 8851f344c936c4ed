using System.Diagnostics.CodeAnalysis;

namespace Argos.Erasure;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Argument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void TooManyErasures(int missing, int k, int m) => throw new TooManyErasuresException(missing, k, m);
}
