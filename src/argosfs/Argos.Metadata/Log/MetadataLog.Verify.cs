using Argos.Format.Pool;

namespace Argos.Metadata.Log;

public sealed partial class MetadataLog
{
    /// <summary>
    /// verify-journal: re-reads both root slots, the live checkpoint and the journal of every present
    /// member. Read-only; buffered transactions are not included.
    /// </summary>
    public PoolVerifyReport Verify()
    {
        lock (_gate)
        {
            var reports = new List<MemberVerifyReport>();
            foreach (LogMember m in _members)
            {
                var probe = new LogMember(m.Opened) { Sb = m.Sb };
                ReadRoots(probe);
                string? checkpointError = probe.Live is null ? "no valid root slot" : CheckpointReader.Verify(m.Device, probe.Live);
                if (checkpointError is null)
                {
                    checkpointError = CheckpointReader.Read(m.Device, probe.Live!, (_, _, _, _) => { });
                }
                JournalReport? journal = probe.Live is null ? null : JournalScanner.Scan(m.Device, m.Index, m.Path, m.Sb.Layout, probe.Live);
                reports.Add(new MemberVerifyReport(m.Index, m.Path, probe.SlotAError, probe.SlotBError, probe.Live?.Sequence ?? 0, checkpointError, journal));
            }
            return new PoolVerifyReport(reports);
        }
    }

    /// <summary>Every data-region extent the live checkpoints of present members occupy.</summary>
    public IReadOnlyList<Extent> CheckpointExtents
    {
        get { lock (_gate) return _members.Where(m => m.Live is not null).SelectMany(m => m.Live!.Extents).ToList(); }
    }
}
