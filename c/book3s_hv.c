// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-hv's book3s_hv.c, compiled into kvm_hv_rs.ko.
 *
 * The whole file is built as it is, except kvmppc_vcpu_run_hv() and what
 * only it calls (Rust's, below), and then the functions below give the
 * Rust side linkage, inside this module only, to the steps of kvm-hv it
 * calls: most are static in book3s_hv.c, or inline in headers Rust cannot
 * call (see c/kvm_hv_rs.h for the list). Nothing here is exported.
 *
 * The module's init and exit are Rust's (kvm_hv_rs.rs). They run kvm-hv's
 * checks and set-up through kvmhv_rs_setup() and kvmhv_rs_teardown(), and
 * register the module's own ops table with kvm.ko; kvm-hv's module_init(),
 * module_exit() and module information are therefore not this module's.
 * <book3s_hv.c> is found through the -I of Kbuild (a quoted include would
 * find this file first).
 */
#include <linux/error-injection.h>
#include <linux/module.h>
#include <linux/miscdevice.h>

#undef module_init
#define module_init(fn) static initcall_t __maybe_unused kvmhv_c_init = fn
#undef module_exit
#define module_exit(fn) static exitcall_t __maybe_unused kvmhv_c_exit = fn
#undef MODULE_DESCRIPTION
#define MODULE_DESCRIPTION(d)
#undef MODULE_LICENSE
#define MODULE_LICENSE(l)
#undef MODULE_ALIAS
#define MODULE_ALIAS(a)

/*
 * kvmppc_ops::vcpu_run is Rust's (vcpu.rs), so kvm-hv's is not built. The
 * function-like macro renames kvm-hv's definition of kvmppc_vcpu_run_hv(),
 * whose name is followed by its parameters, and leaves alone kvm_ops_hv's
 * .vcpu_run member, which names the function without calling it: that
 * name is the declaration below (its parentheses keep the macro out),
 * which the Rust function defines. Referenced by nothing (and marked so),
 * kvm-hv's definition is not compiled, nor is what only it calls: the POWER7/8
 * vcore run, kvmppc_run_vcpu() and kvmppc_run_core(), which vcpu/vcore.rs
 * and vcpu/vcore_hv.rs replace. scripts/port_measure.py finds them on
 * book3s_hv.c's call graph and checks that the module's object has no
 * symbol for any of them.
 */
struct kvm_vcpu;
int (kvmppc_vcpu_run_hv)(struct kvm_vcpu *vcpu);
#define kvmppc_vcpu_run_hv(vcpu) __maybe_unused kvmhv_c_vcpu_run_hv_replaced(vcpu)

/*
 * book3s_hv.c defines kvm-hv's trace events (trace_hv.h); with this, also
 * the rust_do_trace_<event>() functions through which trace.rs fires them.
 */
#define CREATE_RUST_TRACE_POINTS

#include <book3s_hv.c>

#include "kvm_hv_rs.h"

/*
 * Each function below is one call out of Rust into a step of kvm-hv: a
 * static function of book3s_hv.c or an inline accessor.
 * None has a body of its own beyond the call and its arguments.
 */

/* kvm-hv's host checks and global set-up, and their undoing. */
int kvmhv_rs_setup(void)
{
	return kvmppc_book3s_hv_setup();
}

void kvmhv_rs_teardown(void)
{
	kvmppc_book3s_hv_teardown();
}

/* kvm-hv's ops table: kvm_hv_rs registers its own, copied from it. */
struct kvmppc_ops *kvmhv_rs_c_ops(void)
{
	return &kvm_ops_hv;
}

/* The VM ioctls kvm_hv_rs leaves to kvm-hv. */
int kvmhv_rs_arch_vm_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	return kvm_arch_vm_ioctl_hv(filp, ioctl, arg);
}

/*
 * A vcpu's registers as kvm-hv's accessors read and write them: with
 * nested v2 they are reloaded from the L0 hypervisor first, and marked
 * dirty for it. kvmhv_rs_vcpu_set_msr() stores the MSR as given, unlike
 * kvmppc_set_msr_hv(): interrupt delivery computes the whole new MSR.
 */
u64 kvmhv_rs_vcpu_get_msr(struct kvm_vcpu *vcpu)
{
	return __kvmppc_get_msr_hv(vcpu);
}

void kvmhv_rs_vcpu_set_msr(struct kvm_vcpu *vcpu, u64 msr)
{
	__kvmppc_set_msr_hv(vcpu, msr);
}

u64 kvmhv_rs_vcpu_get_hfscr(struct kvm_vcpu *vcpu)
{
	return kvmppc_get_hfscr_hv(vcpu);
}

unsigned long kvmhv_rs_vcpu_get_pc(struct kvm_vcpu *vcpu)
{
	return kvmppc_get_pc(vcpu);
}

void kvmhv_rs_vcpu_set_pc(struct kvm_vcpu *vcpu, unsigned long pc)
{
	kvmppc_set_pc(vcpu, pc);
}

void kvmhv_rs_vcpu_set_srr0(struct kvm_vcpu *vcpu, u64 srr0)
{
	kvmppc_set_srr0(vcpu, srr0);
}

void kvmhv_rs_vcpu_set_srr1(struct kvm_vcpu *vcpu, u64 srr1)
{
	kvmppc_set_srr1(vcpu, srr1);
}

void kvmhv_rs_update_vpas(struct kvm_vcpu *vcpu)
{
	kvmppc_update_vpas(vcpu);
}

bool kvmhv_rs_vcpu_check_block(struct kvm_vcpu *vcpu)
{
	return kvmppc_vcpu_check_block(vcpu);
}

void kvmhv_rs_cede(struct kvm_vcpu *vcpu)
{
	kvmppc_cede(vcpu);
}

/*
 * The POWER9 entry's steps, in the order kvmhv_run_single_vcpu() takes
 * them. Rust runs them for a vcpu's own entries; nested guests' entries
 * go through kvmhv_enter_nested_guest() and kvmhv_run_single_vcpu().
 */
int kvmhv_rs_p9_disable_preemption_and_irqs(struct kvm_vcpu *vcpu,
					    unsigned long *flags)
{
	int pcpu = kvmhv_p9_irqs_off(vcpu, flags);

	xfer_to_guest_mode_prepare();
	return pcpu;
}

void kvmhv_rs_p9_claim_cpu(struct kvm_vcpu *vcpu, int pcpu)
{
	kvmhv_p9_claim_cpu(vcpu, pcpu);
}

void kvmhv_rs_p9_update_vpa_dispatch(struct kvm_vcpu *vcpu, u64 tb)
{
	kvmppc_update_vpa_dispatch_p9(vcpu, vcpu->arch.vcore,
				      tb + kvmppc_get_tb_offset(vcpu));
}

int kvmhv_rs_p9_guest_state_enter(struct kvm_vcpu *vcpu)
{
	return kvmhv_guest_state_enter(vcpu->kvm);
}

/*
 * After the entry: records @trap, leaves guest state, ends guest timing,
 * restores @flags and enables preemption.
 */
void kvmhv_rs_p9_leave_guest(struct kvm_vcpu *vcpu, int srcu_idx, int trap,
			     unsigned long flags)
{
	vcpu->arch.trap = trap;
	kvmhv_guest_state_exit(vcpu->kvm, srcu_idx, trap);
	kvmhv_p9_guest_timing_exit(flags);
	preempt_enable();
}

/*
 * The nested API v1 entry's hardware steps (kvmhv_vcpu_entry_p9_nested()),
 * around the register image Rust fills and reads back. First the host's
 * OS SPRs and PSSCR saved and the MSR hard-disabled: false, and no entry,
 * if an interrupt came in; else the vcpu's FP/VMX/TM state and PSSCR
 * loaded ...
 */
bool kvmhv_rs_nestedv1_prepare(struct kvm_vcpu *vcpu,
			       struct p9_host_os_sprs *host,
			       unsigned long *host_psscr)
{
	unsigned long msr = mfmsr();

	BUILD_BUG_ON(sizeof(*host) > KVMHV_RS_HOST_SPRS_WORDS * sizeof(u64));
	save_p9_host_os_sprs(host);
	*host_psscr = mfspr(SPRN_PSSCR_PR);
	kvmppc_msr_hard_disable_set_facilities(vcpu, msr);
	if (lazy_irq_pending())
		return false;
	load_vcpu_state(vcpu, host);
	if (vcpu->arch.psscr != *host_psscr)
		mtspr(SPRN_PSSCR_PR, vcpu->arch.psscr);
	return true;
}

/*
 * The two hcalls that run a vcpu on a pseries host, each in a function of
 * its own that fail_function can make fail (ALLOW_ERROR_INJECTION): the
 * test of what kvm_hv_rs does when the outer hypervisor refuses an entry
 * (tests/guest/entry_refused.c) injects an hcall status, H_PARAMETER, in
 * place of the hcall. Both statuses are in the errno range it allows.
 *
 * They are called through a pointer the compiler cannot see through. On
 * ppc64 ELFv2 fail_function puts its kprobe at the address kallsyms gives,
 * the function's global entry point; a direct call from this file enters
 * at the local entry point, two instructions further, and would never hit
 * it. An indirect call enters at the global one.
 */
static noinline long kvmhv_rs_enter_nested(struct hv_guest_state *hr,
					   struct pt_regs *regs)
{
	return plpar_hcall_norets(H_ENTER_NESTED, __pa(hr), __pa(regs));
}
ALLOW_ERROR_INJECTION(kvmhv_rs_enter_nested, ERRNO);

static noinline long kvmhv_rs_guest_run_vcpu(struct kvm_vcpu *vcpu, int *trap,
					     unsigned long *elem)
{
	return plpar_guest_run_vcpu(0, vcpu->kvm->arch.lpid, vcpu->vcpu_id,
				    trap, elem);
}
ALLOW_ERROR_INJECTION(kvmhv_rs_guest_run_vcpu, ERRNO);

/*
 * ... then the decrementer, DAR, DSISR and the PMU switched to the guest's
 * and H_ENTER_NESTED with @hr and the vcpu's pt_regs (the L0 writes both
 * back); returns its answer, the trap or, negative, its error ...
 */
long kvmhv_rs_nestedv1_run(struct kvm_vcpu *vcpu, struct hv_guest_state *hr,
			   struct p9_host_os_sprs *host, u64 tb)
{
	long (*enter)(struct hv_guest_state *, struct pt_regs *) = kvmhv_rs_enter_nested;
	long trap;

	mtspr(SPRN_DEC, kvmppc_dec_expires_host_tb(vcpu) - tb);
	mtspr(SPRN_DAR, vcpu->arch.shregs.dar);
	mtspr(SPRN_DSISR, vcpu->arch.shregs.dsisr);
	switch_pmu_to_guest(vcpu, host);
	accumulate_time(vcpu, &vcpu->arch.in_guest);
	OPTIMIZER_HIDE_VAR(enter);
	trap = enter(hr, &vcpu->arch.regs);
	accumulate_time(vcpu, &vcpu->arch.guest_exit);
	return trap;
}

/*
 * ... and, once Rust has read the image back, the PMU, the MSR, DAR,
 * DSISR, PSSCR and FP/VMX/TM state taken from the guest, its decrementer
 * read (@tb becomes the exit's timebase), the host's decrementer, OS SPRs
 * and PSSCR back.
 */
void kvmhv_rs_nestedv1_finish(struct kvm_vcpu *vcpu,
			      struct p9_host_os_sprs *host,
			      unsigned long host_psscr, unsigned long lpcr,
			      u64 *tb)
{
	s64 dec;

	switch_pmu_to_host(vcpu, host);
	vcpu->arch.shregs.msr = vcpu->arch.regs.msr;
	vcpu->arch.shregs.dar = mfspr(SPRN_DAR);
	vcpu->arch.shregs.dsisr = mfspr(SPRN_DSISR);
	vcpu->arch.psscr = mfspr(SPRN_PSSCR_PR);

	store_vcpu_state(vcpu);

	dec = mfspr(SPRN_DEC);
	if (!(lpcr & LPCR_LD)) /* Sign extend if not using large decrementer */
		dec = (s32)dec;
	*tb = mftb();
	vcpu->arch.dec_expires = dec + (*tb + kvmppc_get_tb_offset(vcpu));

	timer_rearm_host_dec(*tb);

	restore_p9_host_os_sprs(vcpu, host);
	if (vcpu->arch.psscr != host_psscr)
		mtspr(SPRN_PSSCR_PR, host_psscr);
}

/*
 * kvm_hv_rs's nested check of the v1 image: the image C builds for the
 * same vcpu (kvmhv_save_hv_regs() and kvmhv_vcpu_entry_p9_nested()'s own
 * fields) against Rust's @hr. Returns 0 if the same, else 1 + the first
 * byte offset that differs.
 */
long kvmhv_rs_nestedv1_check_image(struct kvm_vcpu *vcpu,
				   const struct hv_guest_state *hr)
{
	struct hv_guest_state c = {};
	const u8 *a = (const u8 *)&c, *b = (const u8 *)hr;
	size_t i;

	kvmhv_save_hv_regs(vcpu, &c);
	c.lpcr = hr->lpcr;
	c.amor = ~0;
	c.version = HV_GUEST_STATE_VERSION;
	c.lpid = vcpu->kvm->arch.lpid;
	c.vcpu_token = vcpu->vcpu_id;
	c.hdec_expiry = hr->hdec_expiry;
	for (i = 0; i < sizeof(c); i++)
		if (a[i] != b[i])
			return 1 + i;
	return 0;
}

/*
 * ... and of the read-back: kvmhv_restore_hv_return_state() applied to a
 * copy of the vcpu's fields as they were (@before, the doorbell request
 * @doorbell) must give what Rust stored. Returns 0, or 1 + the index of
 * the first field that differs.
 */
long kvmhv_rs_nestedv1_check_return(struct kvm_vcpu *vcpu,
				    const struct hv_guest_state *hr,
				    u8 doorbell)
{
	const struct kvmppc_vcore *vc = vcpu->arch.vcore;
	const u64 want[] = {
		doorbell | hr->dpdes, hr->hfscr, hr->purr, hr->spurr, hr->ic,
		hr->vtb, hr->hdar, (u32)hr->hdsisr, hr->asdr, hr->heir,
		hr->srr0, hr->srr1, hr->sprg[0], hr->sprg[1], hr->sprg[2],
		hr->sprg[3], (u32)hr->pidr, hr->cfar, hr->ppr,
	};
	const u64 got[] = {
		vcpu->arch.doorbell_request, vcpu->arch.hfscr,
		vcpu->arch.purr, vcpu->arch.spurr, vcpu->arch.ic, vc->vtb,
		vcpu->arch.fault_dar, vcpu->arch.fault_dsisr,
		vcpu->arch.fault_gpa, vcpu->arch.emul_inst,
		vcpu->arch.shregs.srr0, vcpu->arch.shregs.srr1,
		vcpu->arch.shregs.sprg0, vcpu->arch.shregs.sprg1,
		vcpu->arch.shregs.sprg2, vcpu->arch.shregs.sprg3,
		vcpu->arch.pid, vcpu->arch.cfar, vcpu->arch.ppr,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(want); i++)
		if (want[i] != got[i])
			return 1 + i;
	return 0;
}

/*
 * The nested-v2 entry's steps around what Rust does (the guest state
 * buffers): kvmhv_vcpu_entry_nestedv2()'s MSR and lazy interrupt check,
 * true if an interrupt came in and the entry must not happen ...
 */
bool kvmhv_rs_nestedv2_hard_disable(struct kvm_vcpu *vcpu)
{
	kvmppc_msr_hard_disable_set_facilities(vcpu, mfmsr());
	return lazy_irq_pending();
}

/*
 * ... H_GUEST_RUN_VCPU with the vcpu's run input buffer filled, timed as
 * C times it; returns the hcall's status, the trap in @trap on success and
 * the element the L0 refused in @elem ...
 */
long kvmhv_rs_nestedv2_run(struct kvm_vcpu *vcpu, int *trap,
			   unsigned long *elem)
{
	long (*run)(struct kvm_vcpu *, int *, unsigned long *) = kvmhv_rs_guest_run_vcpu;
	long rc;

	accumulate_time(vcpu, &vcpu->arch.in_guest);
	OPTIMIZER_HIDE_VAR(run);
	rc = run(vcpu, trap, elem);
	if (rc == H_SUCCESS)
		accumulate_time(vcpu, &vcpu->arch.guest_exit);
	return rc;
}

/*
 * The nested-v2 check's scratch space, one per CPU, made when the module
 * loads with nested_check=1 on a nested-v2 host. The check runs inside the
 * entry's guest-state window, where lockdep takes interrupts for enabled
 * (guest_state_enter_irqoff()): an allocation or free there, even an atomic
 * one, can reach code that asserts they are off (the debug kernel's
 * debugobjects pool refill warned so under fault injection). Nothing is
 * allocated there any more.
 */
struct kvmhv_rs_check_scratch {
	struct kvmppc_gs_parser out, mine;
	size_t capacity;
	u8 buf[];
};

static DEFINE_PER_CPU(struct kvmhv_rs_check_scratch *, kvmhv_rs_check_scratch);

void kvmhv_rs_nested_check_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		kfree(per_cpu(kvmhv_rs_check_scratch, cpu));
		per_cpu(kvmhv_rs_check_scratch, cpu) = NULL;
	}
}

/*
 * Room for a run input holding every guest state ID, rounded up to a power
 * of two as kvmppc_gsb_new() rounds: at least the capacity
 * kvmhv_nestedv2_host_create() gives a vcpu's run input (its message
 * includes them all, less the few it leaves out).
 */
int kvmhv_rs_nested_check_init(void)
{
	struct kvmppc_gs_bitmap all = { 0 };
	size_t capacity = sizeof(struct kvmppc_gs_header);
	u16 iden;
	int cpu;

	kvmppc_gsbm_fill(&all);
	kvmppc_gsbm_for_each(&all, iden)
		capacity += kvmppc_gse_total_size(kvmppc_gsid_size(iden));
	capacity = roundup_pow_of_two(capacity);
	for_each_possible_cpu(cpu) {
		struct kvmhv_rs_check_scratch *s;

		s = kzalloc(struct_size(s, buf, capacity), GFP_KERNEL);
		if (!s) {
			kvmhv_rs_nested_check_exit();
			return -ENOMEM;
		}
		s->capacity = capacity;
		per_cpu(kvmhv_rs_check_scratch, cpu) = s;
	}
	return 0;
}

/*
 * This CPU's scratch space, cleared, with @c a buffer of the vcpu's run
 * input capacity in it; NULL if there is none or it is too small.
 */
static struct kvmhv_rs_check_scratch *
kvmhv_rs_check_scratch_get(struct kvm_vcpu *vcpu, struct kvmppc_gs_buff *c)
{
	struct kvmhv_rs_check_scratch *s = this_cpu_read(kvmhv_rs_check_scratch);
	size_t capacity = vcpu->arch.nestedv2_io.vcpu_run_input->capacity;

	if (!s || capacity > s->capacity)
		return NULL;
	memset(&s->out, 0, sizeof(s->out));
	memset(&s->mine, 0, sizeof(s->mine));
	memset(s->buf, 0, capacity);
	c->hdr = (struct kvmppc_gs_header *)s->buf;
	c->capacity = capacity;
	c->len = sizeof(struct kvmppc_gs_header);
	return s;
}

/*
 * kvm_hv_rs's nested-v2 check (module parameter nested_check): kvm-hv's
 * own C encodes the same vcpu state as Rust just did, and reads the same
 * output, so that the two can be compared at every entry of every test.
 *
 * kvmhv_rs_nestedv2_check_fill() builds what kvmhv_nestedv2_flush_vcpu()
 * would put in the run input for the guest-wide (@wide) or the thread's
 * values (the latter with @time_limit and @lpcr after them, as
 * kvmhv_vcpu_entry_nestedv2()) and compares it with Rust's @buf of @len
 * bytes. Returns 0 if they are the same, 1 + the first offset where they
 * differ, or a negative errno (-ENOSPC: no scratch space). Interrupts
 * are off; the scratch space is this CPU's.
 */
long kvmhv_rs_nestedv2_check_fill(struct kvm_vcpu *vcpu, bool wide,
				  u64 time_limit, unsigned long lpcr,
				  const u8 *buf, size_t len)
{
	struct kvmhv_nestedv2_io *io = &vcpu->arch.nestedv2_io;
	struct kvmppc_gs_buff c = { 0 };
	const u8 *cbuf;
	long ret;
	size_t i;

	if (!kvmhv_rs_check_scratch_get(vcpu, &c))
		return -ENOSPC;
	ret = kvmppc_gsm_fill_info(wide ? io->vcore_message : io->vcpu_message,
				   &c);
	if (!ret && !wide)
		ret = kvmppc_gse_put_u64(&c, KVMPPC_GSID_HDEC_EXPIRY_TB,
					 time_limit);
	if (!ret && !wide)
		ret = kvmppc_gse_put_u64(&c, KVMPPC_GSID_LPCR, lpcr);
	if (ret)
		return ret;
	cbuf = (const u8 *)c.hdr;
	for (i = 0; i < min(len, c.len); i++)
		if (buf[i] != cbuf[i])
			break;
	if (i < len || i < c.len)
		ret = 1 + i;
	return ret;
}

/*
 * ... and after Rust has read the run output into the vcpu: each element
 * the output holds is compared with the vcpu's value as C's fill encodes
 * it (the bits the L1 may not set masked out of both), and the interrupt
 * registers, which C's fill never sends, with the fields C's refresh sets.
 * Returns the ID of the first element that differs, 0 if none, or a
 * negative errno.
 */
long kvmhv_rs_nestedv2_check_output(struct kvm_vcpu *vcpu)
{
	struct kvmhv_nestedv2_io *io = &vcpu->arch.nestedv2_io;
	struct kvmhv_rs_check_scratch *s;
	struct kvmppc_gs_buff c = { 0 };
	struct kvmppc_gs_parser *out, *mine;
	struct kvmppc_gs_msg msg;
	struct kvmppc_gs_elem *e, *m;
	long ret;
	u16 iden;

	s = kvmhv_rs_check_scratch_get(vcpu, &c);
	if (!s)
		return -ENOSPC;
	out = &s->out;
	mine = &s->mine;
	ret = kvmppc_gse_parse(out, io->vcpu_run_output);
	if (ret)
		return ret;
	for (int wide = 0; wide < 2 && !ret; wide++) {
		kvmppc_gsm_init(&msg, io->vcpu_message->ops, vcpu,
				wide ? KVMPPC_GS_FLAGS_WIDE : 0);
		kvmppc_gsp_for_each(out, iden, e)
			kvmppc_gsm_include(&msg, iden);
		ret = kvmppc_gsm_fill_info(&msg, &c);
	}
	if (ret)
		return ret;
	ret = kvmppc_gse_parse(mine, &c);
	if (ret)
		return ret;
	kvmppc_gsp_for_each(out, iden, e) {
		u64 want, got;

		switch (iden) {
		case KVMPPC_GSID_HDAR:
			ret = vcpu->arch.fault_dar != kvmppc_gse_get_u64(e);
			break;
		case KVMPPC_GSID_ASDR:
			ret = vcpu->arch.fault_gpa != kvmppc_gse_get_u64(e);
			break;
		case KVMPPC_GSID_HDSISR:
			ret = vcpu->arch.fault_dsisr != kvmppc_gse_get_u32(e);
			break;
		case KVMPPC_GSID_HEIR:
			ret = vcpu->arch.emul_inst != kvmppc_gse_get_u32(e);
			break;
		case KVMPPC_GSID_AMOR:
			break;
		default:
			m = kvmppc_gsp_lookup(mine, iden);
			if (!m)
				break;
			if (kvmppc_gse_len(e) != sizeof(u64)) {
				ret = memcmp(kvmppc_gse_data(e),
					     kvmppc_gse_data(m),
					     kvmppc_gse_len(e)) != 0;
				break;
			}
			want = kvmppc_gse_get_u64(e) & kvmppc_gsid_mask(iden);
			got = kvmppc_gse_get_u64(m);
			ret = want != got;
		}
		if (ret) {
			ret = iden;
			break;
		}
	}
	return ret;
}

/* The compatibility mode a vcpu whose userspace chose none is sent with. */
u32 kvmhv_rs_nestedv2_default_compat(void)
{
	if (cpu_has_feature(CPU_FTR_P11_PVR))
		return PVR_ARCH_31_P11;
	if (cpu_has_feature(CPU_FTR_ARCH_31))
		return PVR_ARCH_31;
	if (cpu_has_feature(CPU_FTR_ARCH_300))
		return PVR_ARCH_300;
	return 0;
}

/* ... and after the output is read: the host decrementer, L2 counters. */
void kvmhv_rs_nestedv2_after_exit(struct kvm_vcpu *vcpu, u64 tb)
{
	timer_rearm_host_dec(tb);
	if (kvmhv_get_l2_counters_status())
		do_trace_nested_cs_time(vcpu);
}

int kvmhv_rs_p9_vcpu_entry(struct kvm_vcpu *vcpu, u64 time_limit,
			   unsigned long lpcr, u64 *tb)
{
	return kvmhv_p9_enter_guest(vcpu, time_limit, lpcr, tb);
}

int kvmhv_rs_p9_handle_exit(struct kvm_vcpu *vcpu)
{
	return kvmppc_handle_exit_hv(vcpu, current);
}

/*
 * The POWER7/8 vcore run's steps, for Rust's kvmppc_run_vcpu(), which runs
 * a vcore whole-core (no split) on its own CPU. The caller holds the
 * vcore's lock where kvmppc_run_vcpu() and kvmppc_run_core() hold it
 * around the same steps.
 */
u64 kvmhv_rs_p8_vcore_stolen_time(struct kvmppc_vcore *vc)
{
	return vcore_stolen_time(vc, mftb());
}

void kvmhv_rs_p8_remove_runnable(struct kvmppc_vcore *vc, struct kvm_vcpu *vcpu)
{
	kvmppc_remove_runnable(vc, vcpu, mftb());
}

void kvmhv_rs_p8_vcore_preempt(struct kvmppc_vcore *vc)
{
	kvmppc_vcore_preempt(vc);
}

void kvmhv_rs_p8_vcore_end_preempt(struct kvmppc_vcore *vc)
{
	kvmppc_vcore_end_preempt(vc);
}

bool kvmhv_rs_p8_vcpu_woken(struct kvm_vcpu *vcpu)
{
	return kvmppc_vcpu_woken(vcpu);
}

bool kvmhv_rs_p8_on_primary_thread(void)
{
	return on_primary_thread();
}

bool kvmhv_rs_p8_disable_irqs(void)
{
	return kvmppc_core_irqs_off();
}

/*
 * Preemption off until kvmhv_rs_p8_core_end(), the core out of the host
 * for real-mode XICS, and @vc put on this CPU with the first @n threads of
 * the core ready to enter unsplit, and RWMR set.
 */
void kvmhv_rs_p8_prepare_core(struct kvmppc_vcore *vc, int n)
{
	int pcpu;

	preempt_disable();
	pcpu = smp_processor_id();
	kvmppc_clear_host_core(pcpu);
	vc->pcpu = pcpu;
	kvmppc_set_split_mode(pcpu, n, NULL);
	kvmppc_set_rwmr(vc, 1);
}

void kvmhv_rs_p8_start_thread(struct kvm_vcpu *vcpu, struct kvmppc_vcore *vc)
{
	kvmppc_start_thread(vcpu, vc);
}

void kvmhv_rs_p8_update_vpa_dispatch(struct kvm_vcpu *vcpu,
				     struct kvmppc_vcore *vc)
{
	kvmppc_update_vpa_dispatch(vcpu, vc);
}

/* The entry on this thread, the vcore's threads started; returns the trap. */
int kvmhv_rs_p8_vcore_entry(struct kvmppc_vcore *vc)
{
	int srcu_idx, trap;

	srcu_idx = kvmhv_guest_state_enter(vc->kvm);
	trap = __kvmppc_vcore_entry();
	kvmhv_guest_state_exit(vc->kvm, srcu_idx, trap);

	return trap;
}

/*
 * Back from the guest with interrupts off, as kvmppc_run_core() is after
 * the exit: the task's user SPRs back, the first @n_threads threads napping,
 * the core the host's, guest timing ended and interrupts on.
 */
void kvmhv_rs_p8_exit_core(int n_threads)
{
	kvmppc_restore_host_user_sprs();
	kvmppc_wait_for_nap(n_threads);
	kvmppc_set_host_core(smp_processor_id());
	kvmppc_guest_timing_exit();
}

/*
 * The vcore's threads are back: drops @vc's lock, orders their vcpus'
 * state before their exits are handled, and ends kvmhv_rs_p8_prepare_core()'s
 * preemption-off section.
 */
void kvmhv_rs_p8_core_end(struct kvmppc_vcore *vc)
{
	spin_unlock(&vc->lock);
	smp_mb();
	preempt_enable();
}

int kvmhv_rs_p8_handle_exit(struct kvm_vcpu *vcpu)
{
	return kvmppc_handle_exit_hv(vcpu, vcpu->arch.run_task);
}
