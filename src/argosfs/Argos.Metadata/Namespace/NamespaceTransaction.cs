using Argos.Metadata.Records;

namespace Argos.Metadata.Namespace;

/// <summary>
/// One metadata transaction: the record changes of every operation run in it, one op per record
/// (a record changed twice is put once, with its final value), in first-touch order. Cost is
/// O(records touched). Only one transaction is open per namespace at a time
/// (<see cref="FsNamespace.Begin"/> waits for the previous one to be disposed), so the ops of
/// successive transactions reach the log in the order they changed memory; a transaction may be
/// shared by several threads (its operations serialise on the namespace write lock).
/// <code>
/// using var tx = ns.Begin();
/// ns.Mkdir(tx, parent, "etc"u8, 0x1ED, cred);
/// IReadOnlyList&lt;RecordOp&gt; ops = tx.Complete();
/// try { log.Commit(ops); } catch { tx.Rollback(); throw; }   // memory returns to the state before Begin
/// // after the commit is durable: free the shard extents of tx.FreedInodes
/// </code>
/// A failed operation leaves no trace (its records are restored before the exception leaves);
/// disposing a transaction that was not completed rolls it back.
/// </summary>
public sealed class NamespaceTransaction : IDisposable
{
    private readonly List<RecordOp> _ops = [];
    private readonly Dictionary<TxKey, int> _opIndex = [];
    private readonly List<FreedInode> _freed = [];
    private TxState _state;

    internal NamespaceTransaction(FsNamespace owner)
    {
        Owner = owner;
    }

    private enum TxState
    {
        Open,
        Completed,
        RolledBack,
        Disposed,
    }

    internal FsNamespace Owner { get; }

    /// <summary>Before-image of every record touched: what Rollback applies.</summary>
    internal Dictionary<TxKey, RecordOp> Before { get; } = [];

    /// <summary>Keys touched by the operation in progress, and which of them it touched first.</summary>
    internal List<TxKey> OpTouched { get; } = [];
    internal HashSet<TxKey> OpTouchedSet { get; } = [];
    internal List<TxKey> OpFirstTouched { get; } = [];
    internal int FreedAtOpStart { get; set; }

    public bool IsOpen => _state == TxState.Open;

    /// <summary>The ops so far (also valid after Complete).</summary>
    public IReadOnlyList<RecordOp> Operations => _ops;

    /// <summary>Inodes this transaction removed, with their stripes: free their extents once the commit is durable.</summary>
    public IReadOnlyList<FreedInode> FreedInodes => _freed;

    /// <summary>Ends recording and returns the ops to commit. The transaction stays rollback-able until disposed.</summary>
    public IReadOnlyList<RecordOp> Complete()
    {
        if (_state != TxState.Open)
        {
            throw new InvalidOperationException($"transaction is {_state}; Complete is called once, on an open transaction");
        }
        _state = TxState.Completed;
        return _ops;
    }

    /// <summary>Restores memory to its state before <see cref="FsNamespace.Begin"/> (e.g. when the log refused the commit).</summary>
    public void Rollback()
    {
        if (_state is TxState.RolledBack or TxState.Disposed)
        {
            throw new InvalidOperationException($"transaction is {_state}; it cannot be rolled back");
        }
        Owner.RollbackTransaction(this);
        _ops.Clear();
        _opIndex.Clear();
        _freed.Clear();
        Before.Clear();
        _state = TxState.RolledBack;
    }

    public void Dispose()
    {
        if (_state == TxState.Disposed)
        {
            return;
        }
        if (_state == TxState.Open && Before.Count > 0)
        {
            Rollback();
        }
        _state = TxState.Disposed;
        Owner.ReleaseTransaction(this);
    }

    internal void EnsureOpen(FsNamespace ns)
    {
        if (!ReferenceEquals(ns, Owner))
        {
            throw new InvalidOperationException("the transaction belongs to another namespace");
        }
        if (_state != TxState.Open)
        {
            throw new InvalidOperationException($"transaction is {_state}; begin a new one with FsNamespace.Begin()");
        }
    }

    internal bool TryGetOp(in TxKey key, out RecordOp op)
    {
        if (_opIndex.TryGetValue(key, out int i))
        {
            op = _ops[i];
            return true;
        }
        op = default;
        return false;
    }

    internal void SetOp(in TxKey key, in RecordOp op)
    {
        if (_opIndex.TryGetValue(key, out int i))
        {
            _ops[i] = op;
        }
        else
        {
            _opIndex.Add(key, _ops.Count);
            _ops.Add(op);
        }
    }

    internal void AddFreed(FreedInode freed) => _freed.Add(freed);

    internal void TruncateFreed(int count) => _freed.RemoveRange(count, _freed.Count - count);

    internal int FreedCount => _freed.Count;
}

/// <summary>Identity of one record within a transaction.</summary>
internal readonly struct TxKey : IEquatable<TxKey>
{
    public TxKey(RecordKind kind, ulong a, ulong b = 0, byte[]? name = null)
    {
        Kind = kind;
        A = a;
        B = b;
        Name = name;
    }

    public RecordKind Kind { get; }
    public ulong A { get; }
    public ulong B { get; }
    public byte[]? Name { get; }

    public bool Equals(TxKey other)
        => Kind == other.Kind && A == other.A && B == other.B
            && (ReferenceEquals(Name, other.Name) || (Name is not null && other.Name is not null && Name.AsSpan().SequenceEqual(other.Name)));

    public override bool Equals(object? obj) => obj is TxKey k && Equals(k);

    public override int GetHashCode()
    {
        var h = default(HashCode);
        h.Add(Kind);
        h.Add(A);
        h.Add(B);
        if (Name is not null)
        {
            h.AddBytes(Name);
        }
        return h.ToHashCode();
    }
}
