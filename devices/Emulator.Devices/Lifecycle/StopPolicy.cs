using Emulator.Block.Backend;

namespace Emulator.Devices.Lifecycle;

/// <summary>
/// The <c>stop</c> error policy where the backend and a device meet, the same for every device model:
/// a failed request whose action is <see cref="BlockErrorAction.Stop"/> is parked (the guest sees
/// nothing; the backend has already asked the machine to pause with run state io-error), and the parked
/// requests are submitted again, unchanged and in arrival order, when the machine runs again
/// (each model's <see cref="Emulator.Machine.Lifecycle.IMachineDevice.Resume"/>). QEMU's ide_handle_rw_error / virtio_blk_handle_rw_error with
/// BLOCK_ERROR_ACTION_STOP, and the vm-change-state handlers that restart them.
/// </summary>
internal static class StopPolicy
{
    /// <summary>True when <paramref name="request"/> failed and the policy says park it until the machine resumes.</summary>
    public static bool ShouldPark(BlockRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Error != BlockError.None && request.ErrorAction == BlockErrorAction.Stop;
    }
}
