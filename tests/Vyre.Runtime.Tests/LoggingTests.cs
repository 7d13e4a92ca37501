using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace Vyre.Runtime.Tests;

/// <summary>The host logs through the ILogger it is given, with stable event ids, and writes nothing anywhere without one.</summary>
public sealed class LoggingTests
{
    [Test]
    public async Task A_given_logger_gets_the_start_the_choice_and_the_shutdown_with_their_event_ids()
    {
        var log = new ListLogger();
        await using (MegakernelHost host = await TestKernels.StartAsync(new MegakernelOptions { Backend = Backend.Auto, SlotCount = 64, Logger = log }))
        {
            host.Submit(TestKernels.Opcodes.Increment, 1);
        }

        var entries = log.Entries;
        Assert.That(entries.Select(e => e.Event.Id), Is.SupersetOf(new[] { 1, 2, 3 }), string.Join(" | ", entries));
        (LogLevel level, _, string chose) = entries.Single(e => e.Event.Id == 1);
        Assert.That(level, Is.EqualTo(LogLevel.Information));
        Assert.That(chose, Does.Contain("Backend.Auto chose"));
        Assert.That(entries.Single(e => e.Event.Id == 2).Message, Does.Contain("TestKernels started").And.Contain("ring of 64 slots"));
        Assert.That(entries.Single(e => e.Event.Id == 2).Event.Name, Is.EqualTo("Started"));
    }

    [Test]
    public async Task Without_a_logger_nothing_is_written_to_standard_error()
    {
        TextWriter original = Console.Error;
        var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            await using MegakernelHost host = await TestKernels.StartAsync(new MegakernelOptions { Backend = Backend.Auto, SlotCount = 64 });
            host.Submit(TestKernels.Opcodes.Increment, 1);
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.That(captured.ToString(), Is.Empty);
    }
}
