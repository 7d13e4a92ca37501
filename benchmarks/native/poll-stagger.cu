// Does a second PCIe read in flight shorten the wait for the doorbell? (issue 10: the round trip's doorbell leg.)
// The host writes what Vyre's HostRing writes for a lone slot (ring slot, the express line's 15 tagged entries, the
// doorbell at the line's end) and waits for the status; the device answers in one of these ways:
//   one read         lanes 0..7 read the 128-byte line, one read at a time (Vyre's forwarder, natively)
//   one read, busy  the same, with 1,055 more warps on the GPU polling a device word with nanosleep 100 between
//                   polls (what Vyre's idle warps do)
//   same line x2    one warp, two reads of the line in flight, issued a pace apart (software pipelined: the
//                   loop is unrolled twice so that no register copy waits for a load)
//   two lines x2    the same, the host writing the line twice (two 128-byte lines: reads of one line queue behind
//                   each other) and the reads alternating between them
//   scouts x2       two lines; two scout warps read one line each, a pace apart, and hand a line with a new doorbell
//                   to a forwarder warp through shared memory (the shape ILGPU allows: a warp waits where it issues a
//                   load)
// Each in two host patterns: ping-pong (publish as soon as the last answer is seen) and a random gap of 0-3 µs
// between an answer and the next publish (a slot arriving at a random phase of the device's polling).
// Also the time of one read of host memory, serial and two in flight (same line, two lines).
//
//   nvcc -O3 -arch=sm_90 -std=c++17 -o poll-stagger poll-stagger.cu && ./poll-stagger [pace ns]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>
#include <cuda_runtime.h>

struct alignas(128) Line { unsigned long long e[16]; }; // entries 0..14: (tag << 32) | word k+1; e[15] low: doorbell
struct alignas(128) Shared
{
    Line line[2];
    uint32_t slot[16];
    uint32_t stop;
};

enum Variant { One, OneBusy, SameLine, TwoLines, Scouts, VariantCount };
static const char* s_names[] = { "one read at a time", "one read at a time, 1,055 warps polling device memory", "same line, two reads in flight", "two lines, two reads in flight", "two lines, two scout warps, shared memory" };

__device__ __forceinline__ unsigned long long Now() { unsigned long long t; asm volatile("mov.u64 %0, %globaltimer;" : "=l"(t)); return t; }
__device__ __forceinline__ void StoreVolatile(void* p, uint32_t v) { asm volatile("st.volatile.u32 [%0], %1;" :: "l"(p), "r"(v) : "memory"); }
__device__ __forceinline__ void LoadPair(const void* p, unsigned long long& e, unsigned long long& o)
{
    asm volatile("ld.global.cv.v2.u64 {%0, %1}, [%2];" : "=l"(e), "=l"(o) : "l"(p));
}

// Serves the line lanes 0..7 hold if it shows a new doorbell whose entries all carry its tag; true when told to stop.
__device__ __forceinline__ bool Serve(Shared* s, int lane, unsigned long long even, unsigned long long odd, uint32_t& seen)
{
    uint32_t bell = __shfl_sync(0xffffffffu, (uint32_t)odd, 7);
    if (bell == 0xFFFFFFFFu) return true;
    if ((int)(bell - seen) <= 0) return false;
    bool mine = lane >= 8 || ((uint32_t)(even >> 32) == bell && (lane == 7 || (uint32_t)(odd >> 32) == bell));
    if (!__all_sync(0xffffffffu, mine)) return false;
    uint32_t arg = __shfl_sync(0xffffffffu, (uint32_t)odd, 1);
    seen = bell;
    if (lane == 0)
    {
        StoreVolatile(&s->slot[4], arg + 1);
        asm volatile("membar.sys;" ::: "memory");
        StoreVolatile(&s->slot[0], bell);
    }
    __syncwarp();
    return false;
}

// Waits until a pace has passed since the last read was issued, then marks the next one issued.
__device__ __forceinline__ void Pace(unsigned long long& last, unsigned pace)
{
    while (Now() - last < pace) { }
    last = Now();
}

__global__ void Poller(Shared* s, int variant, unsigned pace, volatile uint32_t* quitAll)
{
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    uint32_t seen = 0;
    if (variant == One || variant == OneBusy)
    {
        if (blockIdx.x != 0 || warp != 0)
        {
            if (lane == 0) { while (*quitAll == 0) { __nanosleep(100); } }
            return;
        }
        for (;;)
        {
            unsigned long long e = 0, o = 0;
            if (lane < 8) LoadPair(&s->line[0].e[lane * 2], e, o);
            if (Serve(s, lane, e, o, seen)) { *quitAll = 1; return; }
        }
    }

    if (variant == SameLine || variant == TwoLines)
    {
        if (warp != 0) return;
        const Line* b = &s->line[variant == TwoLines ? 1 : 0];
        unsigned long long ea = 0, oa = 0, eb = 0, ob = 0, last = Now();
        if (lane < 8) LoadPair(&s->line[0].e[lane * 2], ea, oa);
        for (;;)
        {
            Pace(last, pace);
            if (lane < 8) LoadPair(&b->e[lane * 2], eb, ob);
            if (Serve(s, lane, ea, oa, seen)) return;
            Pace(last, pace);
            if (lane < 8) LoadPair(&s->line[0].e[lane * 2], ea, oa);
            if (Serve(s, lane, eb, ob, seen)) return;
        }
    }

    // Scouts: warps 1 and 2 read lines 0 and 1, paced apart through a shared issue time, and copy a line with a new
    // doorbell into their own shared buffer (entries first, then the doorbell); warp 0 watches both buffers.
    __shared__ unsigned long long buffer[2][16];
    __shared__ unsigned long long lastIssue;
    __shared__ volatile int quit;
    if (threadIdx.x == 0) { lastIssue = Now(); quit = 0; }
    for (int i = threadIdx.x; i < 32; i += blockDim.x) buffer[i / 16][i % 16] = 0;
    __syncthreads();
    if (warp > 0)
    {
        int mine = warp - 1;
        volatile unsigned long long* out = buffer[mine];
        uint32_t copied = 0;
        while (!quit)
        {
            if (lane == 0)
            {
                while (Now() - *(volatile unsigned long long*)&lastIssue < pace) { }
                *(volatile unsigned long long*)&lastIssue = Now();
            }
            __syncwarp();
            unsigned long long e = 0, o = 0;
            if (lane < 8) LoadPair(&s->line[mine].e[lane * 2], e, o);
            uint32_t bell = __shfl_sync(0xffffffffu, (uint32_t)o, 7);
            if (bell != copied)
            {
                copied = bell;
                if (lane < 8) { out[lane * 2] = e; if (lane < 7) out[lane * 2 + 1] = o; }
                __syncwarp();
                __threadfence_block();
                if (lane == 7) out[15] = o;
            }
            if (bell == 0xFFFFFFFFu) break;
        }
        return;
    }

    for (;;)
    {
        for (int k = 0; k < 2; k++)
        {
            volatile unsigned long long* in = buffer[k];
            unsigned long long e = lane < 8 ? in[lane * 2] : 0, o = lane < 8 ? in[lane * 2 + 1] : 0;
            if (Serve(s, lane, e, o, seen)) { quit = 1; return; }
        }
    }
}

// Nanoseconds per read of host memory by one lane: serial (each read's address depends on the last read's value,
// which is 0), and two independent chains in flight, on the same line or on two lines.
__device__ __forceinline__ uint32_t LoadCv(const uint32_t* p) { uint32_t v; asm volatile("ld.global.cv.u32 %0, [%1];" : "=r"(v) : "l"(p)); return v; }

__global__ void ReadTime(Shared* s, unsigned long long* out)
{
    const int n = 2000;
    const uint32_t* a = (const uint32_t*)&s->line[0].e[0];
    const uint32_t* b = (const uint32_t*)&s->line[1].e[0];
    uint32_t x = 0, y = 0;
    unsigned long long t0 = Now();
    for (int i = 0; i < n; i++) x = LoadCv(a + x);
    unsigned long long t1 = Now();
    for (int i = 0; i < n; i++) { x = LoadCv(a + x); y = LoadCv(a + 2 + y); }
    unsigned long long t2 = Now();
    for (int i = 0; i < n; i++) { x = LoadCv(a + x); y = LoadCv(b + y); }
    unsigned long long t3 = Now();
    out[0] = (t1 - t0) / n; out[1] = (t2 - t1) / n; out[2] = (t3 - t2) / n; out[3] = x + y;
}

static void Publish(Shared* host, uint32_t sequence, int lines)
{
    volatile uint32_t* slot = host->slot;
    uint32_t tag = sequence + 1, argument = sequence * 3;
    slot[1] = 0x100; slot[2] = 0; slot[3] = 0; slot[4] = argument;
    for (int l = 0; l < lines; l++)
    {
        volatile unsigned long long* line = host->line[l].e;
        for (int k = 0; k < 15; k++) line[k] = ((unsigned long long)tag << 32) | (k + 1 == 4 ? argument : 0u);
        std::atomic_thread_fence(std::memory_order_release);
        line[15] = tag;
    }
}

int main(int argc, char** argv)
{
    unsigned pace = argc > 1 ? (unsigned)std::atoi(argv[1]) : 600;
    Shared* host;
    if (cudaHostAlloc(&host, sizeof(Shared), cudaHostAllocMapped) != cudaSuccess) { std::printf("no CUDA device\n"); return 1; }
    Shared* device;
    cudaHostGetDevicePointer(&device, host, 0);

    unsigned long long* times;
    cudaMallocManaged(&times, 4 * sizeof(unsigned long long));
    uint32_t* quitAll;
    cudaMalloc(&quitAll, sizeof(uint32_t));
    std::memset(host, 0, sizeof(Shared));
    ReadTime<<<1, 1>>>(device, times);
    cudaDeviceSynchronize();
    std::printf("one read of host memory: serial %llu ns; two chains in flight, same line %llu ns; two lines %llu ns (per pair)\n\n", times[0], times[1], times[2]);

    const int rounds = 20000;
    std::mt19937 random(12345);
    std::printf("| variant (pace %u ns) | host | p50 µs | p90 µs | p99 µs | p99.9 µs | wrong |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |\n", pace);
    for (int pass = 0; pass < 2; pass++)
    for (int gap = 0; gap < 2; gap++)
    for (int variant = 0; variant < VariantCount; variant++)
    {
        int lines = variant == TwoLines || variant == Scouts ? 2 : 1;
        cudaMemset(quitAll, 0, sizeof(uint32_t));
        cudaDeviceSynchronize();
        std::memset(host, 0, sizeof(Shared));
        cudaStream_t stream;
        cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
        Poller<<<variant == OneBusy ? 264 : 1, variant == Scouts ? 96 : variant == OneBusy ? 128 : 32, 0, stream>>>(device, variant, pace, quitAll);
        std::vector<double> rt;
        int wrong = 0;
        volatile uint32_t* slot = host->slot;
        for (uint32_t sequence = 0; sequence < rounds + 1000; sequence++)
        {
            if (gap)
            {
                auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(random() % 3000);
                while (std::chrono::steady_clock::now() < until) { }
            }
            auto start = std::chrono::steady_clock::now();
            Publish(host, sequence, lines);
            while (slot[0] != sequence + 1)
            {
                if (std::chrono::steady_clock::now() - start > std::chrono::seconds(1)) { std::printf("variant %d: no answer for %u\n", variant, sequence); return 2; }
            }
            uint32_t result = slot[4];
            auto end = std::chrono::steady_clock::now();
            if (sequence >= 1000)
            {
                rt.push_back(std::chrono::duration<double, std::micro>(end - start).count());
                wrong += result != sequence * 3 + 1;
            }
        }
        for (int l = 0; l < 2; l++) host->line[l].e[15] = 0xFFFFFFFFull;
        cudaError_t error = cudaStreamSynchronize(stream);
        cudaStreamDestroy(stream);
        std::sort(rt.begin(), rt.end());
        if (pass == 1)
            std::printf("| %s | %s | %.2f | %.2f | %.2f | %.2f | %d%s |\n", s_names[variant], gap ? "gap 0-3 µs" : "ping-pong",
                rt[rounds / 2], rt[rounds * 9 / 10], rt[rounds * 99 / 100], rt[rounds * 999 / 1000], wrong, error == cudaSuccess ? "" : " (CUDA error)");
    }
    cudaFreeHost(host);
    return 0;
}
