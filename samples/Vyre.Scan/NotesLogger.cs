using System;
using Microsoft.Extensions.Logging;

namespace Vyre.Scan;

/// <summary>The runtime's log as the tool's notes: each message, as text, to <see cref="ScanRequest.Log"/> (the summary prints them).</summary>
internal sealed class NotesLogger(Action<string> notes) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            notes(formatter(state, exception));
        }
    }
}
