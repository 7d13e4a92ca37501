using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Vyre.Runtime.Tests;

/// <summary>Which CUDA device a host runs on: by index, by a filter, and what a wrong choice says.</summary>
public sealed class DeviceChoiceTests
{
    [Test]
    public void The_device_list_is_empty_without_a_gpu_and_agrees_with_IsCudaAvailable()
    {
        IReadOnlyList<GpuDevice> devices = MegakernelHost.CudaDevices();
        Assert.That(devices.Count > 0, Is.EqualTo(MegakernelHost.IsCudaAvailable()));
        for (int i = 0; i < devices.Count; i++)
        {
            Assert.That(devices[i].Index, Is.EqualTo(i));
            Assert.That((devices[i].Name.Length, devices[i].MemoryBytes, devices[i].Multiprocessors), Is.Not.EqualTo((0, 0L, 0)));
        }
    }

    [Test]
    [Category("Gpu")]
    public async Task A_device_chosen_by_index_or_by_filter_runs_slots_and_a_missing_one_names_the_devices()
    {
        BackendOptions.RequireCuda();
        IReadOnlyList<GpuDevice> devices = MegakernelHost.CudaDevices();
        GpuDevice last = devices[^1];
        await using (MegakernelHost byIndex = await TestKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, SlotCount = 256, CudaDevice = last.Index }))
        {
            Assert.That(byIndex.Submit(TestKernels.Opcodes.Increment, 41)[0], Is.EqualTo(42u));
        }

        await using (MegakernelHost byFilter = await TestKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, SlotCount = 256, CudaDeviceFilter = d => d.Name == last.Name && d.MemoryBytes == last.MemoryBytes }))
        {
            Assert.That(byFilter.Submit(TestKernels.Opcodes.Increment, 1)[0], Is.EqualTo(2u));
        }

        ArgumentException missing = Assert.ThrowsAsync<ArgumentException>(() => TestKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, SlotCount = 256, CudaDevice = devices.Count }))!;
        Assert.That(missing.Message, Does.Contain(last.Name).And.Contain("Fix:"));
        ArgumentException none = Assert.ThrowsAsync<ArgumentException>(() => TestKernels.StartAsync(new MegakernelOptions { Backend = Backend.Cuda, SlotCount = 256, CudaDeviceFilter = _ => false }))!;
        Assert.That(none.Message, Does.Contain(last.Name).And.Contain("Fix:"));
    }
}
