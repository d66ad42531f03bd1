// SPDX-License-Identifier: GPL-2.0

//! The POWER9 and later guest entry on a kernel vcpu: [`P9`], the
//! [`GuestEntry`] of those CPUs, and the [`P9Vcpu`] operations that
//! `vcpu/single.rs` orders, on a vcpu in `KVM_RUN`. As `vcpu/vcore_hv.rs`
//! is to POWER8's `vcpu/vcore.rs`, this is the boundary of `single.rs`.

use super::hv::{GuestEntry, Hv};
use super::interrupt::{self, vector, PendingInterrupts, Priority};
use super::run::{self, HvVcpu};
use super::single::{self, Claimed, EntryError, InGuest, IrqsOff, P9Vcpu};
use super::{gsb, nestedv1_hv, nestedv2_hv};
use crate::{c, errno::Errno, host, trace};
use kernel::{bindings, ffi::c_int, prelude::*};

// The pure code's numbers are the kernel headers'.
const _: () = {
    assert!(single::LPCR_MER == bindings::LPCR_MER as u64);
    assert!(single::H_ENTER_NESTED == bindings::H_ENTER_NESTED as u64);
    assert!(single::MSR_PR == bindings::MSR_PR as u64);
    assert!(single::TRAP_HV_DECREMENTER == bindings::BOOK3S_INTERRUPT_HV_DECREMENTER);
    assert!(single::TRAP_NESTED_HV_DECREMENTER == bindings::BOOK3S_INTERRUPT_NESTED_HV_DECREMENTER);
    assert!(single::H_CEDE == bindings::H_CEDE as u64);
    assert!(single::H_SUCCESS == bindings::H_SUCCESS as u64);
    assert!(single::H_TOO_HARD == bindings::H_TOO_HARD as i64);
    assert!(single::XICS_HCALLS[0] == bindings::H_EOI as u64);
    assert!(single::XICS_HCALLS[1] == bindings::H_CPPR as u64);
    assert!(single::XICS_HCALLS[2] == bindings::H_IPI as u64);
    assert!(single::XICS_HCALLS[3] == bindings::H_IPOLL as u64);
    assert!(single::XICS_HCALLS[4] == bindings::H_XIRR as u64);
    assert!(single::XICS_HCALLS[5] == bindings::H_XIRR_X as u64);
};

/// The guest entry of POWER9 and later: `kvmhv_run_single_vcpu`.
pub(super) struct P9;

impl GuestEntry for P9 {
    fn run_guest(&self, hv: &mut Hv) -> i32 {
        // SAFETY: `vcpu` is valid (`Hv` invariant).
        let (vcpu, lpcr) = unsafe { (hv.as_ptr(), (*hv.vcore()).lpcr as u64) };
        // `nested` is set only while kvmhv_enter_nested_guest() runs an L2
        // guest from an hcall handler, never here.
        // SAFETY: as above.
        let nested = unsafe { !(*vcpu).arch.nested.is_null() };
        if kernel::warn_on!(nested) {
            // SAFETY: `vcpu` is valid, its mutex held, and prepared for
            // entry (state BUSY_IN_HOST, counted in `vcpus_running`).
            return unsafe { bindings::kvmhv_run_single_vcpu(vcpu, !0, lpcr as usize) };
        }
        // INVARIANT: `hv`'s, and `nested` is NULL; not claimed yet.
        let mut entry = P9Entry {
            hv,
            pcpu: -1,
            irq_flags: 0,
            srcu_idx: 0,
        };
        single::run_single_vcpu(&mut entry, !0, lpcr)
    }
}

/// An [`Hv`] in one guest entry on POWER9 and later
/// ([`single::run_single_vcpu`]).
///
/// # Invariants
///
/// Those of [`Hv`]; `vcpu->arch.nested` is NULL (a vcpu's own entry). While
/// the vcpu is claimed (between `disable_preemption_and_irqs` and
/// `leave_guest` or `release_cpu`) preemption is disabled, interrupts are hard-disabled,
/// `pcpu` is this CPU and `irq_flags` holds what the disabling saved.
struct P9Entry<'a> {
    hv: &'a mut Hv,
    pcpu: c_int,
    irq_flags: kernel::ffi::c_ulong,
    srcu_idx: c_int,
}

impl P9Entry<'_> {
    fn vcpu(&self) -> *mut bindings::kvm_vcpu {
        self.hv.as_ptr()
    }

    /// Takes the vcpu off this CPU: `cpu` and `thread_cpu` -1, state
    /// `BUSY_IN_HOST`.
    fn off_cpu(&mut self) {
        let vcpu = self.vcpu();
        // SAFETY: `vcpu` is valid (type invariant); its thread, this one,
        // owns these fields; a kick that reads `cpu` -1 wakes the vcpu
        // instead of interrupting this CPU, which is out of the guest.
        unsafe {
            (*vcpu).cpu = -1;
            (*vcpu).arch.thread_cpu = -1;
            (*vcpu).arch.state = bindings::KVMPPC_VCPU_BUSY_IN_HOST as i32;
        }
    }
}

impl P9Vcpu for P9Entry<'_> {
    fn trace_run(&mut self, exit: bool) {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { trace::run_vcpu(self.vcpu(), exit) };
    }

    fn begin(&mut self) {
        let vcpu = self.vcpu();
        self.hv.set_exit_reason(0);
        // SAFETY: `vcpu` is valid and its fields this thread's (type
        // invariant); `current` is this thread's live task.
        unsafe {
            (*vcpu).arch.ret = run::RESUME_GUEST;
            (*vcpu).arch.trap = 0;
            (*vcpu).arch.ceded = 0;
            (*vcpu).arch.last_inst = bindings::KVM_INST_FETCH_FAILED as usize;
        }
    }

    fn mmu_ready(&self) -> bool {
        self.hv.mmu_ready()
    }

    fn set_ret(&mut self, r: i32) {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu()).arch.ret = r };
    }

    fn ret(&self) -> i32 {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu()).arch.ret }
    }

    fn handle_work(&mut self) -> Result<(), Errno> {
        if !self.hv.work_pending() {
            return Ok(());
        }
        // SAFETY: process context, preemptible, interrupts on, no lock held
        // (type invariant: not claimed).
        let r = unsafe { bindings::xfer_to_guest_mode_handle_work() };
        match Errno::from_ret(r) {
            None => Ok(()),
            Some(e) => {
                // EINTR: a signal is pending (powerpc has no work of its own).
                self.hv.signal_exit();
                Err(e)
            }
        }
    }

    fn update_vpas(&mut self) {
        self.hv.update_vpas();
    }

    fn disable_preemption_and_irqs(&mut self) {
        let vcpu = self.vcpu();
        // SAFETY: `vcpu` and its VM are valid (type invariant). Preemption
        // is disabled first, so `pcpu` stays this CPU until `leave_guest`
        // or `release_cpu`, which restore `irq_flags` and enable
        // preemption again.
        unsafe {
            self.pcpu = c::kvmhv_rs_p9_disable_preemption_and_irqs(vcpu, &mut self.irq_flags);
            (*vcpu).arch.state = bindings::KVMPPC_VCPU_RUNNABLE as i32;
        }
    }

    fn work_pending(&self) -> bool {
        self.hv.work_pending()
    }

    fn claim_cpu(&mut self, _irqs: &IrqsOff) {
        // SAFETY: `vcpu` and its vcore are valid (type invariant); this CPU
        // is `pcpu`, and stays so with preemption disabled (`_irqs`). The call ends
        // with the full barrier that orders `cpu` against reading pending
        // interrupts after it; it pairs with kvmppc_fast_vcpu_kick_hv()
        // reading `cpu` after queueing one.
        unsafe { c::kvmhv_rs_p9_claim_cpu(self.vcpu(), self.pcpu) };
    }

    fn prepare_to_enter(&mut self) {
        interrupt::prepare_to_enter(self.hv);
    }

    fn external_pending(&self) -> bool {
        Priority::External.is_in(self.hv.pending()) || self.hv.xive_pending()
    }

    fn on_pseries(&self) -> bool {
        host::on_pseries()
    }

    fn msr(&self) -> u64 {
        PendingInterrupts::msr(self.hv)
    }

    fn inject_external(&mut self) {
        self.hv.inject(vector::EXTERNAL, 0);
    }

    fn timer_running(&self) -> bool {
        self.hv.timer_running()
    }

    fn cancel_timer(&mut self) {
        self.hv.cancel_dec_timer();
    }

    fn timebase(&self) -> u64 {
        host::timebase()
    }

    fn update_vpa_dispatch(&mut self, tb: u64) {
        if !self.hv.has_vpa() {
            return;
        }
        // SAFETY: `vcpu` is valid and claimed by this CPU (type invariant).
        unsafe { c::kvmhv_rs_p9_update_vpa_dispatch(self.vcpu(), tb) };
    }

    fn trace_guest(&mut self, exit: bool) {
        self.hv.trace_guest(exit);
    }

    fn guest_state_enter(&mut self, _claimed: &Claimed) {
        // SAFETY: `vcpu` is valid (type invariant) and claimed by this CPU
        // with preemption and interrupts disabled (`_claimed`);
        // `leave_guest` leaves the state with the SRCU index kept here.
        self.srcu_idx = unsafe { c::kvmhv_rs_p9_guest_state_enter(self.vcpu()) };
    }

    fn leave_guest(&mut self, _g: InGuest, trap: u32) {
        self.off_cpu();
        // SAFETY: in guest state (`_g`, consumed here: nothing runs in it
        // after this), with `srcu_idx` from `guest_state_enter`;
        // `irq_flags` is what `disable_preemption_and_irqs` saved on this
        // CPU.
        unsafe {
            c::kvmhv_rs_p9_leave_guest(self.vcpu(), self.srcu_idx, trap as c_int, self.irq_flags)
        };
    }

    fn enter_nested(
        &mut self,
        _g: &InGuest,
        time_limit: u64,
        lpcr: u64,
        tb: &mut u64,
    ) -> Result<u32, EntryError> {
        if host::nestedv2() {
            // SAFETY: `vcpu` is valid and in `KVM_RUN` on this thread (type
            // invariant), on a pseries host (this is called only there)
            // whose API is the one chosen, and claimed by this CPU in guest
            // state with preemption and interrupts off (`_g`). On POWER9
            // and later each vcpu has its own vcore.
            unsafe { nestedv2_hv::enter(self.vcpu(), time_limit, lpcr, tb) }
        } else {
            // SAFETY: as above, on an API v1 host.
            single::nestedv1_result(unsafe {
                nestedv1_hv::enter(self.vcpu(), time_limit, lpcr, tb)
            })
        }
    }

    fn entry_failed(&mut self, e: EntryError) -> i32 {
        let vcpu = self.vcpu();
        match e {
            EntryError::Refused { rc, elem } => {
                pr_err!(
                    "vcpu {}: the hypervisor refused to run it: rc={} element={}\n",
                    // SAFETY: `vcpu` is valid (type invariant).
                    unsafe { (*vcpu).vcpu_id },
                    rc,
                    elem
                );
                // SAFETY: `vcpu` is valid and its `run` mapped while in
                // KVM_RUN (type invariant); this thread owns both.
                unsafe {
                    let run = (*vcpu).run;
                    (*run).exit_reason = bindings::KVM_EXIT_FAIL_ENTRY;
                    (*run)
                        .__bindgen_anon_1
                        .fail_entry
                        .hardware_entry_failure_reason = rc as u64;
                    (*run).__bindgen_anon_1.fail_entry.cpu = self.pcpu as u32;
                }
                run::RESUME_HOST
            }
            EntryError::Host(e) => {
                pr_err!("the nested-v2 run buffers failed: {:?}\n", e);
                e.to_ret()
            }
        }
    }

    fn next_timer(&self, _g: &InGuest) -> u64 {
        // `timer_get_next_tb()`, `__this_cpu_read(decrementers_next_tb)`,
        // in the module: this CPU's copy is at the variable's address plus
        // the per-CPU offset in its PACA, which r13 points to.
        let paca: *const bindings::paca_struct;
        // SAFETY: copies r13, which the kernel keeps pointing to this CPU's
        // PACA; no memory, stack or flags are touched.
        unsafe {
            core::arch::asm!("mr {0}, 13", out(reg) paca, options(nomem, nostack, preserves_flags))
        };
        // SAFETY: `paca` is this CPU's PACA, and this CPU stays this
        // thread's while `_g` exists (preemption and interrupts are off),
        // so `data_offset` locates this CPU's copy of the exported per-CPU
        // variable, which the timer code writes only from this CPU.
        // The per-CPU copy is not inside the variable's own allocation, so
        // its address is computed as an integer (C's `RELOC_HIDE`).
        unsafe {
            let off = (*paca).data_offset as usize;
            let base = (&raw const bindings::decrementers_next_tb).expose_provenance();
            core::ptr::read_volatile(core::ptr::with_exposed_provenance::<u64>(base + off))
        }
    }

    fn increment_dispatch(&mut self) {
        let vcpu = self.vcpu();
        // SAFETY: `vcpu` is valid (type invariant); `pinned_addr` is NULL or
        // the guest's VPA, pinned by kvmppc_update_vpas() for as long as
        // it is registered, which only this thread changes.
        unsafe {
            let lp = (*vcpu).arch.vpa.pinned_addr.cast::<bindings::lppaca>();
            if !lp.is_null() {
                let count = u32::from_be((*lp).yield_count).wrapping_add(1);
                (*lp).yield_count = count.to_be();
                (*vcpu).arch.vpa.dirty = true;
            }
        }
    }

    #[cfg(CONFIG_KVM_XICS)]
    fn xive_push(&mut self, _g: &InGuest) {
        // SAFETY: `vcpu` is valid and about to enter on this CPU (type
        // invariant); without a XIVE context this does nothing.
        unsafe { bindings::kvmppc_xive_push_vcpu(self.vcpu()) };
    }

    #[cfg(not(CONFIG_KVM_XICS))]
    fn xive_push(&mut self, _g: &InGuest) {}

    #[cfg(CONFIG_KVM_XICS)]
    fn xive_pull(&mut self, _g: &InGuest) {
        // SAFETY: as for `xive_push`, after the guest's run.
        unsafe { bindings::kvmppc_xive_pull_vcpu(self.vcpu()) };
    }

    #[cfg(not(CONFIG_KVM_XICS))]
    fn xive_pull(&mut self, _g: &InGuest) {}

    fn enter_p9(&mut self, _g: &InGuest, time_limit: u64, lpcr: u64, tb: &mut u64) -> u32 {
        // SAFETY: `vcpu` is valid and its MMU ready (type invariant),
        // claimed by this CPU in guest state with preemption and interrupts
        // disabled (`_g`), its XIVE context pushed (`guest_entry`'s
        // order), as kvmhv_vcpu_entry_p9() requires; the C step sets this
        // CPU's `cpu_in_guest` around it.
        unsafe { c::kvmhv_rs_p9_vcpu_entry(self.vcpu(), time_limit, lpcr as usize, tb) as u32 }
    }

    fn set_gpr3(&mut self, r3: u64) {
        let vcpu = self.vcpu();
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*vcpu).arch.regs.__bindgen_anon_1.user_regs.gpr[3] = r3 as usize };
        if host::nestedv2() {
            // kvmppc_set_gpr(): the L0 is sent r3 at the next entry.
            // SAFETY: `vcpu` is valid, its nested-v2 state made with it.
            unsafe { bindings::__kvmhv_nestedv2_mark_dirty(vcpu, gsb::id::gpr(3)) };
        }
    }

    fn cede(&mut self) {
        // SAFETY: `vcpu` is valid and back from the guest (type invariant).
        unsafe { c::kvmhv_rs_cede(self.vcpu()) };
    }

    #[cfg(CONFIG_KVM_XICS)]
    fn xive_rearm_escalation(&mut self) -> bool {
        // SAFETY: `vcpu` is valid, its XIVE context still pushed.
        unsafe { bindings::kvmppc_xive_rearm_escalation(self.vcpu()) }
    }

    #[cfg(not(CONFIG_KVM_XICS))]
    fn xive_rearm_escalation(&mut self) -> bool {
        true
    }

    #[cfg(CONFIG_KVM_XICS)]
    fn xics_hcall(&mut self, req: u64) -> i64 {
        // SAFETY: `vcpu` is valid, its XIVE context still pushed; `req` is
        // one of the XICS hcall numbers, which fit in a u32.
        i64::from(unsafe { bindings::kvmppc_xive_xics_hcall(self.vcpu(), req as u32) })
    }

    #[cfg(not(CONFIG_KVM_XICS))]
    fn xics_hcall(&mut self, _req: u64) -> i64 {
        // What kvm_ppc.h's stub returns.
        0
    }

    fn radix(&self) -> bool {
        // SAFETY: the VM is valid (type invariant).
        unsafe { (*self.hv.kvm()).arch.radix != 0 }
    }

    fn clear_slb_max(&mut self) {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu()).arch.slb_max = 0 };
    }

    fn release_cpu(&mut self, _irqs: IrqsOff) {
        self.off_cpu();
        // SAFETY: `irq_flags` is what `disable_preemption_and_irqs` saved
        // on this CPU, whose section `_irqs` was and ends here (consumed);
        // interrupts, then preemption, in the reverse order.
        unsafe {
            bindings::powerpc_local_irq_pmu_restore(self.irq_flags);
            bindings::preempt_enable();
        }
    }

    fn dec_pending(&self) -> bool {
        self.hv.dec_pending()
    }

    fn dec_expires(&self) -> u64 {
        self.hv.dec_expires()
    }

    fn gpr3(&self) -> u64 {
        let vcpu = self.vcpu();
        if host::nestedv2() {
            // kvmppc_get_gpr(): unless the exit's output had r3 (an hcall's
            // does), ask the L0 for it.
            // SAFETY: `vcpu` is valid, its nested-v2 state made with it.
            let rc = unsafe { bindings::__kvmhv_nestedv2_cached_reload(vcpu, gsb::id::gpr(3)) };
            kernel::warn_on!(rc < 0);
        }
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*vcpu).arch.regs.__bindgen_anon_1.user_regs.gpr[3] as u64 }
    }

    fn dequeue_dec(&mut self) {
        self.hv.dequeue_dec();
    }

    fn queue_dec(&mut self) {
        self.hv.queue_dec();
    }

    fn handle_exit(&mut self) -> i32 {
        // SAFETY: `vcpu` is valid, its mutex held, back from the guest with
        // its trap recorded (type invariant).
        unsafe { c::kvmhv_rs_p9_handle_exit(self.vcpu()) }
    }

    fn check_block(&self) -> bool {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { c::kvmhv_rs_vcpu_check_block(self.vcpu()) }
    }

    fn start_timer(&mut self, ticks: u64) {
        self.hv.start_timer(ticks);
    }

    fn wait_begin(&mut self) {
        // SAFETY: `vcpu` is valid (type invariant); this thread waits on
        // its `wait` until `wait_end`.
        unsafe { bindings::prepare_to_rcuwait((*self.vcpu()).arch.waitp) };
    }

    fn set_interruptible(&mut self) {
        // SAFETY: changes this thread's state; the next `schedule` sleeps
        // unless a wake-up comes first.
        unsafe { bindings::set_current_state(bindings::TASK_INTERRUPTIBLE) };
    }

    fn signal_pending(&self) -> bool {
        self.hv.task_signal_pending()
    }

    fn signal_exit(&mut self) {
        self.hv.signal_exit();
    }

    fn schedule(&mut self) {
        // SAFETY: `vcpu` is valid (type invariant); this thread is in
        // process context with no locks held.
        unsafe {
            trace::kvmppc_vcore_blocked(self.vcpu(), 0);
            bindings::schedule();
            trace::kvmppc_vcore_blocked(self.vcpu(), 1);
        }
    }

    fn wait_end(&mut self) {
        // SAFETY: `vcpu` is valid (type invariant); pairs with `wait_begin`.
        unsafe { bindings::finish_rcuwait((*self.vcpu()).arch.waitp) };
    }

    fn clear_ceded(&mut self) {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu()).arch.ceded = 0 };
    }
}
