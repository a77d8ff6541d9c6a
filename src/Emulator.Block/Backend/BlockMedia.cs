using Emulator.Block.Drivers.File;

namespace Emulator.Block.Backend;

/// <summary>
/// Tray and medium operations with QEMU's rules (block/qapi-sysemu.c): a medium is removed or
/// inserted only with the tray open; a locked tray is not opened unless forced (the device gets an
/// eject request instead); change-medium is open → remove → insert → close; each real tray move
/// emits exactly one <c>DEVICE_TRAY_MOVED</c>. Refusals throw <see cref="BlockOperationException"/>
/// with QEMU's message, naming the drive as <c>displayName</c> when given (the monitor passes the
/// device name or qdev id the client used).
/// </summary>
public sealed class BlockMedia
{
    private readonly BlockLayer _layer;

    internal BlockMedia(BlockLayer layer)
    {
        _layer = layer;
    }

    /// <summary>
    /// <c>blockdev-open-tray</c>. Returns false when the tray stays closed because it is locked and
    /// <paramref name="force"/> was not given (the guest was asked to eject; QMP still succeeds).
    /// </summary>
    public bool OpenTray(BlockBackend backend, bool force = false, string? displayName = null)
    {
        CheckRemovable(backend, displayName);
        if (!backend.HasTray || backend.IsTrayOpen)
        {
            // Tray-less devices ignore the request (QEMU swallows -ENOSYS); an open tray stays open.
            return true;
        }

        var locked = backend.IsMediumLocked;
        if (locked)
        {
            backend.NotifyEjectRequest(force);
        }

        if (locked && !force)
        {
            return false;
        }

        backend.NotifyChangeMedia(load: false);
        return true;
    }

    /// <summary><c>blockdev-close-tray</c>.</summary>
    public void CloseTray(BlockBackend backend, string? displayName = null)
    {
        CheckRemovable(backend, displayName);
        if (!backend.HasTray || !backend.IsTrayOpen)
        {
            return;
        }

        if (backend.NotifyChangeMedia(load: true) is { } error)
        {
            throw new BlockOperationException(error);
        }
    }

    /// <summary><c>blockdev-remove-medium</c>.</summary>
    public void RemoveMedium(BlockBackend backend, string? displayName = null)
    {
        CheckRemovable(backend, displayName);
        if (backend.HasTray && !backend.IsTrayOpen)
        {
            throw new BlockOperationException($"Tray of device '{Label(backend, displayName)}' is not open");
        }

        if (!backend.IsInserted)
        {
            return;
        }

        backend.RemoveRoot();
        if (!backend.HasTray)
        {
            // Tray-less devices (the floppy) hear about the removal after it happened.
            backend.NotifyChangeMedia(load: false);
        }
    }

    /// <summary><c>blockdev-insert-medium</c>: inserts an existing node that no other user holds as a root.</summary>
    public void InsertMedium(BlockBackend backend, string nodeName, string? displayName = null)
    {
        var node = _layer.Graph.Find(nodeName) ?? throw new BlockOperationException($"Node '{nodeName}' not found");
        foreach (var other in _layer.Backends)
        {
            if (other.Root == node)
            {
                throw new BlockOperationException($"Node '{nodeName}' is already in use");
            }
        }

        _layer.Graph.Ref(node);
        try
        {
            InsertNode(backend, node, displayName);
        }
        catch (BlockOperationException)
        {
            _layer.Graph.Unref(node);
            throw;
        }
    }

    /// <summary><c>blockdev-change-medium</c>: open the new image, then open tray → remove → insert → close tray.</summary>
    public void ChangeMedium(BlockBackend backend, string filename, string? format = null, ReadOnlyMode mode = ReadOnlyMode.Retain, string? displayName = null)
    {
        CheckRemovable(backend, displayName);
        var readOnly = mode switch
        {
            ReadOnlyMode.ReadOnly => true,
            ReadOnlyMode.ReadWrite => false,
            _ => backend.IsReadOnly,
        };

        var node = _layer.OpenImageNode(filename, format, readOnly, FileCacheMode.Writeback);
        try
        {
            if (!OpenTray(backend, displayName: displayName))
            {
                throw new BlockOperationException($"Device '{Label(backend, displayName)}' is locked and force was not specified, wait for tray to open and try again");
            }

            RemoveMedium(backend, displayName);
            InsertNode(backend, node, displayName);
        }
        catch (BlockOperationException)
        {
            if (backend.Root != node)
            {
                _layer.Graph.Unref(node);
            }

            throw;
        }

        CloseTray(backend, displayName);
    }

    /// <summary>QMP <c>eject</c>: open the tray (a locked one only with force), then remove the medium.</summary>
    public void Eject(BlockBackend backend, bool force = false, string? displayName = null)
    {
        if (!OpenTray(backend, force, displayName))
        {
            throw new BlockOperationException($"Device '{Label(backend, displayName)}' is locked and force was not specified, wait for tray to open and try again");
        }

        RemoveMedium(backend, displayName);
    }

    private static void InsertNode(BlockBackend backend, Graph.BlockDriverState node, string? displayName)
    {
        CheckRemovable(backend, displayName);
        if (backend.HasTray && !backend.IsTrayOpen)
        {
            throw new BlockOperationException($"Tray of device '{Label(backend, displayName)}' is not open");
        }

        if (backend.IsInserted)
        {
            throw new BlockOperationException("There already is a medium in the device");
        }

        backend.InsertRoot(node);
        if (!backend.HasTray && backend.NotifyChangeMedia(load: true) is { } error)
        {
            // The caller still owns its reference and drops it.
            backend.UndoInsertRoot();
            throw new BlockOperationException(error);
        }
    }

    private static void CheckRemovable(BlockBackend backend, string? displayName)
    {
        if (!backend.HasRemovableMedia)
        {
            throw new BlockOperationException($"Device '{Label(backend, displayName)}' is not removable");
        }
    }

    private static string Label(BlockBackend backend, string? displayName) =>
        displayName ?? (backend.Name.Length > 0 ? backend.Name : backend.DeviceId);
}
