/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel definitions arch/powerpc/kvm/guest-state-buffer.c and
 * asm/guest-state-buffer.h use, for building them on the host
 * (tests/host/build.rs): the host tests compare kvm_hv_rs's guest state
 * buffer code with kvm-hv's own. Little-endian host; allocation is libc's.
 */
#ifndef KVM_HV_RS_SHIM_H
#define KVM_HV_RS_SHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef uint16_t __be16;
typedef uint32_t __be32;
typedef uint64_t __be64;
typedef unsigned int gfp_t;

typedef struct {
	u32 u[4];
} __attribute__((aligned(16))) __vector128;
typedef __vector128 vector128;

/* asm/processor.h on a little-endian kernel with VSX, as the test kernel. */
#define CONFIG_VSX 1
#define TS_FPROFFSET 1
#define TS_VSRLOWOFFSET 0

#define WARN_ON(x) (!!(x))

#define GFP_KERNEL 0u
#define __packed __attribute__((packed))
#define fallthrough __attribute__((__fallthrough__))
#define EXPORT_SYMBOL_GPL(sym)

#define cpu_to_be16(x) __builtin_bswap16(x)
#define cpu_to_be32(x) __builtin_bswap32(x)
#define cpu_to_be64(x) __builtin_bswap64(x)
#define be16_to_cpu(x) __builtin_bswap16(x)
#define be32_to_cpu(x) __builtin_bswap32(x)
#define be64_to_cpu(x) __builtin_bswap64(x)

#define kzalloc(size, flags) calloc(1, (size))
#define kzalloc_obj(obj, flags) calloc(1, sizeof(obj))
#define kfree(p) free(p)
#define __pa(x) ((u64)(uintptr_t)(x))

static inline size_t roundup_pow_of_two(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]

static inline void set_bit(long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}

static inline void clear_bit(long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] &= ~(1UL << (nr % BITS_PER_LONG));
}

static inline bool test_bit(long nr, const unsigned long *addr)
{
	return addr[nr / BITS_PER_LONG] & (1UL << (nr % BITS_PER_LONG));
}

static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size,
					  unsigned long offset)
{
	for (; offset < size; offset++)
		if (test_bit(offset, addr))
			return offset;
	return size;
}

static inline void bitmap_zero(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

static inline void bitmap_fill(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0xff, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

/* asm/reg.h */
#define LPCR_DPFD (7UL << 52)
#define LPCR_ILE 0x0000000002000000UL
#define LPCR_AIL 0x0000000001800000UL
#define LPCR_LD 0x0000000000020000UL
#define LPCR_MER 0x0000000000000800UL
#define LPCR_GTSE 0x0000000000000400UL
#define MSR_HV (1UL << 60)
#define MSR_S (1UL << 22)
#define MSR_ME (1UL << 12)

/* asm/hvcall.h */
#define H_SUCCESS 0
#define H_GUEST_FLAGS_WIDE (1UL << (63 - 0))
#define H_GUEST_FLAGS_HOST_WIDE (1UL << (63 - 1))

/* asm/plpar_wrappers.h: no hypervisor here. */
static inline long kvm_hv_rs_no_hcall(unsigned long flags,
				      unsigned long guest_id,
				      unsigned long vcpu_id,
				      unsigned long data_buffer,
				      unsigned long data_size,
				      unsigned long *failed_index)
{
	return -1;
}

#define plpar_guest_set_state kvm_hv_rs_no_hcall
#define plpar_guest_get_state kvm_hv_rs_no_hcall

#endif
