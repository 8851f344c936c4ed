using System.Buffers.Binary;

namespace Argos.Metadata.Namespace;

/// <summary>
/// POSIX ACLs in the Linux xattr format of system.posix_acl_access / system.posix_acl_default
/// (include/uapi/linux/posix_acl_xattr.h), and the kernel's rules for them (fs/posix_acl.c).
/// <code>
/// header  u32 a_version = 2
/// entry   u16 e_tag, u16 e_perm (rwx = 4|2|1), u32 e_id (uid/gid; 0xFFFFFFFF for the *_OBJ, MASK and OTHER tags)
/// tags    USER_OBJ 0x01, USER 0x02, GROUP_OBJ 0x04, GROUP 0x08, MASK 0x10, OTHER 0x20
/// order   USER_OBJ, USER*, GROUP_OBJ, GROUP*, MASK, OTHER (posix_acl_valid); MASK required when USER/GROUP entries exist
/// </code>
/// The mode's group bits mirror the MASK entry when there is one, the GROUP_OBJ entry otherwise.
/// </summary>
public static class PosixAcl
{
    public const uint XattrVersion = 2;
    public const int HeaderLength = 4;
    public const int EntryLength = 8;
    public const ushort TagUserObj = 0x01;
    public const ushort TagUser = 0x02;
    public const ushort TagGroupObj = 0x04;
    public const ushort TagGroup = 0x08;
    public const ushort TagMask = 0x10;
    public const ushort TagOther = 0x20;
    public const uint UndefinedId = uint.MaxValue;

    public static ReadOnlySpan<byte> AccessXattrName => "system.posix_acl_access"u8;
    public static ReadOnlySpan<byte> DefaultXattrName => "system.posix_acl_default"u8;

    public readonly record struct Entry(ushort Tag, ushort Perm, uint Id);

    /// <summary>Parses the xattr bytes (bounds-checked); an ACL with zero entries parses to an empty array.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out Entry[] entries)
    {
        entries = [];
        if (value.Length < HeaderLength || (value.Length - HeaderLength) % EntryLength != 0
            || BinaryPrimitives.ReadUInt32LittleEndian(value) != XattrVersion)
        {
            return false;
        }
        int count = (value.Length - HeaderLength) / EntryLength;
        var result = new Entry[count];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> e = value.Slice(HeaderLength + (i * EntryLength), EntryLength);
            result[i] = new Entry(BinaryPrimitives.ReadUInt16LittleEndian(e), BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(2)),
                BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(4)));
        }
        entries = result;
        return true;
    }

    public static byte[] Serialize(ReadOnlySpan<Entry> entries)
    {
        var value = new byte[HeaderLength + (entries.Length * EntryLength)];
        BinaryPrimitives.WriteUInt32LittleEndian(value, XattrVersion);
        for (int i = 0; i < entries.Length; i++)
        {
            Span<byte> e = value.AsSpan(HeaderLength + (i * EntryLength), EntryLength);
            BinaryPrimitives.WriteUInt16LittleEndian(e, entries[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(e.Slice(2), entries[i].Perm);
            BinaryPrimitives.WriteUInt32LittleEndian(e.Slice(4), entries[i].Id);
        }
        return value;
    }

    /// <summary>posix_acl_valid(): tag order, one of each *_OBJ/OTHER, MASK when named entries exist, perms ≤ 7.</summary>
    public static bool IsValid(ReadOnlySpan<Entry> entries)
    {
        int state = TagUserObj;
        bool needsMask = false;
        bool sawMask = false;
        foreach (Entry e in entries)
        {
            if ((e.Perm & ~7) != 0)
            {
                return false;
            }
            switch (e.Tag)
            {
                case TagUserObj:
                    if (state != TagUserObj)
                    {
                        return false;
                    }
                    state = TagUser;
                    break;
                case TagUser:
                    if (state != TagUser)
                    {
                        return false;
                    }
                    needsMask = true;
                    break;
                case TagGroupObj:
                    if (state != TagUser)
                    {
                        return false;
                    }
                    state = TagGroup;
                    break;
                case TagGroup:
                    if (state != TagGroup)
                    {
                        return false;
                    }
                    needsMask = true;
                    break;
                case TagMask:
                    if (state != TagGroup)
                    {
                        return false;
                    }
                    state = TagOther;
                    sawMask = true;
                    break;
                case TagOther:
                    if (state == TagGroup && !needsMask)
                    {
                        state = 0;
                        break;
                    }
                    if (state != TagOther)
                    {
                        return false;
                    }
                    state = 0;
                    break;
                default:
                    return false;
            }
        }
        return state == 0 && (!needsMask || sawMask);
    }

    /// <summary>posix_acl_equiv_mode(): true when the ACL says no more than the mode bits (no MASK, no named entries).</summary>
    public static bool IsEquivalentToMode(ReadOnlySpan<Entry> entries, out uint accessBits)
    {
        uint mode = 0;
        bool equivalent = true;
        foreach (Entry e in entries)
        {
            switch (e.Tag)
            {
                case TagUserObj:
                    mode |= (uint)(e.Perm & 7) << 6;
                    break;
                case TagGroupObj:
                    mode |= (uint)(e.Perm & 7) << 3;
                    break;
                case TagOther:
                    mode |= (uint)(e.Perm & 7);
                    break;
                case TagMask:
                    mode = (mode & ~PosixMode.S_IRWXG) | ((uint)(e.Perm & 7) << 3);
                    equivalent = false;
                    break;
                default:
                    equivalent = false;
                    break;
            }
        }
        accessBits = mode;
        return equivalent;
    }

    /// <summary>posix_acl_chmod(): USER_OBJ, MASK (or GROUP_OBJ) and OTHER take the new mode's bits.</summary>
    public static void Chmod(Span<Entry> entries, uint mode)
    {
        int groupObj = -1;
        int mask = -1;
        for (int i = 0; i < entries.Length; i++)
        {
            Entry e = entries[i];
            switch (e.Tag)
            {
                case TagUserObj:
                    entries[i] = e with { Perm = (ushort)((mode >> 6) & 7) };
                    break;
                case TagGroupObj:
                    groupObj = i;
                    break;
                case TagMask:
                    mask = i;
                    break;
                case TagOther:
                    entries[i] = e with { Perm = (ushort)(mode & 7) };
                    break;
            }
        }
        int g = mask >= 0 ? mask : groupObj;
        if (g >= 0)
        {
            entries[g] = entries[g] with { Perm = (ushort)((mode >> 3) & 7) };
        }
    }

    /// <summary>
    /// posix_acl_create_masq(): masks a copy of a directory's default ACL by the create mode and
    /// narrows the mode to what the ACL grants. Returns true when the result still needs an access
    /// ACL (it has MASK or named entries); false when the mode alone says everything.
    /// </summary>
    public static bool CreateMasq(Span<Entry> entries, ref uint mode)
    {
        uint m = mode;
        bool notEquivalent = false;
        int groupObj = -1;
        int mask = -1;
        for (int i = 0; i < entries.Length; i++)
        {
            Entry e = entries[i];
            switch (e.Tag)
            {
                case TagUserObj:
                {
                    ushort perm = (ushort)(e.Perm & ((m >> 6) & 7));
                    entries[i] = e with { Perm = perm };
                    m &= ((uint)perm << 6) | ~PosixMode.S_IRWXU;
                    break;
                }
                case TagUser:
                case TagGroup:
                    notEquivalent = true;
                    break;
                case TagGroupObj:
                    groupObj = i;
                    break;
                case TagOther:
                {
                    ushort perm = (ushort)(e.Perm & (m & 7));
                    entries[i] = e with { Perm = perm };
                    m &= perm | ~PosixMode.S_IRWXO;
                    break;
                }
                case TagMask:
                    mask = i;
                    notEquivalent = true;
                    break;
            }
        }
        int g = mask >= 0 ? mask : groupObj;
        if (g >= 0)
        {
            ushort perm = (ushort)(entries[g].Perm & ((m >> 3) & 7));
            entries[g] = entries[g] with { Perm = perm };
            m &= ((uint)perm << 3) | ~PosixMode.S_IRWXG;
        }
        mode = (mode & ~PosixMode.AccessMask) | (m & PosixMode.AccessMask);
        return notEquivalent;
    }

    /// <summary>posix_acl_permission(): whether the ACL grants <paramref name="want"/> (rwx bits) to the caller.</summary>
    public static bool Permits(ReadOnlySpan<Entry> entries, uint ownerUid, uint ownerGid, in Credentials caller, uint want)
    {
        want &= 7;
        bool found = false;
        for (int i = 0; i < entries.Length; i++)
        {
            Entry e = entries[i];
            switch (e.Tag)
            {
                case TagUserObj:
                    if (caller.Uid == ownerUid)
                    {
                        return (e.Perm & want) == want;
                    }
                    break;
                case TagUser:
                    if (caller.Uid == e.Id)
                    {
                        return Masked(entries, i, want);
                    }
                    break;
                case TagGroupObj:
                    if (caller.InGroup(ownerGid))
                    {
                        found = true;
                        if ((e.Perm & want) == want)
                        {
                            return Masked(entries, i, want);
                        }
                    }
                    break;
                case TagGroup:
                    if (caller.InGroup(e.Id))
                    {
                        found = true;
                        if ((e.Perm & want) == want)
                        {
                            return Masked(entries, i, want);
                        }
                    }
                    break;
                case TagOther:
                    return !found && (e.Perm & want) == want;
            }
        }
        return false;
    }

    private static bool Masked(ReadOnlySpan<Entry> entries, int matched, uint want)
    {
        for (int j = matched + 1; j < entries.Length; j++)
        {
            if (entries[j].Tag == TagMask)
            {
                return (entries[matched].Perm & entries[j].Perm & want) == want;
            }
        }
        return (entries[matched].Perm & want) == want;
    }
}
