// SPDX-License-Identifier: GPL-2.0
/*
 * touchmem - run inside the nested guest (tests/vmm/guest-init.sh): map
 * MIB MiB of anonymous memory, write a pattern to every 4 KiB of it, read
 * it all back, and report the highest guest-physical address the mapping
 * got (from /proc/self/pagemap). A guest whose pages were mapped wrongly by
 * the hypervisor reads back the wrong pattern.
 *
 *   touchmem MIB TAG  ->  "touchmem TAG: MIB MiB ok maxphys_mib=N"
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define STRIDE 4096UL

int main(int argc, char **argv)
{
	unsigned long mib, len, off, bad = 0, page, maxpfn = 0;
	uint64_t seed, ent;
	const char *tag;
	char *mem;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: touchmem MIB TAG\n");
		return 2;
	}
	mib = strtoul(argv[1], NULL, 0);
	tag = argv[2];
	len = mib << 20;
	seed = (uint64_t)getpid() << 32;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (off = 0; off < len; off += STRIDE)
		*(volatile uint64_t *)(mem + off) = seed ^ off;
	for (off = 0; off < len; off += STRIDE)
		if (*(volatile uint64_t *)(mem + off) != (seed ^ off))
			bad++;

	page = sysconf(_SC_PAGESIZE);
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0) {
		perror("pagemap");
		return 1;
	}
	for (off = 0; off < len; off += page) {
		unsigned long vpn = ((unsigned long)mem + off) / page;

		if (pread(fd, &ent, sizeof(ent), vpn * sizeof(ent)) != sizeof(ent)) {
			perror("pagemap read");
			return 1;
		}
		/* bit 63: present; bits 0-54: the PFN (root only) */
		if ((ent >> 63) && (ent & ((1ULL << 55) - 1)) > maxpfn)
			maxpfn = ent & ((1ULL << 55) - 1);
	}
	close(fd);
	if (bad) {
		printf("touchmem %s: %lu MiB BAD: %lu of %lu words wrong\n", tag, mib, bad,
		       len / STRIDE);
		return 1;
	}
	printf("touchmem %s: %lu MiB ok maxphys_mib=%lu\n", tag, mib, ((maxpfn + 1) * page) >> 20);
	return 0;
}
