// Floor of a VIR0-style interpreter on one GPU thread: same encoding (op | a<<8 | b<<16 | c<<24, imm),
// registers in lane-local memory or in global memory, program in global memory.
#include <cstdio>
#include <cstdint>
#include <cuda_runtime.h>

enum { HALT = 0, ADDI = 16, LOOP = 24, CALL = 25 };

struct Ctx { uint32_t* regs; int first; int count; uint32_t fault; uint64_t pad[20]; };

__device__ __noinline__ uint32_t handler(Ctx& c) { c.regs[c.first] += 1; return 0; }

template <bool Local>
__device__ uint32_t run(const uint32_t* __restrict__ code, uint32_t* gregs, uint32_t r2, uint32_t fuel, long long* cycles)
{
    uint32_t lregs[64];
    uint32_t* regs = Local ? lregs : gregs;
    for (int i = 0; i < 64; i++) regs[i] = 0;
    regs[2] = r2;
    uint32_t pc = 0;
    long long t0 = clock64();
    Ctx ctx; ctx.regs = regs; ctx.fault = 0;
    for (uint32_t used = 0; used < fuel; used++) {
        uint32_t w = code[pc * 2], imm = code[pc * 2 + 1];
        uint32_t op = w & 0xFF, a = (w >> 8) & 0xFF, b = (w >> 16) & 0xFF, c = w >> 24;
        if (a >= 64 || b >= 64 || c >= 64) return 0xFFFFFFFF;
        uint32_t vb = regs[b];
        uint32_t next = pc + 1;
        switch (op) {
        case HALT: *cycles = clock64() - t0; return regs[0];
        case ADDI: regs[a] = vb + imm; break;
        case LOOP: { uint32_t v = regs[a] - 1; regs[a] = v; if (v) next = imm; break; }
        case CALL: ctx.first = a; ctx.count = b; handler(ctx); break;
        default: return 0xFFFFFFFE;
        }
        pc = next;
    }
    return 0xFFFFFFFD;
}

template <bool Local>
__device__ uint32_t runPipelined(const uint32_t* __restrict__ code, uint32_t* gregs, uint32_t r2, uint32_t fuel, long long* cycles, uint32_t count)
{
    uint32_t lregs[64];
    uint32_t* regs = Local ? lregs : gregs;
    for (int i = 0; i < 64; i++) regs[i] = 0;
    regs[2] = r2;
    uint32_t pc = 0;
    long long t0 = clock64();
    Ctx ctx; ctx.regs = regs; ctx.fault = 0;
    uint32_t w = code[0], imm = code[1];
    for (uint32_t used = 0; used < fuel; used++) {
        uint32_t ahead = pc + 1 < count ? pc + 1 : pc, target = imm < count ? imm : pc;
        uint32_t aw = code[ahead * 2], ai = code[ahead * 2 + 1], tw = code[target * 2], ti = code[target * 2 + 1];
        uint32_t op = w & 0xFF, a = (w >> 8) & 0xFF, b = (w >> 16) & 0xFF, c = w >> 24;
        if (a >= 64 || b >= 64 || c >= 64) return 0xFFFFFFFF;
        uint32_t vb = regs[b];
        uint32_t next = pc + 1;
        switch (op) {
        case HALT: *cycles = clock64() - t0; return regs[0];
        case ADDI: regs[a] = vb + imm; break;
        case LOOP: { uint32_t v = regs[a] - 1; regs[a] = v; if (v) next = imm; break; }
        case CALL: ctx.first = a; ctx.count = b; handler(ctx); break;
        default: return 0xFFFFFFFE;
        }
        bool seq = next == pc + 1;
        w = seq ? aw : tw; imm = seq ? ai : ti;
        pc = next;
    }
    return 0xFFFFFFFD;
}

__global__ void k(const uint32_t* code, uint32_t* gregs, uint32_t r2, int local, uint32_t* out, long long* cycles)
{
    if (local >= 2) *out = local == 3 ? runPipelined<true>(code, gregs, r2, 1u << 30, cycles, 3) : runPipelined<false>(code, gregs, r2, 1u << 30, cycles, 3);
    else *out = local ? run<true>(code, gregs, r2, 1u << 30, cycles) : run<false>(code, gregs, r2, 1u << 30, cycles);
}

int main()
{
    // program A: addi r0,r0,1 ; loop r2,0 ; halt      program B: call 7, r0, 1 ; loop r2, 0 ; halt
    uint32_t progA[6] = { ADDI | (0 << 8) | (0 << 16), 1, LOOP | (2 << 8), 0, HALT, 0 };
    uint32_t progB[6] = { CALL | (0 << 8) | (1 << 16), 7, LOOP | (2 << 8), 0, HALT, 0 };
    uint32_t *code, *gregs, *out; long long* cyc;
    cudaMalloc(&code, 64); cudaMalloc(&gregs, 256); cudaMallocManaged(&out, 4); cudaMallocManaged(&cyc, 8);
    int clk; cudaDeviceGetAttribute(&clk, cudaDevAttrClockRate, 0);
    for (int prog = 0; prog < 2; prog++) {
        cudaMemcpy(code, prog ? progB : progA, 24, cudaMemcpyHostToDevice);
        for (int local = 0; local < 4; local++) {
            long long c1 = 0, c1000 = 0;
            for (int rep = 0; rep < 5; rep++) {
                k<<<1, 1>>>(code, gregs, 1, local, out, cyc); cudaDeviceSynchronize(); c1 = *cyc;
                k<<<1, 1>>>(code, gregs, 1001, local, out, cyc); cudaDeviceSynchronize(); c1000 = *cyc;
            }
            double perStep = (double)(c1000 - c1) / 1000.0;
            printf("%s regs=%s: r0=%u, %.1f cycles per step = %.4f us at %d MHz (err %s)\n", prog ? "call+loop" : "addi+loop",
                   (local & 1) ? (local & 2 ? "local, pipelined" : "local ") : (local & 2 ? "global, pipelined" : "global"), *out, perStep, perStep / (clk / 1000.0), clk / 1000, cudaGetErrorString(cudaGetLastError()));
        }
    }
    return 0;
}
