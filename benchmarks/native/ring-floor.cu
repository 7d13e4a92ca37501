// The floor of one slot's round trip through host memory mapped into the GPU, in native CUDA, for the
// rows of docs/benchmarks.md that Vyre's resident kernel is measured against (issue 10). The host side
// writes what Vyre's HostRing writes for a lone slot: the 64-byte ring slot, the 15 tagged entries of the
// express line (docs/latency.md) and the doorbell at the end of that line; then it spins on the slot's
// status word and reads result 0. One poller warp on the GPU answers, in each variant:
//   floor    lane 0 polls the doorbell word; status only (no slot read, no result): the physical floor
//   express  lanes 0..7 read the 128-byte line (doorbell included); the argument comes from the line's
//            tagged entries; result into the ring slot, membar.sys, status (Vyre's express design)
//   nofence  express without the fence between result and status: NOT safe, shows what the fence costs
//   slot     lane 0 polls the doorbell, then lanes 0..3 read the 64-byte slot; result, fence, status
//   generic  express, with the handler a non-inlined call taking a 208-byte context in local memory,
//            built per slot the way Vyre builds its SlotContext (what a generic dispatch costs natively)
//   locks    express, with the host doing the locked instructions of Vyre's Submit in the same places
//            (HostRing's gate and doorbell locks, the admission and call counts, the claim, the
//            retirement's fences): what the host ring's synchronisation costs the round trip
//
// Beside each round trip the host's turnaround: from the status seen (result read) to the next doorbell's store, the
// host's own part of a back-to-back round (one more clock read before each doorbell, since 2026-12-03).
//
//   nvcc -O3 -arch=sm_90 -std=c++17 -o ring-floor ring-floor.cu && ./ring-floor [DUMP_DIR]
//   With DUMP_DIR, each variant's round trips (µs, in the order they ran) go to DUMP_DIR/native-VARIANT.txt.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>
#include <cuda_runtime.h>

struct alignas(128) Shared
{
    unsigned long long line[16]; // entries 0..14: (tag << 32) | word k+1; line[15] low half: the doorbell
    uint32_t slot[16];           // the ring slot: status, opcode, tenant, priority, 12 arguments
};

enum Variant { Floor, Express, NoFence, SlotRead, Generic, HostLocks, VariantCount };
static const char* s_names[] = { "floor: doorbell poll, status only", "express line, native", "express line, no fence (unsafe)", "doorbell, then the 64-byte slot read", "express line, handler called with a 208-byte context", "express line, the host with Submit's 13 locked instructions" };

// The words Vyre's host path takes locked instructions on, each on its own cache line (HostLocks).
struct alignas(64) LockedWord { std::atomic<long> value{0}; };
static LockedWord s_calls, s_gate, s_outstanding, s_doorbellLock, s_holder, s_fence;

// A locked instruction, as .NET's Interlocked and Monitor use (lock xadd; Interlocked.MemoryBarrier is a lock or).
static inline void Locked(LockedWord& word) { word.value.fetch_add(1, std::memory_order_seq_cst); }

__device__ __forceinline__ uint32_t LoadVolatile(const void* p) { uint32_t v; asm volatile("ld.volatile.u32 %0, [%1];" : "=r"(v) : "l"(p)); return v; }
__device__ __forceinline__ void StoreVolatile(void* p, uint32_t v) { asm volatile("st.volatile.u32 [%0], %1;" :: "l"(p), "r"(v) : "memory"); }

struct Context { uint32_t* ring; uint32_t words[16]; uint32_t slotBase; uint32_t fault; unsigned long long views[12]; uint32_t pad[2]; };

__device__ __noinline__ uint32_t Handler(Context& c)
{
    c.ring[c.slotBase + 4] = c.words[4] + 1;
    return c.fault;
}

__global__ void Poller(Shared* s, int variant)
{
    int lane = threadIdx.x;
    uint32_t seen = 0;
    for (;;)
    {
        unsigned long long even = 0, odd = 0;
        uint32_t bell;
        if (variant == Floor || variant == SlotRead)
        {
            bell = __shfl_sync(0xffffffffu, lane == 0 ? LoadVolatile(&s->line[15]) : 0u, 0);
        }
        else
        {
            if (lane < 8)
            {
                asm volatile("ld.global.cv.v2.u64 {%0, %1}, [%2];" : "=l"(even), "=l"(odd) : "l"(&s->line[lane * 2]));
            }

            bell = __shfl_sync(0xffffffffu, (uint32_t)odd, 7);
        }

        if (bell == 0xFFFFFFFFu)
        {
            break;
        }

        if (bell == seen)
        {
            continue;
        }

        uint32_t arg = 0;
        if (variant == SlotRead)
        {
            uint4 q = make_uint4(0, 0, 0, 0);
            if (lane < 4)
            {
                asm volatile("ld.global.cv.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(q.x), "=r"(q.y), "=r"(q.z), "=r"(q.w) : "l"(&s->slot[lane * 4]));
            }

            arg = __shfl_sync(0xffffffffu, q.x, 1); // word 4 is lane 1's first word
        }
        else if (variant != Floor)
        {
            // Every entry must carry the doorbell's tag (bell == sequence + 1); entry 3 holds word 4.
            bool mine = lane >= 8 || ((uint32_t)(even >> 32) == bell && (lane == 7 || (uint32_t)(odd >> 32) == bell));
            if (!__all_sync(0xffffffffu, mine))
            {
                continue; // a torn line: a real forwarder reads the slot instead; the host here never tears it
            }

            arg = __shfl_sync(0xffffffffu, (uint32_t)odd, 1);
        }

        seen = bell;

        if (lane == 0)
        {
            if (variant == Generic)
            {
                Context c;
                c.ring = s->slot;
                c.slotBase = 0;
                c.fault = 0;
                for (int i = 0; i < 16; i++) c.words[i] = i == 4 ? arg : 0;
                for (int i = 0; i < 12; i++) c.views[i] = 0;
                c.pad[0] = c.pad[1] = 0;
                Handler(c);
            }
            else if (variant != Floor)
            {
                StoreVolatile(&s->slot[4], arg + 1);
            }

            if (variant != NoFence)
            {
                asm volatile("membar.sys;" ::: "memory");
            }

            StoreVolatile(&s->slot[0], bell);
        }

        __syncwarp();
    }
}

int main(int argc, char** argv)
{
    const char* dump = argc > 1 ? argv[1] : nullptr;
    Shared* host;
    if (cudaHostAlloc(&host, sizeof(Shared), cudaHostAllocMapped) != cudaSuccess)
    {
        std::printf("no CUDA device\n");
        return 1;
    }

    Shared* device;
    cudaHostGetDevicePointer(&device, host, 0);
    const int rounds = 20000;
    std::printf("| native variant (one poller warp, %d round trips) | p50 µs | p90 µs | p99 µs | wrong | host turnaround p50 / p99 ns |\n| --- | ---: | ---: | ---: | ---: | ---: |\n", rounds);
    for (int pass = 0; pass < 2; pass++)
    {
        for (int variant = 0; variant < VariantCount; variant++)
        {
            std::memset(host, 0, sizeof(Shared));
            volatile unsigned long long* line = host->line;
            volatile uint32_t* slot = host->slot;
            cudaStream_t stream;
            cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
            Poller<<<1, 32, 0, stream>>>(device, variant);
            std::vector<double> times, turnaround;
            std::chrono::steady_clock::time_point seenLast{};
            int wrong = 0;
            for (uint32_t sequence = 0; sequence < rounds + 1000; sequence++)
            {
                uint32_t tag = sequence + 1, argument = sequence * 3;
                bool locks = variant == HostLocks;
                auto start = std::chrono::steady_clock::now();
                if (locks)
                {
                    // EnterCall, the gate's lock (enter), the admission's count, the gate's lock (exit).
                    Locked(s_calls); Locked(s_gate); Locked(s_outstanding); Locked(s_gate);
                }

                slot[1] = 0x100; slot[2] = 0; slot[3] = 0; slot[4] = argument;
                for (int k = 0; k < 15; k++)
                {
                    line[k] = ((unsigned long long)tag << 32) | (k + 1 == 4 ? argument : 0u);
                }

                std::atomic_thread_fence(std::memory_order_release);
                if (locks)
                {
                    Locked(s_doorbellLock); // RingDoorbell's lock (enter), after the slot's and the line's stores
                }

                auto bell = std::chrono::steady_clock::now();
                line[15] = tag;
                if (locks)
                {
                    Locked(s_doorbellLock); Locked(s_holder); // its exit; ClaimOwn's compare-exchange
                }

                while (slot[0] != tag)
                {
                    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(1))
                    {
                        std::printf("variant %d: no answer for sequence %u within 1 s\n", variant, sequence);
                        return 2; // the kernel still runs: the process exit tears the context down
                    }
                }
                uint32_t result = slot[4];
                auto seen = std::chrono::steady_clock::now();
                if (sequence > 1000)
                {
                    turnaround.push_back(std::chrono::duration<double, std::nano>(bell - seenLast).count());
                }

                seenLast = seen;
                if (locks)
                {
                    // Retire: the admission's count, a full fence, the gate's lock (enter), AdvanceRetired's fence, the
                    // gate's lock (exit); ExitCall.
                    Locked(s_outstanding); Locked(s_fence); Locked(s_gate); Locked(s_fence); Locked(s_gate); Locked(s_calls);
                }

                auto end = locks ? std::chrono::steady_clock::now() : seen;
                if (sequence >= 1000)
                {
                    times.push_back(std::chrono::duration<double, std::micro>(end - start).count());
                    wrong += variant == Floor ? 0 : result != argument + 1;
                }
            }

            line[15] = 0xFFFFFFFFull;
            cudaError_t error = cudaStreamSynchronize(stream);
            cudaStreamDestroy(stream);
            if (pass == 1 && dump != nullptr)
            {
                char path[4096];
                std::snprintf(path, sizeof path, "%s/native-%d.txt", dump, variant);
                if (FILE* f = std::fopen(path, "w"))
                {
                    for (double t : times) std::fprintf(f, "%.3f\n", t);
                    std::fclose(f);
                }
            }

            std::sort(times.begin(), times.end());
            std::sort(turnaround.begin(), turnaround.end());
            if (pass == 1)
            {
                std::printf("| %s | %.2f | %.2f | %.2f | %d%s | %.0f / %.0f |\n", s_names[variant], times[rounds / 2], times[rounds * 9 / 10], times[rounds * 99 / 100], wrong, error == cudaSuccess ? "" : " (CUDA error)", turnaround[turnaround.size() / 2], turnaround[turnaround.size() * 99 / 100]);
            }
        }
    }

    cudaFreeHost(host);
    return 0;
}
