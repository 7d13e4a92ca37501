using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Vyre.Scan;

/// <summary>
/// The tool's <c>--json</c> output: JSON Lines, one object per line with a "type" (begin, file, skipped, summary), schema
/// version 1 documented in docs/scan.md. Fields are only added in later versions, never renamed or removed.
/// </summary>
internal static class JsonReport
{
    /// <summary>The schema version the begin line names.</summary>
    public const int Schema = 1;

    public static void Write(Stream stdout, ScanSummary summary, RuleNames rules, IReadOnlyList<string> skipped)
    {
        using var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = false });
        Line(json, stdout, () =>
        {
            json.WriteString("type", "begin");
            json.WriteNumber("schema", Schema);
            json.WriteString("backend", summary.Backend);
            json.WriteStartArray("rules");
            for (int r = 0; r < rules.Count; r++)
            {
                json.WriteStringValue(rules[r]);
            }

            json.WriteEndArray();
        });
        foreach (FileReport file in summary.Files)
        {
            Line(json, stdout, () =>
            {
                json.WriteString("type", "file");
                json.WriteString("path", file.Path);
                json.WriteNumber("bytes", file.Bytes);
                if (file.Error is null)
                {
                    if (!double.IsNaN(file.Entropy))
                    {
                        json.WriteString("content_hash", file.ContentHash.ToString("x16"));
                        json.WriteNumber("entropy", System.Math.Round(file.Entropy, 6));
                        json.WriteBoolean("high_entropy", file.HighEntropy);
                    }

                    json.WriteNull("error");
                }
                else
                {
                    json.WriteString("error", file.Error);
                }

                json.WriteStartArray("matches");
                foreach (KeyValuePair<int, long> match in file.Matches.OrderBy(m => m.Key))
                {
                    json.WriteStartObject();
                    json.WriteNumber("rule", match.Key);
                    json.WriteNumber("count", match.Value);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            });
        }

        foreach (string entry in skipped)
        {
            Line(json, stdout, () =>
            {
                json.WriteString("type", "skipped");
                json.WriteString("reason", entry);
            });
        }

        Line(json, stdout, () =>
        {
            json.WriteString("type", "summary");
            json.WriteNumber("files", summary.Files.Count);
            json.WriteNumber("files_not_read", summary.Files.Count(f => f.Error is not null));
            json.WriteNumber("files_with_matches", summary.Files.Count(f => f.Matches.Count > 0));
            json.WriteNumber("matches", summary.Files.Sum(f => f.Matches.Values.Sum()));
            json.WriteNumber("bytes", summary.Files.Sum(f => f.Bytes));
            json.WriteNumber("elapsed_ms", System.Math.Round(summary.Elapsed.TotalMilliseconds, 3));
            json.WriteNumber("automaton_ms", System.Math.Round(summary.Setup.Automaton.TotalMilliseconds, 3));
            json.WriteNumber("start_ms", System.Math.Round(summary.Setup.Start.TotalMilliseconds, 3));
            json.WriteNumber("upload_ms", System.Math.Round(summary.Setup.Upload.TotalMilliseconds, 3));
            json.WriteNumber("folding_ms", System.Math.Round(summary.Setup.Folding.TotalMilliseconds, 3));
            json.WriteNumber("slot_ms", System.Math.Round(summary.Stats.MeanSlotTime.TotalMilliseconds, 3));
            json.WriteNumber("slots_in_flight", System.Math.Round(summary.Stats.MeanSlotsInFlight, 1));
            json.WriteNumber("reads_in_flight", System.Math.Round(summary.Stats.MeanReadsInFlight, 1));
            json.WriteNumber("chunks_waiting_to_publish", System.Math.Round(summary.Stats.MeanChunksWaitingToPublish, 1));
            json.WriteNumber("chunks_with_consumer", System.Math.Round(summary.Stats.MeanChunksWithConsumer, 1));
            json.WriteNumber("consumer_ms", System.Math.Round(summary.Stats.MeanConsumerTime.TotalMilliseconds, 3));
            json.WriteNumber("io_thread_in_kernel_ms", System.Math.Round(summary.Stats.IoThreadInKernel.TotalMilliseconds, 3));
            json.WriteNumber("io_thread_publishing_ms", System.Math.Round(summary.Stats.IoThreadPublishing.TotalMilliseconds, 3));
            json.WriteNumber("io_thread_taking_ms", System.Math.Round(summary.Stats.IoThreadTakingResults.TotalMilliseconds, 3));
            json.WriteNumber("io_thread_idle_ms", System.Math.Round(summary.Stats.IoThreadIdle.TotalMilliseconds, 3));
            json.WriteNumber("heap_copy_ms", System.Math.Round(summary.Stats.MeanHeapCopyTime.TotalMilliseconds, 3));
            json.WriteNumber("io_thread_loops", summary.Stats.IoThreadLoops);
            json.WriteNumber("stream_setup_ms", System.Math.Round(summary.Stats.SetupTime.TotalMilliseconds, 3));
            json.WriteNumber("stream_teardown_ms", System.Math.Round(summary.Stats.TeardownTime.TotalMilliseconds, 3));
            json.WriteNumber("reads_done_ms", System.Math.Round(summary.Stats.ReadsDoneAfter.TotalMilliseconds, 3));
            json.WriteNumber("automaton_states", summary.Setup.States);
            json.WriteNumber("recounted_chunks", summary.Recounted);
            json.WriteString("backend", summary.Backend);
        });
    }

    private static void Line(Utf8JsonWriter json, Stream stdout, System.Action body)
    {
        json.WriteStartObject();
        body();
        json.WriteEndObject();
        json.Flush();
        json.Reset();
        stdout.WriteByte((byte)'\n');
    }
}
