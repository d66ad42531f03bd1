// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-hv's book3s_hv.c, compiled into kvm_hv_rs.ko.
 *
 * The whole file is built as it is, and then the functions below give the
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

#include <book3s_hv.c>

#include "kvm_hv_rs.h"

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

/*
 * kvm_hv_rs implements kvmppc_vcpu_run_hv() in Rust. These give it what
 * book3s_hv.h and trace_hv.h keep private to kvm-hv: the vcpu's MSR and
 * HFSCR as the accessors read them (with nested v2 they are reloaded from
 * the L0 hypervisor first), and the hcall tracepoints.
 */
u64 kvmhv_vcpu_get_msr(struct kvm_vcpu *vcpu)
{
	return __kvmppc_get_msr_hv(vcpu);
}

u64 kvmhv_vcpu_get_hfscr(struct kvm_vcpu *vcpu)
{
	return kvmppc_get_hfscr_hv(vcpu);
}

void kvmhv_trace_hcall_enter(struct kvm_vcpu *vcpu)
{
	trace_kvm_hcall_enter(vcpu);
}

void kvmhv_trace_hcall_exit(struct kvm_vcpu *vcpu, int ret)
{
	trace_kvm_hcall_exit(vcpu, ret);
}

/*
 * kvm_hv_rs delivers interrupts to the guest in Rust. It writes the
 * registers that delivery changes through these, which keep nested v2's
 * record of dirty registers up to date as the C accessors do, and which
 * unlike kvmppc_set_msr_hv() store the MSR as given.
 */
void kvmhv_vcpu_set_msr(struct kvm_vcpu *vcpu, u64 msr)
{
	__kvmppc_set_msr_hv(vcpu, msr);
}

unsigned long kvmhv_vcpu_get_pc(struct kvm_vcpu *vcpu)
{
	return kvmppc_get_pc(vcpu);
}

void kvmhv_vcpu_set_pc(struct kvm_vcpu *vcpu, unsigned long pc)
{
	kvmppc_set_pc(vcpu, pc);
}

void kvmhv_vcpu_set_srr0(struct kvm_vcpu *vcpu, u64 srr0)
{
	kvmppc_set_srr0(vcpu, srr0);
}

void kvmhv_vcpu_set_srr1(struct kvm_vcpu *vcpu, u64 srr1)
{
	kvmppc_set_srr1(vcpu, srr1);
}

/*
 * kvm_hv_rs runs a vcpu's own guest entries on POWER9 and later in Rust,
 * in the order of kvmhv_run_single_vcpu(), which it reaches through these.
 * kvmhv_p9_disable_preemption_and_irqs() is the entry's start, up to
 * interrupts off; kvmhv_p9_guest_state_enter() and kvmhv_p9_leave_guest()
 * are the context-tracking bracket around the guest entry, from
 * guest_timing_enter_irqoff() to the replay of the interrupt that ended
 * the guest's run, and kvmhv_p9_leave_guest() ends the entry, with
 * interrupts and preemption back on. Each is one call out of kvm_hv_rs
 * for a run of inline C that has no Rust API. Nested guests' entries
 * do not come here: kvmhv_enter_nested_guest() calls
 * kvmhv_run_single_vcpu().
 */
void kvmhv_update_vpas(struct kvm_vcpu *vcpu)
{
	kvmppc_update_vpas(vcpu);
}

/*
 * Preemption off, a radix vcpu's TLB state ready for this CPU, interrupts
 * hard-disabled with the PMU's (*flags, for kvmhv_p9_leave_guest() or
 * powerpc_local_irq_pmu_restore()) and the guest-mode work check
 * prepared. Returns this CPU.
 */
int kvmhv_p9_disable_preemption_and_irqs(struct kvm_vcpu *vcpu,
					 unsigned long *flags)
{
	unsigned long irq_flags;
	int pcpu;

	preempt_disable();
	pcpu = smp_processor_id();
	if (kvm_is_radix(vcpu->kvm))
		kvmppc_prepare_radix_vcpu(vcpu, pcpu);
	powerpc_local_irq_pmu_save(irq_flags);
	xfer_to_guest_mode_prepare();
	*flags = irq_flags;
	return pcpu;
}

/* The PACA's kvm_hstate fields of the entry; the caller has set vcpu->cpu. */
void kvmhv_p9_claim_paca(struct kvm_vcpu *vcpu)
{
	local_paca->kvm_hstate.kvm_vcpu = vcpu;
	local_paca->kvm_hstate.ptid = 0;
	local_paca->kvm_hstate.fake_suspend = 0;
	/*
	 * Order vcpu->cpu before the caller's check for pending interrupts;
	 * pairs with kvmppc_fast_vcpu_kick_hv() reading it after queueing one.
	 */
	smp_mb();
}

void kvmhv_p9_update_vpa_dispatch(struct kvm_vcpu *vcpu, u64 tb)
{
	kvmppc_update_vpa_dispatch_p9(vcpu, vcpu->arch.vcore,
				      tb + kvmppc_get_tb_offset(vcpu));
}

int kvmhv_p9_guest_state_enter(struct kvm_vcpu *vcpu)
{
	int srcu_idx;

	guest_timing_enter_irqoff();

	srcu_idx = srcu_read_lock(&vcpu->kvm->srcu);

	guest_state_enter_irqoff();
	this_cpu_disable_ftrace();

	return srcu_idx;
}

/*
 * Records @trap, leaves guest state and the SRCU read side
 * kvmhv_p9_guest_state_enter() took, replays the host interrupt that ended
 * the guest's run, accounts the guest's time, then restores interrupts
 * from @flags and enables preemption.
 */
void kvmhv_p9_leave_guest(struct kvm_vcpu *vcpu, int srcu_idx, int trap,
			  unsigned long flags)
{
	vcpu->arch.trap = trap;

	this_cpu_enable_ftrace();
	guest_state_exit_irqoff();

	srcu_read_unlock(&vcpu->kvm->srcu, srcu_idx);

	set_irq_happened(trap);

	if (!vtime_accounting_enabled_this_cpu()) {
		/*
		 * Service the interrupts that came while the guest ran now,
		 * so the ticks they account go to the guest.
		 */
		powerpc_local_irq_pmu_restore(flags);
		powerpc_local_irq_pmu_save(flags);
	}
	guest_timing_exit_irqoff();

	powerpc_local_irq_pmu_restore(flags);

	preempt_enable();
}

/* kvm_hv_rs enters a guest on bare metal itself; as a nested HV, here. */
int kvmhv_p9_guest_entry_pseries(struct kvm_vcpu *vcpu, u64 time_limit,
				 unsigned long lpcr, u64 *tb)
{
	return kvmhv_p9_guest_entry(vcpu, time_limit, lpcr, tb);
}

/* kvmhv_vcpu_entry_p9() with this CPU's cpu_in_guest set around it. */
int kvmhv_p9_vcpu_entry(struct kvm_vcpu *vcpu, u64 time_limit,
			unsigned long lpcr, u64 *tb)
{
	int trap;

	__this_cpu_write(cpu_in_guest, vcpu->kvm);
	trap = kvmhv_vcpu_entry_p9(vcpu, time_limit, lpcr, tb);
	__this_cpu_write(cpu_in_guest, NULL);

	return trap;
}

void kvmhv_cede(struct kvm_vcpu *vcpu)
{
	kvmppc_cede(vcpu);
}

int kvmhv_p9_handle_exit(struct kvm_vcpu *vcpu)
{
	return kvmppc_handle_exit_hv(vcpu, current);
}

bool kvmhv_vcpu_check_block(struct kvm_vcpu *vcpu)
{
	return kvmppc_vcpu_check_block(vcpu);
}

void kvmhv_trace_run_vcpu(struct kvm_vcpu *vcpu, bool exit)
{
	if (exit)
		trace_kvmppc_run_vcpu_exit(vcpu);
	else
		trace_kvmppc_run_vcpu_enter(vcpu);
}

void kvmhv_trace_guest(struct kvm_vcpu *vcpu, bool exit)
{
	if (exit)
		trace_kvm_guest_exit(vcpu);
	else
		trace_kvm_guest_enter(vcpu);
}

void kvmhv_trace_vcore_blocked(struct kvm_vcpu *vcpu, int where)
{
	trace_kvmppc_vcore_blocked(vcpu, where);
}

/*
 * The POWER8 vcore run's steps, for kvm_hv_rs's kvmppc_run_vcpu(). The
 * caller holds the vcore's lock where kvmppc_run_vcpu() and
 * kvmppc_run_core() hold it around the same steps.
 */
u64 kvmhv_p8_vcore_stolen_time(struct kvmppc_vcore *vc)
{
	return vcore_stolen_time(vc, mftb());
}

void kvmhv_p8_remove_runnable(struct kvmppc_vcore *vc, struct kvm_vcpu *vcpu)
{
	kvmppc_remove_runnable(vc, vcpu, mftb());
}

void kvmhv_p8_vcore_preempt(struct kvmppc_vcore *vc)
{
	kvmppc_vcore_preempt(vc);
}

void kvmhv_p8_vcore_end_preempt(struct kvmppc_vcore *vc)
{
	kvmppc_vcore_end_preempt(vc);
}

bool kvmhv_p8_vcpu_woken(struct kvm_vcpu *vcpu)
{
	return kvmppc_vcpu_woken(vcpu);
}

bool kvmhv_p8_on_primary_thread(void)
{
	return on_primary_thread();
}

/*
 * Hard-disables interrupts and prepares the guest-mode work check; returns
 * true when the entry must give up for a soft-masked interrupt or pending
 * work, as kvmppc_run_core() checks before entering. Interrupts stay off
 * either way.
 */
bool kvmhv_p8_disable_irqs(void)
{
	local_irq_disable();
	hard_irq_disable();
	xfer_to_guest_mode_prepare();
	return lazy_irq_pending() || xfer_to_guest_mode_work_pending();
}

/*
 * Preemption off until kvmhv_p8_core_end(), the core out of the host for
 * real-mode XICS, and @vc put on this CPU, whole-core (no split), with the
 * first @n threads of the core ready to enter and RWMR set, as
 * kvmppc_run_core() does before starting the threads.
 */
void kvmhv_p8_prepare_core(struct kvmppc_vcore *vc, int n)
{
	int pcpu = smp_processor_id();
	unsigned long rwmr_val = RWMR_RPA_P8_8THREAD;
	int n_online = atomic_read(&vc->online_count);
	int thr;

	preempt_disable();
	kvmppc_clear_host_core(pcpu);
	vc->pcpu = pcpu;
	for (thr = 0; thr < n; ++thr) {
		struct paca_struct *paca = paca_ptrs[pcpu + thr];

		paca->kvm_hstate.napping = 0;
		paca->kvm_hstate.kvm_split_mode = NULL;
	}
	if (threads_per_subcore == MAX_SMT_THREADS && n_online >= 1 &&
	    n_online <= MAX_SMT_THREADS)
		rwmr_val = p8_rwmr_values[n_online];
	mtspr(SPRN_RWMR, rwmr_val);
}

void kvmhv_p8_start_thread(struct kvm_vcpu *vcpu, struct kvmppc_vcore *vc)
{
	kvmppc_start_thread(vcpu, vc);
}

void kvmhv_p8_update_vpa_dispatch(struct kvm_vcpu *vcpu,
				  struct kvmppc_vcore *vc)
{
	kvmppc_update_vpa_dispatch(vcpu, vc);
}

/*
 * Enter the guest on this thread, the vcore's threads started: the part of
 * kvmppc_run_core() from guest timing to the replay of the interrupt that
 * ended the run. Returns the trap.
 */
int kvmhv_p8_vcore_entry(struct kvmppc_vcore *vc)
{
	int srcu_idx, trap;

	guest_timing_enter_irqoff();
	srcu_idx = srcu_read_lock(&vc->kvm->srcu);
	guest_state_enter_irqoff();
	this_cpu_disable_ftrace();

	trap = __kvmppc_vcore_entry();

	this_cpu_enable_ftrace();
	guest_state_exit_irqoff();
	srcu_read_unlock(&vc->kvm->srcu, srcu_idx);
	set_irq_happened(trap);
	return trap;
}

/*
 * Back from the guest with interrupts off, as kvmppc_run_core() is after
 * the exit: puts the task's user SPRs back, waits for the first @n_threads
 * threads to nap, marks the core the host's, accounts the run's time to
 * the guest and enables interrupts.
 */
void kvmhv_p8_exit_core(int n_threads)
{
	kvmppc_restore_host_user_sprs();
	kvmppc_wait_for_nap(n_threads);
	kvmppc_set_host_core(smp_processor_id());

	if (!vtime_accounting_enabled_this_cpu()) {
		/*
		 * Service the interrupts that came while the guest ran now,
		 * so the ticks they account go to the guest.
		 */
		local_irq_enable();
		local_irq_disable();
	}
	guest_timing_exit_irqoff();

	local_irq_enable();
}

/*
 * The vcore's threads are back: drops @vc's lock, makes their vcpus' state
 * visible before their exits are handled and enables preemption again (see
 * kvmhv_p8_prepare_core()), as kvmppc_run_core() does.
 */
void kvmhv_p8_core_end(struct kvmppc_vcore *vc)
{
	spin_unlock(&vc->lock);
	/* Order the other threads' vcpu state before the exit handling. */
	smp_mb();
	preempt_enable();
}

int kvmhv_p8_handle_exit(struct kvm_vcpu *vcpu)
{
	return kvmppc_handle_exit_hv(vcpu, vcpu->arch.run_task);
}

void kvmhv_p8_trace_run_core(struct kvmppc_vcore *vc, int where)
{
	trace_kvmppc_run_core(vc, where);
}

void kvmhv_p8_trace_vcore_wakeup(bool slept, u64 block_ns)
{
	trace_kvmppc_vcore_wakeup(slept, block_ns);
}
