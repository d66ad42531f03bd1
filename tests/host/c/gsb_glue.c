// SPDX-License-Identifier: GPL-2.0
/*
 * The host tests' calls into kvm-hv's guest state buffer code
 * (arch/powerpc/kvm/guest-state-buffer.c, built by tests/host/build.rs):
 * each encodes or parses a buffer in memory the Rust test owns.
 */
#include <asm/guest-state-buffer.h>

/* A buffer of @capacity bytes at @mem, emptied, as kvmppc_gsb_new() makes. */
static void gsbt_init(struct kvmppc_gs_buff *gsb, void *mem, size_t capacity)
{
	memset(gsb, 0, sizeof(*gsb));
	gsb->hdr = mem;
	gsb->capacity = capacity;
	kvmppc_gsb_reset(gsb);
}

/*
 * Puts the elements (@idens[i], @lens[i] bytes of @data, one after the
 * other) into an empty buffer at @mem; stops at the first failure. Returns
 * 0 or the failure's errno (negative), and the buffer's length in *@len.
 */
int gsbt_put(void *mem, size_t capacity, const u16 *idens, const u16 *lens,
	     const u8 *data, size_t n, size_t *len)
{
	struct kvmppc_gs_buff gsb;
	size_t i;
	int rc = 0;

	gsbt_init(&gsb, mem, capacity);
	for (i = 0; i < n; i++) {
		rc = __kvmppc_gse_put(&gsb, idens[i], lens[i], data);
		if (rc)
			break;
		data += lens[i];
	}
	*len = kvmppc_gsb_len(&gsb);
	return rc;
}

/*
 * Parses the buffer at @mem (@capacity bytes). Returns 0 or the errno
 * (negative); for each ID the parser has an element for, in the parser's
 * order (its map's), its ID in @idens and its data's offset from @mem in
 * @offsets; their number in *@n. The IDs are looked up one by one rather
 * than walked with kvmppc_gsp_for_each(), which ends at an ID of 0: it
 * would stop at a BLANK element before any other.
 */
int gsbt_parse(void *mem, size_t capacity, u16 *idens, size_t *offsets,
	       size_t *n)
{
	static const u16 ranges[][2] = {
		{ KVMPPC_GSE_GUESTWIDE_START, KVMPPC_GSE_GUESTWIDE_END },
		{ KVMPPC_GSE_HOSTWIDE_START, KVMPPC_GSE_HOSTWIDE_END },
		{ KVMPPC_GSE_META_START, KVMPPC_GSE_META_END },
		{ KVMPPC_GSE_DW_REGS_START, KVMPPC_GSE_DW_REGS_END },
		{ KVMPPC_GSE_W_REGS_START, KVMPPC_GSE_W_REGS_END },
		{ KVMPPC_GSE_VSRS_START, KVMPPC_GSE_VSRS_END },
		{ KVMPPC_GSE_INTR_REGS_START, KVMPPC_GSE_INTR_REGS_END },
	};
	struct kvmppc_gs_buff gsb;
	struct kvmppc_gs_parser gsp;
	struct kvmppc_gs_elem *gse;
	unsigned int r, iden;
	int rc;

	memset(&gsb, 0, sizeof(gsb));
	gsb.hdr = mem;
	gsb.capacity = capacity;
	memset(&gsp, 0, sizeof(gsp));
	*n = 0;
	rc = kvmppc_gse_parse(&gsp, &gsb);
	if (rc)
		return rc;
	for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		for (iden = ranges[r][0]; iden <= ranges[r][1]; iden++) {
			gse = kvmppc_gsp_lookup(&gsp, iden);
			if (!gse)
				continue;
			idens[*n] = iden;
			offsets[*n] = (u8 *)kvmppc_gse_data(gse) - (u8 *)mem;
			(*n)++;
		}
	}
	return 0;
}

u16 gsbt_size(u16 iden)
{
	return kvmppc_gsid_size(iden);
}

unsigned long gsbt_flags(u16 iden)
{
	return kvmppc_gsid_flags(iden);
}

u64 gsbt_mask(u16 iden)
{
	return kvmppc_gsid_mask(iden);
}

size_t gsbt_id_count(void)
{
	return KVMPPC_GSE_IDEN_COUNT;
}
