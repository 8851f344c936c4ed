using System.Diagnostics;

namespace Argos.Volume.Maintenance;

/// <summary>
/// Paces background reads: tokens (bytes) refill at <c>rate</c> per second up to <c>burst</c>; a
/// caller that takes more than is available sleeps until the debt is paid. A take larger than the
/// burst is allowed (one stripe is never split) and simply waits longer. Rate 0 means unlimited.
/// </summary>
public sealed class TokenBucket
{
    private readonly long _rate;
    private readonly double _burst;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private double _tokens;
    private TimeSpan _last;

    public TokenBucket(long bytesPerSecond, long burstBytes = 0)
    {
        if (bytesPerSecond < 0) throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), "the rate must not be negative");
        _rate = bytesPerSecond;
        _burst = burstBytes > 0 ? burstBytes : Math.Max(64 * 1024, bytesPerSecond / 10.0);
        _tokens = _burst;
    }

    public bool Unlimited => _rate == 0;

    /// <summary>Total time spent waiting for tokens.</summary>
    public TimeSpan Waited { get; private set; }

    public void Take(long bytes)
    {
        if (_rate == 0 || bytes <= 0) return;
        TimeSpan wait;
        lock (_gate)
        {
            var now = _clock.Elapsed;
            _tokens = Math.Min(_burst, _tokens + (now - _last).TotalSeconds * _rate);
            _last = now;
            _tokens -= bytes;
            if (_tokens >= 0) return;
            wait = TimeSpan.FromSeconds(-_tokens / _rate);
            Waited += wait;
        }
        Thread.Sleep(wait);
    }
}
