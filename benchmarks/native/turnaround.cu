// Does the poller's phase after an answer decide a back-to-back round trip? (issue 10, docs/latency.md)
// The express design of ring-floor.cu (one warp reads the 128-byte line with the doorbell, answers with result, fence,
// status), with the poller waiting `delay` ns after each answer before its next read, against a host that waits
// `think` ns between seeing a result and publishing the next slot (0: back to back; -1: a random 0-3 µs).
// If the first read after an answer usually samples host memory before the next doorbell can be there, it is wasted
// and the slot waits for the read after it; a delay that moves that first read later would then shorten the round trip.
//
//   nvcc -O3 -arch=sm_90 -std=c++17 -o turnaround turnaround.cu && ./turnaround
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>
#include <cuda_runtime.h>

struct alignas(128) Shared
{
    unsigned long long line[16]; // entries 0..14: (tag << 32) | word k+1; line[15] low half: the doorbell
    uint32_t slot[16];           // the ring slot: status, opcode, tenant, priority, 12 arguments
};

__device__ __forceinline__ void StoreVolatile(void* p, uint32_t v) { asm volatile("st.volatile.u32 [%0], %1;" :: "l"(p), "r"(v) : "memory"); }
__device__ __forceinline__ unsigned long long Now() { unsigned long long t; asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t)); return t; }

// tail: how the answer ends. 0: result, membar.sys, st.volatile status (ring-floor's express design); 1: result,
// st.release.sys status (Vyre's); 2 and 3: 0 and 1, then what Vyre's forwarder does next in device memory (a store, a
// device fence, an atomic add whose value it uses).
__global__ void Poller(Shared* s, unsigned delay, int tail, unsigned* deviceWords)
{
    int lane = threadIdx.x;
    uint32_t seen = 0;
    for (;;)
    {
        unsigned long long even = 0, odd = 0;
        if (lane < 8)
        {
            asm volatile("ld.global.cv.v2.u64 {%0, %1}, [%2];" : "=l"(even), "=l"(odd) : "l"(&s->line[lane * 2]));
        }

        uint32_t bell = __shfl_sync(0xffffffffu, (uint32_t)odd, 7);
        if (bell == 0xFFFFFFFFu)
        {
            break;
        }

        if (bell == seen)
        {
            continue;
        }

        bool mine = lane >= 8 || ((uint32_t)(even >> 32) == bell && (lane == 7 || (uint32_t)(odd >> 32) == bell));
        if (!__all_sync(0xffffffffu, mine))
        {
            continue;
        }

        uint32_t arg = __shfl_sync(0xffffffffu, (uint32_t)odd, 1);
        seen = bell;
        if (lane == 0)
        {
            StoreVolatile(&s->slot[4], arg + 1);
            if ((tail & 1) == 0)
            {
                asm volatile("membar.sys;" ::: "memory");
                StoreVolatile(&s->slot[0], bell);
            }
            else
            {
                asm volatile("st.release.sys.global.u32 [%0], %1;" :: "l"(&s->slot[0]), "r"(bell) : "memory");
            }

            if (tail >= 2)
            {
                StoreVolatile(&deviceWords[0], bell);
                asm volatile("membar.gl;" ::: "memory");
                deviceWords[1] += atomicAdd(&deviceWords[2], 1u) & 1u;
            }

            if (delay != 0)
            {
                unsigned long long until = Now() + delay;
                while (Now() < until)
                {
                }
            }
        }

        __syncwarp();
    }
}

static void Spin(long long ns)
{
    auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
    while (std::chrono::steady_clock::now() < until)
    {
    }
}

int main()
{
    Shared* host;
    if (cudaHostAlloc(&host, sizeof(Shared), cudaHostAllocMapped) != cudaSuccess)
    {
        std::printf("no CUDA device\n");
        return 1;
    }

    Shared* device;
    cudaHostGetDevicePointer(&device, host, 0);
    const int rounds = 10000;
    const unsigned delays[] = { 0, 200, 400, 600, 800, 1000, 1200 };
    const long long thinks[] = { 0, 300, 1000, -1 };
    unsigned* deviceWords;
    cudaMalloc(&deviceWords, 16 * sizeof(unsigned));
    cudaMemset(deviceWords, 0, 16 * sizeof(unsigned));
    std::printf("| answer's tail | host think time | poller delay after an answer, ns | p50 µs | p90 µs | p99 µs | wrong |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    std::mt19937 random(12345);
    for (int tail = 0; tail < 4; tail++)
    for (long long think : thinks)
    {
        if (tail != 0 && think != 300)
        {
            continue;
        }

        for (unsigned delay : delays)
        {
            std::memset(host, 0, sizeof(Shared));
            volatile unsigned long long* line = host->line;
            volatile uint32_t* slot = host->slot;
            cudaStream_t stream;
            cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
            Poller<<<1, 32, 0, stream>>>(device, delay, tail, deviceWords);
            std::vector<double> times;
            int wrong = 0;
            for (uint32_t sequence = 0; sequence < rounds + 1000; sequence++)
            {
                if (think != 0)
                {
                    Spin(think > 0 ? think : (long long)(random() % 3000));
                }

                uint32_t tag = sequence + 1, argument = sequence * 3;
                auto start = std::chrono::steady_clock::now();
                slot[1] = 0x100; slot[2] = 0; slot[3] = 0; slot[4] = argument;
                for (int k = 0; k < 15; k++)
                {
                    line[k] = ((unsigned long long)tag << 32) | (k + 1 == 4 ? argument : 0u);
                }

                std::atomic_thread_fence(std::memory_order_release);
                line[15] = tag;
                while (slot[0] != tag)
                {
                    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(1))
                    {
                        std::printf("no answer for sequence %u within 1 s\n", sequence);
                        return 2; // the kernel still runs: the process exit tears the context down
                    }
                }

                uint32_t result = slot[4];
                auto end = std::chrono::steady_clock::now();
                if (sequence >= 1000)
                {
                    times.push_back(std::chrono::duration<double, std::micro>(end - start).count());
                    wrong += result != argument + 1;
                }
            }

            line[15] = 0xFFFFFFFFull;
            cudaError_t error = cudaStreamSynchronize(stream);
            cudaStreamDestroy(stream);
            std::sort(times.begin(), times.end());
            char label[64];
            std::snprintf(label, sizeof label, think < 0 ? "random 0-3 µs" : "%lld ns", think);
            std::printf("| %d | %s | %u | %.2f | %.2f | %.2f | %d%s |\n", tail, label, delay, times[rounds / 2], times[rounds * 9 / 10], times[rounds * 99 / 100], wrong, error == cudaSuccess ? "" : " (CUDA error)");
        }
    }

    cudaFreeHost(host);
    return 0;
}
