using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Vyre.Tests;

/// <summary>
/// Runs a program the way the tests need it: arguments passed one by one, standard output and error read together,
/// a bounded wait (the whole process tree is killed and the test fails when it is over).
/// </summary>
internal static class ChildProcess
{
    /// <summary>Runs <paramref name="command"/> (program first) and returns its exit code and its output, standard error last.</summary>
    public static (int Exit, string Output) Run(IReadOnlyList<string> command, TimeSpan timeout, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        for (int i = 1; i < command.Count; i++)
        {
            start.ArgumentList.Add(command[i]);
        }

        foreach (KeyValuePair<string, string> variable in environment ?? new Dictionary<string, string>())
        {
            start.Environment[variable.Key] = variable.Value;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{string.Join(' ', command)}' did not finish within {timeout}.");
        }

        return (process.ExitCode, output.Result + errors.Result);
    }

    /// <summary>Runs the .NET CLI (<c>dotnet ARGUMENTS</c>) in <paramref name="folder"/>, without telemetry, logo or lingering build nodes.</summary>
    public static (int Exit, string Output) Dotnet(string folder, TimeSpan timeout, params string[] arguments) =>
        Run(["dotnet", .. arguments], timeout, folder, new Dictionary<string, string>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
        });
}
