// SPDX-License-Identifier: GPL-2.0

//! `KVM_RUN` for an HV vcpu: the decisions of `kvmppc_vcpu_run_hv`.
//!
//! What to check, in which order, when to enter the guest again and when to
//! return to userspace is decided here, in safe Rust over the [`HvVcpu`]
//! operations. The kernel implements them on a real vcpu
//! (`vcpu/hv.rs`); the host tests implement them on a recording mock. This
//! file uses only `core`.

use crate::errno::Errno;

/// What the C run functions return: `RESUME_*` of `asm/kvm_asm.h`, with
/// book3s_hv's own two "resume the guest after this" codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resume {
    /// `RESUME_GUEST` or `RESUME_GUEST_NV`: enter the guest again.
    Guest,
    /// `RESUME_PAGE_FAULT`: resolve the fault, then decide again.
    PageFault,
    /// `RESUME_PASSTHROUGH`: complete a passed-through interrupt.
    Passthrough,
    /// Anything else: return to userspace with this value.
    Host,
}

const RESUME_FLAG_NV: i32 = 1 << 0;
const RESUME_FLAG_ARCH1: i32 = 1 << 2;
const RESUME_FLAG_ARCH2: i32 = 1 << 3;
/// `RESUME_GUEST`.
pub(crate) const RESUME_GUEST: i32 = 0;
const RESUME_GUEST_NV: i32 = RESUME_FLAG_NV;
/// `RESUME_HOST`: back to userspace with the exit in `kvm_run`.
pub(crate) const RESUME_HOST: i32 = 1 << 1;
const RESUME_PAGE_FAULT: i32 = RESUME_GUEST | RESUME_FLAG_ARCH1;
const RESUME_PASSTHROUGH: i32 = RESUME_GUEST | RESUME_FLAG_ARCH2;

impl Resume {
    /// Classifies a value returned by the C run, hcall and fault functions.
    pub(crate) fn of(r: i32) -> Self {
        match r {
            RESUME_GUEST | RESUME_GUEST_NV => Resume::Guest,
            RESUME_PAGE_FAULT => Resume::PageFault,
            RESUME_PASSTHROUGH => Resume::Passthrough,
            _ => Resume::Host,
        }
    }
}

/// Why `KVM_RUN` returns before entering the guest. The boundary turns each
/// into C's exit reason and errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `vcpu->arch.sane` is clear (no PAPR): `KVM_EXIT_INTERNAL_ERROR`, `-EINVAL`.
    Insane,
    /// A signal is pending: `KVM_EXIT_INTR`, `-EINTR`.
    SignalPending,
    /// The host thread is in a suspended transaction, which guest entry would
    /// lose: `KVM_EXIT_FAIL_ENTRY`, `-EINVAL`.
    TransactionSuspended,
}

/// What the vcpu's exit timing (`CONFIG_KVM_BOOK3S_HV_P9_TIMING`, debugfs
/// `kvm/VM/vcpuN/timings`) accounts the time from now on to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Activity {
    /// `vcpu_entry`: from `KVM_RUN` to the first guest entry.
    VcpuEntry,
    /// `guest_entry`: from the run loop to the guest.
    GuestEntry,
    /// `hypercall`: an hcall exit, until the guest is entered again.
    Hcall,
    /// `page_fault`: a page fault exit, likewise.
    PageFault,
    /// `vcpu_exit`: from the last exit back to userspace.
    VcpuExit,
    /// Nothing: the timing of this `KVM_RUN` ends.
    Nothing,
}

/// The operations `KVM_RUN` performs on an HV vcpu, in the terms of the C
/// functions and fields they stand for.
pub(crate) trait HvVcpu {
    /// `accumulate_time`: ends the current activity's interval and starts
    /// `next`'s (nothing without the timing option).
    fn account(&mut self, next: Activity);
    /// `vcpu->arch.sane`.
    fn sane(&self) -> bool;
    /// `signal_pending(current)`.
    fn signal_pending(&self) -> bool;
    /// The calling thread has an active (suspended) transaction.
    fn transaction_suspended(&self) -> bool;
    /// Sets `online` (and the vcore's online count) for userspace that
    /// never does.
    fn force_online(&mut self);
    /// `kvmppc_core_prepare_to_enter`: deliver pending exceptions.
    fn prepare_to_enter(&mut self);
    /// Increments `kvm->arch.vcpus_running`, then a full barrier, which the
    /// HPT reset protocol pairs with its own on `mmu_ready`.
    fn start_running(&mut self);
    /// Enables FP/VEC/VSX/TM in the MSR as the CPU and vcpu allow, and saves
    /// the host thread's user state and SPRs. Once per KVM_RUN: a context
    /// switch between two entries makes the user FP/VMX registers live
    /// again (`restore_math()` in `__switch_to()`), and the step into guest
    /// state before each entry gives them back (kvm-hv's
    /// `kvmhv_guest_state_enter()`, rust/patches 0028).
    fn save_host_state(&mut self);
    /// `pgdir` and (POWER8) `waitp`; state `KVMPPC_VCPU_BUSY_IN_HOST`.
    fn enter_busy_in_host(&mut self);
    /// `kvm->arch.mmu_ready`: the VM's MMU is set up (and not being reset).
    fn mmu_ready(&self) -> bool;
    /// `kvmhv_setup_mmu`: sets up the VM's MMU under its `mmu_setup_lock`
    /// unless another vcpu did meanwhile; for an HPT guest, allocates the
    /// HPT if needed and maps the VRMA.
    fn setup_mmu(&mut self) -> Result<(), Errno>;
    /// Records a failed guest entry: `KVM_EXIT_FAIL_ENTRY`, and `err` as the
    /// vcpu's return value.
    fn fail_entry(&mut self, err: Errno);
    /// Runs the guest until an exit the run functions cannot handle:
    /// `kvmhv_run_single_vcpu` (POWER9 and later), `kvmppc_run_vcpu` (POWER8).
    fn run_guest(&mut self) -> i32;
    /// The last exit was `KVM_EXIT_PAPR_HCALL`.
    fn exit_is_papr_hcall(&self) -> bool;
    /// The guest made the hcall in problem state (MSR_PR), which the entry
    /// code should have reflected into it. Reports the bug (once) when true.
    fn hcall_from_problem_state(&mut self) -> bool;
    /// `kvmppc_pseries_do_hcall`, between the hcall tracepoints.
    fn do_hcall(&mut self) -> i32;
    /// `kvmppc_book3s_hv_page_fault` on the recorded fault, under the VM's SRCU.
    fn page_fault(&mut self) -> i32;
    /// Completes a passed-through interrupt (`kvmppc_xics_rm_complete`).
    fn passthrough(&mut self) -> i32;
    /// State `KVMPPC_VCPU_NOTREADY`, decrement `vcpus_running`, and mark the
    /// SRRs clobbered.
    fn stop_running(&mut self);
}

/// `kvmppc_vcpu_run_hv`: runs the vcpu until it must return to userspace.
///
/// Returns the run functions' final value (what `KVM_RUN` returns), or why
/// the guest was not entered at all. After a refusal nothing was changed but
/// what [`Refusal`] describes; otherwise `start_running` and `stop_running`
/// were called exactly once each, around every entry into the guest.
///
/// The time goes to [`Activity`]s where C's goes; like C, a refused
/// `KVM_RUN` leaves `VcpuEntry` running, and the next one ends it.
pub(crate) fn vcpu_run<V: HvVcpu>(v: &mut V) -> Result<i32, Refusal> {
    v.account(Activity::VcpuEntry);
    if !v.sane() {
        return Err(Refusal::Insane);
    }
    // No need to go into the guest when all it would do is come back out.
    if v.signal_pending() {
        return Err(Refusal::SignalPending);
    }
    if v.transaction_suspended() {
        return Err(Refusal::TransactionSuspended);
    }
    v.force_online();
    v.prepare_to_enter();
    v.start_running();
    v.save_host_state();
    v.enter_busy_in_host();

    let r = loop {
        v.account(Activity::GuestEntry);
        // The run functions would set the MMU up themselves; doing it here,
        // once the vcpu counts as running, keeps it in Rust, and they then
        // find it ready.
        if !v.mmu_ready() {
            if let Err(err) = v.setup_mmu() {
                v.fail_entry(err);
                break err.to_ret();
            }
        }
        let mut r = v.run_guest();
        if v.exit_is_papr_hcall() {
            v.account(Activity::Hcall);
            if v.hcall_from_problem_state() {
                // Never let userspace execute hcalls for the guest's
                // problem state: go back in, where the guest gets it.
                continue;
            }
            r = v.do_hcall();
            v.prepare_to_enter();
        } else {
            match Resume::of(r) {
                Resume::PageFault => {
                    v.account(Activity::PageFault);
                    r = v.page_fault();
                }
                Resume::Passthrough => r = v.passthrough(),
                Resume::Guest | Resume::Host => {}
            }
        }
        if Resume::of(r) != Resume::Guest {
            break r;
        }
    };
    v.account(Activity::VcpuExit);
    v.stop_running();
    v.account(Activity::Nothing);
    Ok(r)
}
