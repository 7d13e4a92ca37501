// Register file placement for a VIR0-style interpreter (addi + loop chain, 3 register loads per instruction):
// global, local, shared; fetch plain or pipelined (both successors fetched while an instruction runs).
#include <cstdio>
#include <cstdint>
#include <cuda_runtime.h>

enum { HALT = 0, ADDI = 16, LOOP = 24 };

template <bool Pipe>
__device__ __noinline__ uint32_t run(const uint32_t* code, uint32_t* regs, uint32_t r2, long long* cycles, uint32_t count)
{
    for (int i = 0; i < 64; i++) regs[i] = 0;
    regs[2] = r2;
    uint32_t pc = 0;
    long long t0 = clock64();
    uint32_t w = code[0], imm = code[1];
    for (uint32_t used = 0; used < (1u << 30); used++) {
        uint32_t aw = 0, ai = 0, tw = 0, ti = 0;
        if (Pipe) {
            uint32_t ahead = pc + 1 < count ? pc + 1 : pc, target = imm < count ? imm : pc;
            aw = code[ahead * 2]; ai = code[ahead * 2 + 1]; tw = code[target * 2]; ti = code[target * 2 + 1];
        }
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
        case 11: value = vb & vc; break;
        case 12: value = vb | vc; break;
        case 13: value = vb ^ vc; break;
        case 17: value = vb == vc; break;
        case 21: write = false; next = imm; break;
        default: return 0xFFFFFFFE;
        }
        if (write) regs[a] = value;
        if (Pipe) { bool seq = next == pc + 1; w = seq ? aw : tw; imm = seq ? ai : ti; }
        pc = next;
        if (!Pipe) { w = code[pc * 2]; imm = code[pc * 2 + 1]; }
    }
    return 0xFFFFFFFD;
}

__global__ void k(const uint32_t* code, uint32_t* gregs, uint32_t r2, int mode, uint32_t* out, long long* cycles)
{
    __shared__ uint32_t sregs[128 * 64];
    uint32_t lregs[64];
    if (threadIdx.x != 0) return;
    uint32_t* regs = (mode >> 1) == 0 ? gregs : (mode >> 1) == 1 ? lregs : sregs;
    *out = (mode & 1) ? run<true>(code, regs, r2, cycles, 3) : run<false>(code, regs, r2, cycles, 3);
}

int main()
{
    uint32_t prog[6] = { ADDI, 1, LOOP | (2 << 8), 0, HALT, 0 };
    uint32_t *code, *regs, *out; long long* cyc;
    cudaMalloc(&code, 64); cudaMalloc(&regs, 256); cudaMallocManaged(&out, 4); cudaMallocManaged(&cyc, 8);
    cudaMemcpy(code, prog, 24, cudaMemcpyHostToDevice);
    int clk; cudaDeviceGetAttribute(&clk, cudaDevAttrClockRate, 0);
    const char* where[] = { "global", "local", "shared" };
    for (int mode = 0; mode < 6; mode++) {
        long long c1 = 0, c1000 = 0;
        for (int rep = 0; rep < 3; rep++) {
            k<<<1, 128>>>(code, regs, 1, mode, out, cyc); cudaDeviceSynchronize(); c1 = *cyc;
            k<<<1, 128>>>(code, regs, 1001, mode, out, cyc); cudaDeviceSynchronize(); c1000 = *cyc;
        }
        double per = (double)(c1000 - c1) / 1000.0;
        printf("regs in %-6s, fetch %-9s: r0=%u, %.1f cycles per addi+loop step = %.4f us (%s)\n", where[mode >> 1], (mode & 1) ? "pipelined" : "plain", *out, per, per / (clk / 1000.0), cudaGetErrorString(cudaGetLastError()));
    }
    return 0;
}
