using System.Buffers;
using Argos.DataPath.Codecs;
using Argos.DataPath.Stripes;
using Argos.Erasure;
using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Log;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Storage;
using Argos.Volume.Maintenance;
using StripeCodec = Argos.DataPath.Stripes.StripeCodec;

namespace Argos.Volume;

/// <summary>
/// Shard verification and rebuild, one stripe in memory at a time: read all k+m shards (in parallel),
/// check each CRC32C, rebuild the bad ones from the survivors, check the rebuilt shards against their
/// recorded CRCs and the decoded plaintext against its CRC, then place the rebuilt shards in new
/// extents and swap the record in one transaction.
/// </summary>
public sealed partial class ArgosVolume
{
    /// <summary>A member with more shard errors than this this session is not chosen for rebuilt shards when another fits.</summary>
    private const long UnhealthyMemberErrors = 64;

    private void VerifyStripes(FsckScan scan, FsckReport report, FsckOptions options)
    {
        var targets = scan.Stripes.Where(st => !st.Malformed && !st.Removed && (options.Full || st.HasMissingShards)).ToList();
        var bucket = new TokenBucket(options.MaxBytesPerSecond, burstBytes: Math.Max(options.MaxBytesPerSecond / 10, 64 * 1024));
        var noKeyReported = false;
        for (var n = 0; n < targets.Count; n++)
        {
            var st = targets[n];
            if (st.Record.Encrypted && _cipher is null && !noKeyReported)
            {
                noKeyReported = true;
                report.Add("not-decoded", FsckSeverity.Warning,
                    "encrypted stripes were verified shard by shard only (no key: the plaintext checksum was not checked); pass --key-file to check it");
            }
            VerifyStripe(scan, st, report, options, bucket);
            options.Progress?.Invoke(n + 1, targets.Count);
        }
        foreach (var (member, issue) in scan.MissingIssues)
        {
            issue.Repaired = scan.RebuiltByMember.GetValueOrDefault(member) == scan.MissingByMember[member];
        }
    }

    private void VerifyStripe(FsckScan scan, FsckStripe st, FsckReport report, FsckOptions options, TokenBucket bucket)
    {
        var record = st.Record;
        var n = record.Shards.Length;
        var s = (int)record.ChunkBytes;
        string? path = null;
        string? P() => path ??= PathOf(scan, st.Ino.Value); // only stripes with a finding pay for a path
        var buffer = ArrayPool<byte>.Shared.Rent(n * s);
        var states = new ShardState[n];
        try
        {
            var bytesRead = ReadEveryShard(record, buffer, states);
            bucket.Take(bytesRead);
            report.BytesVerified += bytesRead;
            var issues = new FsckIssue?[n];
            for (var i = 0; i < n; i++)
            {
                var loc = record.Shards.Span[i];
                switch (states[i])
                {
                    case ShardState.Corrupt:
                        report.CorruptShards++;
                        issues[i] = report.Add("corrupt-shard", FsckSeverity.Error,
                            $"stripe {st.Index} shard {i} on member {loc.Member} at offset {loc.OffsetBytes} fails its CRC32C", st.Ino, P(), st.Index);
                        break;
                    case ShardState.Missing when _log.IsPresent(new MemberIndex(loc.Member)):
                        report.MissingShards++;
                        issues[i] = report.Add("unreadable-shard", FsckSeverity.Error,
                            $"stripe {st.Index} shard {i} on member {loc.Member} at offset {loc.OffsetBytes} cannot be read (I/O error)", st.Ino, P(), st.Index);
                        break;
                }
            }
            var good = states.Count(x => x == ShardState.Good);
            var need = record.Kind == StripeKind.Replicated ? 1 : record.K;
            if (good < need)
            {
                report.Unrecoverable.Add(new FsckUnrecoverable(st.Ino, P(), st.Index,
                    $"only {good} of {n} shards are good and {need} are needed ({LostShards(record, states)}); bring the missing members back or restore the file from backup"));
                return;
            }
            var bad = Enumerable.Range(0, n).Where(i => states[i] != ShardState.Good).ToList();
            var encoded = ToEncoded(record);
            Span<bool> present = stackalloc bool[n];
            for (var i = 0; i < n; i++) present[i] = states[i] == ShardState.Good;
            var rebuild = options.Repair && bad.Count > 0;
            try
            {
                StripeCodec.Reconstruct(encoded, buffer.AsSpan(0, n * s), present, rebuildAll: rebuild);
            }
            catch (TooManyErasuresException e)
            {
                report.Unrecoverable.Add(new FsckUnrecoverable(st.Ino, P(), st.Index, e.Message));
                return;
            }
            if (rebuild)
            {
                foreach (var i in bad)
                {
                    if (Crc32C.Compute(buffer.AsSpan(i * s, s)) != record.Shards.Span[i].Crc32c)
                    {
                        report.Unrecoverable.Add(new FsckUnrecoverable(st.Ino, P(), st.Index,
                            $"shard {i} rebuilt from the survivors does not match its recorded checksum: the surviving shards disagree; restore the file from backup"));
                        return;
                    }
                }
            }
            if (!record.Encrypted || _cipher is not null)
            {
                var problem = DecodeProblem(st, encoded, buffer.AsSpan(0, n * s));
                if (problem is not null)
                {
                    report.Unrecoverable.Add(new FsckUnrecoverable(st.Ino, P(), st.Index, problem));
                    return;
                }
            }
            if (!rebuild) return;
            var repaired = PlaceRebuiltShards(scan, st, buffer, bad, report, P());
            foreach (var i in repaired)
            {
                if (issues[i] is { } issue) issue.Repaired = true;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads all shards of a stripe (in parallel when they are large), classifying each; returns the bytes read.</summary>
    private long ReadEveryShard(in StripeRecord record, byte[] buffer, ShardState[] states)
    {
        ReadShards(record, buffer, 0, record.Shards.Length, states, parallel: true);
        return states.Count(st => st is ShardState.Good or ShardState.Corrupt) * (long)record.ChunkBytes;
    }

    /// <summary>Decodes the (reconstructed) data shards and checks the plaintext CRC; null when it matches.</summary>
    private string? DecodeProblem(FsckStripe st, in EncodedStripe encoded, ReadOnlySpan<byte> shards)
    {
        var raw = ArrayPool<byte>.Shared.Rent(encoded.RawLength);
        var scratch = ArrayPool<byte>.Shared.Rent(StripeCodec.PayloadCapacity(encoded.RawLength));
        try
        {
            var context = StripeContextFor(st.Ino, st.Index);
            StripeCodec.Decode(encoded, shards, context, scratch, raw.AsSpan(0, encoded.RawLength));
            return null;
        }
        catch (Exception e) when (e is StripeCorruptException or StripeAuthenticationException or InvalidDataException)
        {
            return $"every shard passes its checksum but the decoded stripe does not ({e.Message}); restore the file from backup";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static string LostShards(in StripeRecord record, ShardState[] states)
    {
        var r = record;
        return string.Join(", ", Enumerable.Range(0, states.Length).Where(i => states[i] != ShardState.Good)
            .Select(i => $"shard {i} on member {r.Shards.Span[i].Member} {states[i].ToString().ToLowerInvariant()}"));
    }

    /// <summary>
    /// Writes the rebuilt shards into new extents, each on a member holding no other shard of the
    /// stripe (its own member first when present and healthy), flushes them, and commits the record
    /// swap with the allocations and frees. Returns the shard indices repaired.
    /// </summary>
    private List<int> PlaceRebuiltShards(FsckScan scan, FsckStripe st, byte[] buffer, List<int> bad, FsckReport report, string? path)
    {
        var record = st.Record;
        var s = (int)record.ChunkBytes;
        var locations = record.Shards.ToArray();
        var placed = new List<(int Index, Extent New, Extent Old)>();
        try
        {
            foreach (var i in bad)
            {
                var old = locations[i];
                var oldExtent = new Extent(new MemberIndex(old.Member), (long)old.OffsetBytes, AlignBlock(old.LengthBytes));
                var target = AllocateRepairTarget(locations, i, s, out var reason);
                if (target is not { } extent)
                {
                    report.Unrecoverable.Add(new FsckUnrecoverable(st.Ino, path, st.Index, $"shard {i}: {reason}"));
                    continue;
                }
                try
                {
                    _log.WriteAt(extent.Member, extent.OffsetBytes, buffer.AsSpan(i * s, s));
                }
                catch (IOException e)
                {
                    _log.Allocator.Release(extent);
                    report.Unrecoverable.Add(new FsckUnrecoverable(st.Ino, path, st.Index,
                        $"shard {i}: writing the rebuilt shard to member {extent.Member.Value} failed ({e.Message})"));
                    continue;
                }
                locations[i] = old with { Member = (ushort)extent.Member.Value, OffsetBytes = (ulong)extent.OffsetBytes };
                placed.Add((i, extent, oldExtent));
            }
            if (placed.Count == 0) return [];
            _log.FlushData(placed.Select(p => p.New.Member).Distinct().ToList());
            var updated = record with { Shards = locations };
            lock (_commitGate)
            {
                if (!_ns.TryGetStripe(st.Ino, new StripeIndex(st.Index), out var current) || !current.Equals(record))
                {
                    report.Add("stripe-changed", FsckSeverity.Warning, $"stripe {st.Index} changed while it was being repaired; it was left as written", st.Ino, path, st.Index);
                    foreach (var p in placed) _log.Allocator.Release(p.New);
                    return [];
                }
                var ops = new List<RecordOp>();
                foreach (var p in placed)
                {
                    ops.Add(AllocOps.Allocated(p.New));
                    if (ReleaseReference(scan, p.Old)) ops.Add(AllocOps.Freed(p.Old));
                    scan.ExtentRefs[p.New] = 1;
                }
                Mutate(tx => _ns.PutStripe(tx, st.Ino, new StripeIndex(st.Index), updated), extraOps: ops);
            }
            st.Record = updated;
            _stripeCache.Forget(st.Ino, st.Index);
            foreach (var p in placed)
            {
                report.RepairedShards++;
                var member = record.Shards.Span[p.Index].Member;
                if (!_log.IsPresent(new MemberIndex(member)))
                {
                    scan.RebuiltByMember[member] = scan.RebuiltByMember.GetValueOrDefault(member) + 1;
                }
            }
            return placed.Select(p => p.Index).ToList();
        }
        catch
        {
            foreach (var p in placed)
            {
                try { _log.Allocator.Release(p.New); } catch (InvalidOperationException) { }
            }
            throw;
        }
    }

    /// <summary>
    /// A new extent for shard <paramref name="shard"/>: on its own member when that is present and
    /// healthy, else on the present member with the fewest errors and the most free space among those
    /// holding no other shard of the stripe. Null (with the reason) when no member qualifies.
    /// </summary>
    private Extent? AllocateRepairTarget(ShardLocation[] locations, int shard, int lengthBytes, out string reason)
    {
        var own = locations[shard].Member;
        var others = new HashSet<int>();
        for (var j = 0; j < locations.Length; j++)
        {
            if (j != shard) others.Add(locations[j].Member);
        }
        var candidates = _log.PresentMembers
            .Where(m => !others.Contains(m.Value))
            .OrderBy(m => m.Value == own && _shardErrors.GetValueOrDefault(own) <= UnhealthyMemberErrors ? 0 : 1)
            .ThenBy(m => _shardErrors.GetValueOrDefault(m.Value))
            .ThenByDescending(m => _log.Allocator.FreeBytes(m))
            .ToList();
        if (candidates.Count == 0)
        {
            reason = _log.IsPresent(new MemberIndex(own))
                ? $"no member can take it (every present member holds another shard of this stripe)"
                : $"no spare member; replace the missing member (member {own})";
            return null;
        }
        foreach (var m in candidates)
        {
            try
            {
                reason = "";
                return _log.Allocator.Allocate(m, lengthBytes);
            }
            catch (NoSpaceException)
            {
            }
        }
        reason = $"no space for {lengthBytes} bytes on any eligible member ({string.Join(", ", candidates.Select(c => c.Value))}); free space or add a member";
        return null;
    }
}
