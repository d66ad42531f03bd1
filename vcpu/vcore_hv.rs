// SPDX-License-Identifier: GPL-2.0

//! [`Vcore`] on a kernel `struct kvmppc_vcore`: the POWER8 run path's
//! boundary.
//!
//! Every field access and every call into kvm-hv.ko and the powerpc arch
//! code that [`vcore::run_vcpu`] needs is here. The assembly guest entry,
//! `__kvmppc_vcore_entry`, stays in kvm-hv.ko, called through
//! `kvmhv_p8_vcore_entry` (see Documentation/run-path.rst for why).

use super::hv::{GuestEntry, Hv};
use super::interrupt;
use super::run::HvVcpu;
use super::vcore::{
    self, CoreReady, HaltOutcome, IrqsOff, Locked, PollParams, Ptid, Vcore, VcoreState,
    MAX_SMT_THREADS,
};
use crate::{c, errno::Errno, trace};
use core::{cell::Cell, ptr};
use kernel::{bindings, prelude::*};

/// `TB_NIL` of book3s_hv.c: no time recorded.
const TB_NIL: u64 = !0;

/// The vcore of a vcpu in `KVM_RUN` on POWER8, seen from that vcpu's thread.
///
/// # Invariants
///
/// `hv` is the vcpu in `KVM_RUN` (with [`Hv`]'s invariants) and `vc` its
/// vcore. Each non-null entry of `threads` is the vcpu at that thread number
/// of `vc`: a vcpu's thread number is fixed when it is created, and vcpus
/// live as long as their VM, which outlives every `KVM_RUN` of its vcpus.
/// The vcore's lock is held by this thread between `lock` and `unlock`.
pub(super) struct P8Run<'a> {
    hv: &'a mut Hv,
    vc: *mut bindings::kvmppc_vcore,
    me: Ptid,
    threads: [Cell<*mut bindings::kvm_vcpu>; MAX_SMT_THREADS],
}

/// The guest entry of POWER8: `kvmppc_run_vcpu`, the vcore run.
pub(super) struct P8;

impl GuestEntry for P8 {
    fn run_guest(&self, hv: &mut Hv) -> i32 {
        vcore::run_vcpu(&mut P8Run::new(hv))
    }
}

impl<'a> P8Run<'a> {
    /// The vcore run of `hv`'s vcpu.
    pub(super) fn new(hv: &'a mut Hv) -> Self {
        let vc = hv.vcore();
        // SAFETY: `hv`'s vcpu is valid (`Hv` invariant).
        let ptid = unsafe { (*hv.as_ptr()).arch.ptid };
        // A vcpu's ptid is below the vcore's size (kvmppc_core_vcpu_create_hv).
        let me = usize::try_from(ptid).unwrap_or(0) % MAX_SMT_THREADS;
        let threads: [Cell<*mut bindings::kvm_vcpu>; MAX_SMT_THREADS] =
            core::array::from_fn(|_| Cell::new(ptr::null_mut()));
        threads[me].set(hv.as_ptr());
        // INVARIANT: `vc` is the vcpu's vcore, and `me` its thread number.
        Self {
            hv,
            vc,
            me,
            threads,
        }
    }

    /// The vcpu at thread `t`, as last seen on the runnable list.
    fn vcpu(&self, t: Ptid) -> *mut bindings::kvm_vcpu {
        let v = self.threads[t].get();
        // The pure code acts only on threads it found runnable, and on me.
        if kernel::warn_on!(v.is_null()) {
            return self.hv.as_ptr();
        }
        v
    }

    /// The vcpu at thread `t` as an [`Hv`], for the operations the POWER9
    /// path shares.
    fn at(&self, t: Ptid) -> Hv {
        // SAFETY: a runnable vcpu of this vcore, acted on by its runner (see
        // `Hv`).
        unsafe { self.hv.other(self.vcpu(t)) }
    }

    fn add_hist(hist: &mut [u64; 32], value: u64) {
        // KVM_STATS_LOG_HIST_UPDATE: bucket fls64(value), the last one for
        // anything larger.
        let bucket = (u64::BITS - value.leading_zeros()) as usize;
        hist[bucket.min(hist.len() - 1)] += 1;
    }
}

impl Vcore for P8Run<'_> {
    fn me(&self) -> Ptid {
        self.me
    }

    fn trace_run(&mut self, exit: bool) {
        // SAFETY: the vcpu is valid (type invariant).
        unsafe { trace::run_vcpu(self.hv.as_ptr(), exit) };
    }

    fn begin(&mut self) {
        let vcpu = self.hv.as_ptr();
        self.hv.set_exit_reason(0);
        // SAFETY: the vcpu is valid and its fields this thread's (type
        // invariant).
        unsafe {
            (*vcpu).arch.ret = super::run::RESUME_GUEST;
            (*vcpu).arch.trap = 0;
        }
        self.hv.update_vpas();
    }

    fn lock(&mut self) {
        // SAFETY: `vc` is valid (type invariant); its lock is initialised.
        unsafe { bindings::spin_lock(&raw mut (*self.vc).lock) };
    }

    fn unlock(&mut self, _held: Locked) {
        // SAFETY: `vc` is valid (type invariant), and this thread holds its
        // lock: `_held` was made by `vcore::lock()` on this thread (tokens
        // are not `Send`) for the run's one vcore, `self`, and is used up
        // here.
        unsafe { bindings::spin_unlock(&raw mut (*self.vc).lock) };
    }

    fn join(&mut self) {
        let (vcpu, vc) = (self.hv.as_ptr(), self.vc);
        // SAFETY: the vcpu and its vcore are valid and the vcore lock is
        // held (type invariant).
        unsafe {
            (*vcpu).arch.ceded = 0;
            (*vcpu).arch.stolen_logged = c::kvmhv_rs_p8_vcore_stolen_time(vc);
            (*vcpu).arch.state = bindings::KVMPPC_VCPU_RUNNABLE as i32;
            (*vcpu).arch.busy_preempt = TB_NIL;
            ptr::write_volatile(&raw mut (*vc).runnable_threads[self.me], vcpu);
            (*vc).n_runnable += 1;
        }
    }

    fn signal_pending(&self) -> bool {
        // My `run_task` is `current`.
        self.hv.task_signal_pending()
    }

    fn state(&self) -> VcoreState {
        // SAFETY: `vc` is valid (type invariant); other threads change the
        // state under the lock, or read it without (a plain read in C).
        VcoreState::of(i32::from(unsafe {
            ptr::read_volatile(&raw const (*self.vc).vcore_state)
        }))
    }

    fn set_state(&mut self, state: VcoreState) {
        // SAFETY: `vc` is valid and its lock held (type invariant).
        unsafe { ptr::write_volatile(&raw mut (*self.vc).vcore_state, state as u8) };
    }

    fn exiting(&self) -> bool {
        // SAFETY: `vc` is valid (type invariant); the guest-exit code
        // updates the map atomically, a plain read in C.
        unsafe { ptr::read_volatile(&raw const (*self.vc).entry_exit_map) >> 8 != 0 }
    }

    fn wake_runner(&mut self) {
        // SAFETY: `vc` is valid (type invariant); its rcuwait is initialised.
        unsafe { bindings::rcuwait_wake_up(&raw mut (*self.vc).wait) };
    }

    fn mmu_ready(&self) -> bool {
        self.hv.mmu_ready()
    }

    fn setup_mmu(&mut self) -> Result<(), Errno> {
        self.hv.setup_mmu()
    }

    fn fail_entry(&mut self, err: Errno) {
        self.hv.fail_entry(err);
    }

    fn no_runner(&self) -> bool {
        // SAFETY: `vc` is valid and its lock held (type invariant).
        unsafe { (*self.vc).runner.is_null() }
    }

    fn set_runner(&mut self, me: bool) {
        let runner = if me {
            self.hv.as_ptr()
        } else {
            ptr::null_mut()
        };
        // SAFETY: `vc` is valid and its lock held (type invariant).
        unsafe { (*self.vc).runner = runner };
    }

    fn preempt(&mut self) {
        // SAFETY: `vc` is valid and its lock held (type invariant).
        unsafe { c::kvmhv_rs_p8_vcore_preempt(self.vc) };
    }

    fn end_preempt(&mut self) {
        // SAFETY: `vc` is valid and its lock held (type invariant).
        unsafe { c::kvmhv_rs_p8_vcore_end_preempt(self.vc) };
    }

    fn wait_for_exec(&mut self, _held: &Locked, interruptible: bool) {
        let state = if interruptible {
            bindings::TASK_INTERRUPTIBLE
        } else {
            bindings::TASK_UNINTERRUPTIBLE
        };
        let vcpu = self.hv.as_ptr();
        // SAFETY: a wait entry for this thread, on this stack frame until
        // `finish_wait` takes it off the vcpu's `cpu_run` queue.
        let mut wait: bindings::wait_queue_entry = unsafe { core::mem::zeroed() };
        // SAFETY: `wait` is not moved between `prepare_to_wait` and
        // `finish_wait`; the vcpu and vcore are valid (type invariant); the
        // vcore lock is held (`_held`) and dropped only around `schedule`,
        // as C does.
        unsafe {
            bindings::init_wait(&mut wait);
            bindings::prepare_to_wait(&raw mut (*vcpu).arch.cpu_run, &mut wait, state as c_int);
            if self.state_runnable(self.me) {
                bindings::spin_unlock(&raw mut (*self.vc).lock);
                bindings::schedule();
                bindings::spin_lock(&raw mut (*self.vc).lock);
            }
            bindings::finish_wait(&raw mut (*vcpu).arch.cpu_run, &mut wait);
        }
    }

    fn n_runnable(&self) -> usize {
        // SAFETY: `vc` is valid and its lock held (type invariant).
        usize::try_from(unsafe { (*self.vc).n_runnable }).unwrap_or(0)
    }

    fn work_pending(&self) -> bool {
        self.hv.work_pending()
    }

    fn handle_work(&mut self) {
        // SAFETY: process context, no locks held, interrupts on. A pending
        // signal is left for the run loop, which accounts signal exits.
        unsafe { bindings::xfer_to_guest_mode_handle_work() };
    }

    fn runnable(&self, t: Ptid) -> bool {
        // SAFETY: `vc` is valid (type invariant); the slots are written
        // under the lock and read with READ_ONCE in C.
        let v = unsafe { ptr::read_volatile(&raw const (*self.vc).runnable_threads[t]) };
        if v.is_null() {
            return false;
        }
        self.threads[t].set(v);
        true
    }

    fn state_runnable(&self, t: Ptid) -> bool {
        // SAFETY: the vcpu is valid (type invariant); its state changes
        // under the vcore lock, read plainly in C.
        unsafe {
            ptr::read_volatile(&raw const (*self.vcpu(t)).arch.state)
                == bindings::KVMPPC_VCPU_RUNNABLE as i32
        }
    }

    fn task_signal_pending(&self, t: Ptid) -> bool {
        self.at(t).task_signal_pending()
    }

    fn prepare_to_enter(&mut self, t: Ptid) {
        interrupt::prepare_to_enter(&mut self.at(t));
    }

    fn remove_runnable(&mut self, t: Ptid) {
        // SAFETY: `vc` and the vcpu are valid and the lock held (type
        // invariant).
        unsafe { c::kvmhv_rs_p8_remove_runnable(self.vc, self.vcpu(t)) };
    }

    fn wake(&mut self, t: Ptid) {
        // SAFETY: the vcpu is valid (type invariant); `wake_up()`.
        unsafe {
            bindings::__wake_up(
                &raw mut (*self.vcpu(t)).arch.cpu_run,
                bindings::TASK_NORMAL,
                1,
                ptr::null_mut(),
            )
        };
    }

    fn signal_exit(&mut self, t: Ptid) {
        self.at(t).signal_exit();
    }

    fn set_ret(&mut self, t: Ptid, r: i32) {
        // SAFETY: the vcpu is valid (type invariant).
        unsafe { (*self.vcpu(t)).arch.ret = r };
    }

    fn ret(&self, t: Ptid) -> i32 {
        // SAFETY: the vcpu is valid (type invariant).
        unsafe { (*self.vcpu(t)).arch.ret }
    }

    fn woken(&self, t: Ptid) -> bool {
        // SAFETY: the vcpu is valid (type invariant).
        unsafe { c::kvmhv_rs_p8_vcpu_woken(self.vcpu(t)) }
    }

    fn ceded(&self, t: Ptid) -> bool {
        // SAFETY: the vcpu is valid (type invariant); the guest-exit code
        // sets `ceded`, read plainly in C.
        unsafe { ptr::read_volatile(&raw const (*self.vcpu(t)).arch.ceded) != 0 }
    }

    fn clear_ceded(&mut self, t: Ptid) {
        // SAFETY: the vcpu is valid and the lock held (type invariant).
        unsafe { (*self.vcpu(t)).arch.ceded = 0 };
    }

    fn vpa_update_pending(&self, t: Ptid) -> bool {
        let v = self.vcpu(t);
        // SAFETY: the vcpu is valid (type invariant); the flags are read
        // plainly in C too, and rechecked by kvmppc_update_vpas().
        unsafe {
            (*v).arch.vpa.update_pending != 0
                || (*v).arch.slb_shadow.update_pending != 0
                || (*v).arch.dtl.update_pending != 0
        }
    }

    fn trap(&self, t: Ptid) -> u32 {
        // SAFETY: the vcpu is valid and back from the guest (type
        // invariant); traps are small non-negative vector numbers.
        unsafe { (*self.vcpu(t)).arch.trap as u32 }
    }

    fn clear_trap(&mut self, t: Ptid) {
        // SAFETY: the vcpu is valid (type invariant).
        unsafe { (*self.vcpu(t)).arch.trap = 0 };
    }

    fn handle_exit(&mut self, t: Ptid) -> i32 {
        // SAFETY: the vcpu is valid and back from the guest with its trap
        // recorded; its thread waits while the vcore is `Exiting`, so the
        // runner handles the exit on its behalf, as C does.
        unsafe { c::kvmhv_rs_p8_handle_exit(self.vcpu(t)) }
    }

    fn exceptions_pending(&self, t: Ptid) -> bool {
        // SAFETY: the vcpu is valid (type invariant).
        unsafe { (*self.vcpu(t)).arch.pending_exceptions != 0 }
    }

    fn timebase(&self) -> u64 {
        crate::host::timebase()
    }

    fn dec_expires(&self, t: Ptid) -> u64 {
        self.at(t).dec_expires()
    }

    fn dec_pending(&self, t: Ptid) -> bool {
        self.at(t).dec_pending()
    }

    fn dequeue_dec(&mut self, t: Ptid) {
        self.at(t).dequeue_dec();
    }

    fn queue_dec(&mut self, t: Ptid) {
        self.at(t).queue_dec();
    }

    fn start_timer(&mut self, t: Ptid, ticks: u64) {
        self.at(t).start_timer(ticks);
    }

    fn trace_guest(&mut self, t: Ptid, exit: bool) {
        self.at(t).trace_guest(exit);
    }

    fn reset_for_run(&mut self) {
        let vc = self.vc;
        // SAFETY: `vc` is valid and its lock held (type invariant); no
        // thread of it is in the guest.
        unsafe {
            (*vc).entry_exit_map = 0;
            (*vc).in_guest = 0;
            (*vc).napping_threads = 0;
            (*vc).conferring_threads = 0;
            (*vc).tb_offset_applied = 0;
            (*vc).preempt_tb = TB_NIL;
        }
    }

    fn controlled_threads(&self) -> usize {
        // threads_per_vcore() is the subcore before ISA v3.0, the only
        // CPUs `run_guest` sends here.
        // SAFETY: set at boot, and only while no guest runs (subcore.c).
        usize::try_from(unsafe { ptr::read_volatile(&raw const bindings::threads_per_subcore) })
            .unwrap_or(1)
    }

    fn num_threads(&self) -> usize {
        // SAFETY: `vc` is valid and its lock held (type invariant).
        usize::try_from(unsafe { (*self.vc).num_threads }).unwrap_or(0)
    }

    fn grab_threads(&mut self) -> bool {
        // SAFETY: the vcore lock keeps this thread on this CPU.
        unsafe { c::kvmhv_rs_p8_on_primary_thread() }
    }

    fn release_threads(&mut self, n: usize) {
        let pcpu = self.hv.task_cpu();
        // SAFETY: `paca_ptrs` has a live PACA for every possible CPU, and
        // `pcpu + thr` are this core's threads (`n` is at most
        // threads_per_subcore, and this is its first thread), grabbed by
        // this runner: their `kvm_hstate` is this thread's to write, as in
        // C's kvmppc_release_hwthread().
        unsafe {
            let pacas = ptr::read(&raw const bindings::paca_ptrs);
            for thr in 0..n {
                let hstate = &raw mut (**pacas.add(pcpu + thr)).kvm_hstate;
                (*hstate).hwthread_req = 0;
                (*hstate).kvm_vcpu = ptr::null_mut();
                (*hstate).kvm_vcore = ptr::null_mut();
                (*hstate).kvm_split_mode = ptr::null_mut();
            }
        }
    }

    fn disable_irqs(&mut self) -> bool {
        // SAFETY: hard-disables interrupts on this CPU; `enable_irqs` or
        // `exit_core` enables them again.
        unsafe { c::kvmhv_rs_p8_disable_irqs() }
    }

    fn enable_irqs(&mut self, _irqs: IrqsOff) {
        // SAFETY: interrupts are hard-disabled (`_irqs`, used up here).
        unsafe { bindings::local_irq_enable() };
    }

    fn prepare_core(&mut self, _held: &Locked, _irqs: &IrqsOff, n: usize) {
        // SAFETY: `vc` is valid and its lock held (`_held`), interrupts are
        // off (`_irqs`) and this CPU's first `n` threads are grabbed
        // (`grab_threads`); the preempt_disable() in it pairs with
        // `core_end`, which takes the `CoreReady` the pure code makes after
        // this.
        unsafe { c::kvmhv_rs_p8_prepare_core(self.vc, n as c_int) };
    }

    fn start_thread(&mut self, t: Option<Ptid>) {
        let vcpu = t.map_or(ptr::null_mut(), |t| self.vcpu(t));
        // SAFETY: `vc` is on this CPU (`prepare_core`), the thread grabbed;
        // the vcpu, if any, is a runnable vcpu of `vc`.
        unsafe { c::kvmhv_rs_p8_start_thread(vcpu, self.vc) };
    }

    fn update_vpa_dispatch(&mut self, t: Ptid) {
        if !self.at(t).has_vpa() {
            return;
        }
        // SAFETY: the vcpu and `vc` are valid and the lock held.
        unsafe { c::kvmhv_rs_p8_update_vpa_dispatch(self.vcpu(t), self.vc) };
    }

    fn trace_core_enter(&mut self) {
        // SAFETY: `vc` is valid (type invariant).
        unsafe { trace::kvmppc_run_core(self.vc, 0) };
    }

    fn enter(&mut self, _irqs: &IrqsOff, _core: &CoreReady) -> u32 {
        // SAFETY: interrupts (`_irqs`) and preemption (`_core`) are off, the
        // vcore's threads are started on this core (`start_thread`), as
        // `__kvmppc_vcore_entry` requires; the vcore lock is not held. Traps
        // are small vectors.
        unsafe { c::kvmhv_rs_p8_vcore_entry(self.vc) as u32 }
    }

    fn exit_core(&mut self, _irqs: IrqsOff, n: usize) {
        // SAFETY: this CPU is the core's first thread, back from the guest,
        // interrupts still off (`_irqs`, used up here); this enables them.
        unsafe { c::kvmhv_rs_p8_exit_core(n as c_int) };
    }

    fn core_end(&mut self, _core: CoreReady, _held: Locked) {
        // SAFETY: `vc` is valid and this thread holds its lock (`_held`);
        // the preempt_enable() in it pairs with `prepare_core`'s
        // preempt_disable() (`_core`). Both are used up here.
        unsafe { c::kvmhv_rs_p8_core_end(self.vc) };
    }

    fn trace_core_exit(&mut self) {
        // SAFETY: `vc` is valid (type invariant).
        unsafe { trace::kvmppc_run_core(self.vc, 1) };
    }

    fn halt_poll_ns(&self) -> u32 {
        // SAFETY: `vc` is valid and its lock held (type invariant).
        unsafe { (*self.vc).halt_poll_ns }
    }

    fn set_halt_poll_ns(&mut self, ns: u32) {
        // SAFETY: `vc` is valid and its lock held (type invariant).
        unsafe { (*self.vc).halt_poll_ns = ns };
    }

    fn poll_params(&self) -> PollParams {
        // SAFETY: kvm.ko's module parameters; a racing write by sysfs is
        // read whole or not, as in C.
        unsafe {
            PollParams {
                max: ptr::read_volatile(&raw const bindings::halt_poll_ns),
                grow: ptr::read_volatile(&raw const bindings::halt_poll_ns_grow),
                grow_start: ptr::read_volatile(&raw const bindings::halt_poll_ns_grow_start),
                shrink: ptr::read_volatile(&raw const bindings::halt_poll_ns_shrink),
            }
        }
    }

    fn now_ns(&self) -> i64 {
        // SAFETY: no preconditions.
        unsafe { bindings::ktime_get() }
    }

    fn can_poll(&self, now: i64, stop: i64) -> bool {
        // SAFETY: no preconditions.
        unsafe { bindings::single_task_running() && !bindings::need_resched() && now < stop }
    }

    fn count_poll_attempt(&mut self) {
        // SAFETY: the vcpu is valid; its stats are its own thread's.
        unsafe { (*self.hv.as_ptr()).stat.generic.halt_attempted_poll += 1 };
    }

    fn account_halt(&mut self, o: &HaltOutcome) {
        // SAFETY: the vcpu is valid; its stats are its own thread's.
        let stat = unsafe { &mut (*self.hv.as_ptr()).stat };
        if o.slept {
            stat.halt_successful_wait += 1;
            stat.generic.halt_wait_ns += o.wait_ns;
            Self::add_hist(&mut stat.generic.halt_wait_hist, o.wait_ns);
            if o.polled {
                stat.generic.halt_poll_fail_ns += o.poll_ns;
                Self::add_hist(&mut stat.generic.halt_poll_fail_hist, o.poll_ns);
            }
        } else if o.polled {
            stat.generic.halt_successful_poll += 1;
            stat.generic.halt_poll_success_ns += o.block_ns;
            Self::add_hist(&mut stat.generic.halt_poll_success_hist, o.block_ns);
        }
    }

    fn wait_begin(&mut self) {
        // SAFETY: `vc` is valid (type invariant); `wait_end` finishes it.
        unsafe {
            bindings::prepare_to_rcuwait(&raw mut (*self.vc).wait);
            bindings::set_current_state(bindings::TASK_INTERRUPTIBLE);
        }
    }

    fn schedule(&mut self) {
        // SAFETY: process context, the vcore lock dropped by the caller.
        unsafe {
            trace::kvmppc_vcore_blocked(self.hv.as_ptr(), 0);
            bindings::schedule();
            trace::kvmppc_vcore_blocked(self.hv.as_ptr(), 1);
        }
    }

    fn wait_end(&mut self) {
        // SAFETY: pairs with `wait_begin`.
        unsafe { bindings::finish_rcuwait(&raw mut (*self.vc).wait) };
    }

    fn trace_wakeup(&mut self, slept: bool, block_ns: u64) {
        // SAFETY: a tracepoint; no other effect.
        unsafe { trace::kvmppc_vcore_wakeup(slept.into(), block_ns) };
    }
}

// The pure code's constants are the kernel's.
const _: () = {
    assert!(MAX_SMT_THREADS == bindings::MAX_SMT_THREADS as usize);
    assert!(VcoreState::Inactive as u32 == bindings::VCORE_INACTIVE);
    assert!(VcoreState::Preempt as u32 == bindings::VCORE_PREEMPT);
    assert!(VcoreState::Piggyback as u32 == bindings::VCORE_PIGGYBACK);
    assert!(VcoreState::Sleeping as u32 == bindings::VCORE_SLEEPING);
    assert!(VcoreState::Running as u32 == bindings::VCORE_RUNNING);
    assert!(VcoreState::Exiting as u32 == bindings::VCORE_EXITING);
    assert!(VcoreState::Polling as u32 == bindings::VCORE_POLLING);
};
