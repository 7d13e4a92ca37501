// Where an interpreter step's time goes inside a persistent warp: the same loop as interp.cu (three register loads
// per instruction, generic pointers), run by lane 0 while lanes 1..31 (a) wait in __syncwarp, (b) spin on shfl.sync,
// (c) poll host-mapped memory with nanosleep; and with 131 other blocks polling host memory.
#include <cstdio>
#include <cstdint>
#include <cuda_runtime.h>

enum { HALT = 0, ADDI = 16, LOOP = 24 };

__device__ __noinline__ uint32_t run3(const uint32_t* code, uint32_t* regs, uint32_t r2, long long* cycles)
{
    for (int i = 0; i < 64; i++) regs[i] = 0;
    regs[2] = r2;
    uint32_t pc = 0;
    long long t0 = clock64();
    for (uint32_t used = 0; used < (1u << 30); used++) {
        uint32_t w = code[pc * 2], imm = code[pc * 2 + 1];
        uint32_t op = w & 0xFF, a = (w >> 8) & 0xFF, b = (w >> 16) & 0xFF, c = w >> 24;
        if (a >= 64 || b >= 64 || c >= 64) return 0xFFFFFFFF;
        uint32_t va = regs[a], vb = regs[b], vc = regs[c];
        uint32_t next = pc + 1, value = 0; bool write = true;
        switch (op) {
        case HALT: *cycles = clock64() - t0; return regs[0];
        case ADDI: value = vb + imm; break;
        case LOOP: value = va - 1; if (value) next = imm; break;
        case 6: value = vb + vc; break;
        case 7: value = vb - vc; break;
        case 8: value = vb * vc; break;
        case 9: value = vc ? vb / vc : 0; break;
        case 11: value = vb & vc; break;
        case 12: value = vb | vc; break;
        case 13: value = vb ^ vc; break;
        case 17: value = vb == vc; break;
        case 21: write = false; next = imm; break;
        default: return 0xFFFFFFFE;
        }
        if (write) regs[a] = value;
        pc = next;
    }
    return 0xFFFFFFFD;
}

__global__ void k(const uint32_t* code, uint32_t* regs, uint32_t r2, int mode, volatile uint32_t* host, uint32_t* out, long long* cycles)
{
    int lane = threadIdx.x & 31;
    if (blockIdx.x != 0 || threadIdx.x >= 32) {  // other warps: poll host memory until told to stop
        while (host[1] == 0) __nanosleep(100);
        return;
    }
    if (mode == 0) {
        if (lane == 0) *out = run3(code, regs, r2, cycles);
        __syncwarp();
    } else if (mode == 1) {
        uint32_t done = 0;
        while (true) {
            if (lane == 0 && !done) { *out = run3(code, regs, r2, cycles); done = 1; }
            if (__shfl_sync(0xFFFFFFFF, done, 0)) break;
        }
    } else {
        __shared__ volatile uint32_t flag;
        if (lane == 0) flag = 0;
        __syncwarp();
        if (lane == 0) { *out = run3(code, regs, r2, cycles); flag = 1; }
        else { while (flag == 0) { (void)host[0]; __nanosleep(100); } }
        __syncwarp();
    }
}

int main()
{
    uint32_t prog[6] = { ADDI, 1, LOOP | (2 << 8), 0, HALT, 0 };
    uint32_t *code, *regs, *out; long long* cyc; uint32_t* host;
    cudaMalloc(&code, 64); cudaMalloc(&regs, 256); cudaMallocManaged(&out, 4); cudaMallocManaged(&cyc, 8);
    cudaHostAlloc(&host, 64, cudaHostAllocMapped); host[0] = 0; host[1] = 0;
    uint32_t* dhost; cudaHostGetDevicePointer(&dhost, host, 0);
    cudaMemcpy(code, prog, 24, cudaMemcpyHostToDevice);
    int clk; cudaDeviceGetAttribute(&clk, cudaDevAttrClockRate, 0);
    const char* names[] = { "lanes 1..31 at __syncwarp", "lanes 1..31 spin on shfl.sync", "lanes 1..31 poll host memory + nanosleep" };
    for (int blocks = 1; blocks <= 132; blocks += 131)
    for (int mode = 0; mode < 3; mode++) {
        long long c1 = 0, c1000 = 0;
        auto once = [&](uint32_t r2) {
            host[1] = 0; *cyc = 0;
            k<<<blocks, 128>>>(code, regs, r2, mode, dhost, out, cyc);
            while (*(volatile long long*)cyc == 0 && cudaStreamQuery(0) == cudaErrorNotReady) { }
            host[1] = 1; cudaDeviceSynchronize();
            return *cyc;
        };
        for (int rep = 0; rep < 3; rep++) { c1 = once(1); c1000 = once(1001); }
        double per = (double)(c1000 - c1) / 1000.0;
        printf("3 loads/instr, %3d blocks, %-42s: r0=%u, %.1f cycles per addi+loop step = %.4f us (%s)\n", blocks, names[mode], *out, per, per / (clk / 1000.0), cudaGetErrorString(cudaGetLastError()));
    }
    return 0;
}
