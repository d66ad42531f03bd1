// SPDX-License-Identifier: GPL-2.0

//! Guest entry on POWER8: the decisions of `kvmppc_run_vcpu`,
//! `kvmppc_run_core` and their helpers.
//!
//! On POWER8 a guest runs a virtual core (vcore) at a time on a whole
//! physical core: the vcpus of one vcore are its threads and enter and leave
//! the guest together. Every vcpu thread in `KVM_RUN` joins its vcore's
//! runnable list ([`run_vcpu`]). One of them, the runner, takes the core:
//! it grabs the core's secondary threads, starts one thread per runnable
//! vcpu and enters the guest through the assembly entry code
//! ([`run_core`]); after the exit it handles every thread's exit
//! ([`post_guest_process`]) and wakes the vcpus that return to userspace.
//! The others wait. When every runnable vcpu has ceded, the runner polls,
//! then sleeps until one of them is woken ([`vcore_blocked`]).
//!
//! The vcore's lock is held wherever these functions say so, as in C. The
//! steps whose order the kernel needs are tokens only this file makes, as
//! for the POWER9 entry (`single.rs`): [`Locked`] (the vcore lock, from
//! [`lock`], given back to [`Vcore::unlock`]), [`IrqsOff`] (interrupts
//! hard-disabled, from [`disable_irqs`], given back to
//! [`Vcore::enable_irqs`] or [`Vcore::exit_core`]) and [`CoreReady`] (the
//! core prepared with preemption off, from [`prepare_core`], given back
//! with the lock to [`Vcore::core_end`]): the compiler refuses an unlock
//! without the lock, an entry without interrupts off and the core
//! prepared, or an end of the run that does not give both back. Vcpus are
//! named by their thread number in the vcore ([`Ptid`]). The kernel
//! implements [`Vcore`] on a real vcore (`vcpu/vcore_hv.rs`); the host tests
//! on a recording mock. This file uses only `core`.
//!
//! Not done here, as with kvm-hv's `dynamic_mt_modes=0`: running other VMs'
//! preempted vcores on the core's idle threads (piggybacking) and splitting
//! the core for them (micro-threading). Both are optimisations for several
//! VMs on one core; a vcore always runs alone on its core here.

use super::interrupt::dec_due_in;
use super::run::{Resume, RESUME_GUEST};
use crate::errno::Errno;
use core::marker::PhantomData;

/// `MAX_SMT_THREADS`: threads per core on POWER8, and vcpus per vcore.
pub(crate) const MAX_SMT_THREADS: usize = 8;

/// A vcpu's thread number in its vcore (`vcpu->arch.ptid`).
pub(crate) type Ptid = usize;

/// `vcore->vcore_state` (`VCORE_*` of `asm/kvm_host.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VcoreState {
    /// No thread runs or waits for the vcore.
    Inactive = 0,
    /// The runner was preempted, or a vcpu handles work in the host.
    Preempt = 1,
    /// Runs on another vcore's core (never set here).
    Piggyback = 2,
    /// Every runnable vcpu ceded; the runner sleeps.
    Sleeping = 3,
    /// In the guest.
    Running = 4,
    /// Back from the guest; the exits are being handled.
    Exiting = 5,
    /// Every runnable vcpu ceded; the runner polls.
    Polling = 6,
}

impl VcoreState {
    /// The state of a `vcore_state` value.
    pub(crate) fn of(v: i32) -> Self {
        match v {
            1 => Self::Preempt,
            2 => Self::Piggyback,
            3 => Self::Sleeping,
            4 => Self::Running,
            5 => Self::Exiting,
            6 => Self::Polling,
            _ => Self::Inactive,
        }
    }
}

/// What the tokens below hold: it keeps them on the thread that made them
/// (neither `Send` nor `Sync`), as the lock, the interrupts and the CPU are
/// that thread's. A token says what its maker did on this thread; that it
/// is given back to the same vcore is the pure code's (one vcore per run),
/// not the type's.
type NotSend = PhantomData<*mut ()>;

/// This thread holds the vcore's lock: made by [`lock`] only, given back
/// to [`Vcore::unlock`] or [`Vcore::core_end`].
#[must_use = "the vcore lock stays held until the token is given back"]
pub(crate) struct Locked(NotSend);

/// Interrupts are hard-disabled on this CPU: made by [`disable_irqs`] only,
/// given back to [`Vcore::enable_irqs`] or [`Vcore::exit_core`].
#[must_use = "interrupts stay off until the token is given back"]
pub(crate) struct IrqsOff(NotSend);

/// The core is prepared for the vcore, preemption off: made by
/// [`prepare_core`] only, given back to [`Vcore::core_end`].
#[must_use = "preemption stays off until the token is given back"]
pub(crate) struct CoreReady(NotSend);

/// Takes the vcore's lock.
pub(crate) fn lock<V: Vcore + ?Sized>(v: &mut V) -> Locked {
    v.lock();
    Locked(PhantomData)
}

/// Hard-disables interrupts; also returns whether an interrupt or work is
/// pending, which the caller must give up the entry for.
pub(crate) fn disable_irqs<V: Vcore + ?Sized>(v: &mut V) -> (IrqsOff, bool) {
    let pending = v.disable_irqs();
    (IrqsOff(PhantomData), pending)
}

/// Prepares the core for the vcore's first `n` threads (see
/// [`Vcore::prepare_core`]).
pub(crate) fn prepare_core<V: Vcore + ?Sized>(
    v: &mut V,
    held: &Locked,
    irqs: &IrqsOff,
    n: usize,
) -> CoreReady {
    v.prepare_core(held, irqs, n);
    CoreReady(PhantomData)
}

/// The halt-polling parameters of kvm.ko (`halt_poll_ns*` module
/// parameters), read once per block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PollParams {
    /// `halt_poll_ns`: the longest a vcore polls (0: never).
    pub(crate) max: u32,
    /// `halt_poll_ns_grow`: the factor a too-short poll grows by.
    pub(crate) grow: u32,
    /// `halt_poll_ns_grow_start`: the first poll time.
    pub(crate) grow_start: u32,
    /// `halt_poll_ns_shrink`: the divisor a too-long block shrinks by.
    pub(crate) shrink: u32,
}

/// How a block of the vcore ended, for the runner's halt statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HaltOutcome {
    /// It slept (else a vcpu woke while polling or before sleeping).
    pub(crate) slept: bool,
    /// It polled first (the poll time was not 0).
    pub(crate) polled: bool,
    /// Nanoseconds from the start of the block to the start of the sleep.
    pub(crate) poll_ns: u64,
    /// Nanoseconds asleep.
    pub(crate) wait_ns: u64,
    /// Nanoseconds from the start of the block to its end.
    pub(crate) block_ns: u64,
}

/// The operations of the POWER8 run path on a vcore and its vcpus, in the
/// terms of the C functions and fields they stand for. "Me" is the vcpu
/// whose thread is in `KVM_RUN`; "thread `t`" is the vcpu at `t` in the
/// vcore (which is always the same vcpu).
pub(crate) trait Vcore {
    /// My thread number.
    fn me(&self) -> Ptid;
    /// `trace_kvmppc_run_vcpu_enter` (`exit` false) or `_exit` (true).
    fn trace_run(&mut self, exit: bool);
    /// My exit reason 0, `ret` `RESUME_GUEST`, `trap` 0; then
    /// `kvmppc_update_vpas`.
    fn begin(&mut self);
    /// `spin_lock(&vc->lock)`; the pure code calls it through [`lock`].
    fn lock(&mut self);
    /// `spin_unlock(&vc->lock)`.
    fn unlock(&mut self, held: Locked);
    /// Joins the vcore: not ceded, the stolen time so far logged, state
    /// `RUNNABLE`, `busy_preempt` nil, on the runnable list.
    fn join(&mut self);
    /// `signal_pending(current)`.
    fn signal_pending(&self) -> bool;
    /// `vc->vcore_state`.
    fn state(&self) -> VcoreState;
    /// Sets `vc->vcore_state`.
    fn set_state(&mut self, state: VcoreState);
    /// `VCORE_IS_EXITING`: a thread has left the guest.
    fn exiting(&self) -> bool;
    /// `rcuwait_wake_up(&vc->wait)`: wakes a sleeping runner.
    fn wake_runner(&mut self);
    /// `kvm->arch.mmu_ready`.
    fn mmu_ready(&self) -> bool;
    /// `kvmhv_setup_mmu` (called without the vcore lock).
    fn setup_mmu(&mut self) -> Result<(), Errno>;
    /// `KVM_EXIT_FAIL_ENTRY` with reason 0, and `err` as my `ret`.
    fn fail_entry(&mut self, err: Errno);
    /// `vc->runner == NULL`.
    fn no_runner(&self) -> bool;
    /// `vc->runner`: me (`true`) or nobody.
    fn set_runner(&mut self, me: bool);
    /// `kvmppc_vcore_preempt`: state `Preempt`, stolen time starts.
    fn preempt(&mut self);
    /// `kvmppc_vcore_end_preempt`: stolen time ends, state `Inactive`.
    fn end_preempt(&mut self);
    /// `kvmppc_wait_for_exec`: sleeps (dropping the vcore lock) until woken
    /// if I am still runnable.
    fn wait_for_exec(&mut self, held: &Locked, interruptible: bool);
    /// `vc->n_runnable`.
    fn n_runnable(&self) -> usize;
    /// `__xfer_to_guest_mode_work_pending`: a reschedule or task work.
    fn work_pending(&self) -> bool;
    /// `xfer_to_guest_mode_handle_work` (without the vcore lock).
    fn handle_work(&mut self);

    /// `vc->runnable_threads[t]` is set.
    fn runnable(&self, t: Ptid) -> bool;
    /// Thread `t`'s state is `KVMPPC_VCPU_RUNNABLE`.
    fn state_runnable(&self, t: Ptid) -> bool;
    /// A signal is pending for thread `t`'s task.
    fn task_signal_pending(&self, t: Ptid) -> bool;
    /// `kvmppc_core_prepare_to_enter` on thread `t`.
    fn prepare_to_enter(&mut self, t: Ptid);
    /// `kvmppc_remove_runnable`: `BUSY_IN_HOST`, off the runnable list.
    fn remove_runnable(&mut self, t: Ptid);
    /// `wake_up(&vcpu->arch.cpu_run)` for thread `t`.
    fn wake(&mut self, t: Ptid);
    /// Thread `t`'s signal exit: `signal_exits`, `KVM_EXIT_INTR`.
    fn signal_exit(&mut self, t: Ptid);
    /// Sets thread `t`'s `ret`.
    fn set_ret(&mut self, t: Ptid, r: i32);
    /// Thread `t`'s `ret`.
    fn ret(&self, t: Ptid) -> i32;
    /// `kvmppc_vcpu_woken`: an interrupt, a prod or a doorbell for `t`.
    fn woken(&self, t: Ptid) -> bool;
    /// Thread `t`'s `ceded`.
    fn ceded(&self, t: Ptid) -> bool;
    /// Clears thread `t`'s `ceded`.
    fn clear_ceded(&mut self, t: Ptid);
    /// A VPA, SLB shadow or DTL update is pending for thread `t`.
    fn vpa_update_pending(&self, t: Ptid) -> bool;
    /// Thread `t`'s `trap` (0: it did not enter).
    fn trap(&self, t: Ptid) -> u32;
    /// Clears thread `t`'s `trap`.
    fn clear_trap(&mut self, t: Ptid);
    /// `kvmppc_handle_exit_hv` for thread `t`.
    fn handle_exit(&mut self, t: Ptid) -> i32;
    /// Thread `t` has pending exceptions.
    fn exceptions_pending(&self, t: Ptid) -> bool;
    /// The timebase.
    fn timebase(&self) -> u64;
    /// When thread `t`'s decrementer expires, in host timebase.
    fn dec_expires(&self, t: Ptid) -> u64;
    /// A decrementer interrupt is queued for thread `t`.
    fn dec_pending(&self, t: Ptid) -> bool;
    /// `kvmppc_core_dequeue_dec` on thread `t`.
    fn dequeue_dec(&mut self, t: Ptid);
    /// `kvmppc_core_queue_dec` on thread `t`.
    fn queue_dec(&mut self, t: Ptid);
    /// Starts thread `t`'s decrementer timer, due in `ticks`.
    fn start_timer(&mut self, t: Ptid, ticks: u64);
    /// `trace_kvm_guest_enter` (`exit` false) or `_exit` (true) of `t`.
    fn trace_guest(&mut self, t: Ptid, exit: bool);

    /// `init_vcore_to_run`, and no preemption time: clears the entry/exit
    /// map and the in-guest, napping and conferring thread maps.
    fn reset_for_run(&mut self);
    /// `threads_per_vcore`: the threads the runner controls, on POWER8
    /// the whole subcore (`threads_per_subcore`).
    fn controlled_threads(&self) -> usize;
    /// `vc->num_threads`: the vcore's vcpus.
    fn num_threads(&self) -> usize;
    /// `on_primary_thread`: this CPU is its core's first thread, the
    /// others are offline, and grabbing them succeeded.
    fn grab_threads(&mut self) -> bool;
    /// `kvmppc_release_hwthread` of this CPU's first `n` threads: no longer
    /// requested, no vcpu, no vcore.
    fn release_threads(&mut self, n: usize);
    /// Hard-disables interrupts and prepares the guest-mode work check.
    /// Returns whether an interrupt or work is pending. The pure code calls
    /// it through [`disable_irqs`].
    fn disable_irqs(&mut self) -> bool;
    /// `local_irq_enable`.
    fn enable_irqs(&mut self, irqs: IrqsOff);
    /// Disables preemption (until `core_end`), marks this core out of the
    /// host for real-mode interrupt routing (`kvmppc_clear_host_core`),
    /// puts the vcore on this CPU (`vc->pcpu`), prepares the PACAs of this
    /// CPU's first `n` threads for entry (not napping, not split) and sets
    /// RWMR for the vcore's online vcpus. The pure code calls it through
    /// [`prepare_core`].
    fn prepare_core(&mut self, held: &Locked, irqs: &IrqsOff, n: usize);
    /// `kvmppc_start_thread`: thread `t` (or, `None`, the core's first
    /// thread without a vcpu) goes into the guest.
    fn start_thread(&mut self, t: Option<Ptid>);
    /// `kvmppc_update_vpa_dispatch` for thread `t`.
    fn update_vpa_dispatch(&mut self, t: Ptid);
    /// `trace_kvmppc_run_core` (enter).
    fn trace_core_enter(&mut self);
    /// Enters the guest on this thread through `__kvmppc_vcore_entry` with
    /// guest state and timing, and SRCU held, the task's user FP/VMX
    /// registers in its thread_struct again if a context switch since
    /// `save_host_state` made them live; returns the trap. The vcore lock is
    /// not held (the caller has given it back).
    fn enter(&mut self, irqs: &IrqsOff, core: &CoreReady) -> u32;
    /// Back from the guest: waits until this CPU's first `n` threads left
    /// it (`kvmppc_wait_for_nap`), marks the core in the host again
    /// (`kvmppc_set_host_core`), accounts the guest's time
    /// (`guest_timing_exit_irqoff`) and enables interrupts.
    fn exit_core(&mut self, irqs: IrqsOff, n: usize);
    /// Drops the vcore lock, then a full barrier (the other threads' vcpu
    /// state before their exits are handled) and preemption back on.
    fn core_end(&mut self, core: CoreReady, held: Locked);
    /// `trace_kvmppc_run_core` (exit).
    fn trace_core_exit(&mut self);

    /// The vcore's halt-poll time, `vc->halt_poll_ns`.
    fn halt_poll_ns(&self) -> u32;
    /// Sets `vc->halt_poll_ns`.
    fn set_halt_poll_ns(&mut self, ns: u32);
    /// kvm.ko's halt-polling parameters.
    fn poll_params(&self) -> PollParams;
    /// `ktime_get`, in nanoseconds.
    fn now_ns(&self) -> i64;
    /// `kvm_vcpu_can_poll`: polling may go on until `stop`.
    fn can_poll(&self, now: i64, stop: i64) -> bool;
    /// `halt_attempted_poll` of the runner (me).
    fn count_poll_attempt(&mut self);
    /// The runner's halt statistics for a block.
    fn account_halt(&mut self, outcome: &HaltOutcome);
    /// `prepare_to_rcuwait(&vc->wait)`, then `TASK_INTERRUPTIBLE`.
    fn wait_begin(&mut self);
    /// Sleeps (`schedule`) between the `vcore_blocked` tracepoints.
    fn schedule(&mut self);
    /// `finish_rcuwait(&vc->wait)`.
    fn wait_end(&mut self);
    /// `trace_kvmppc_vcore_wakeup`.
    fn trace_wakeup(&mut self, slept: bool, block_ns: u64);
}

/// The threads on the runnable list, from `after` on (C's
/// `next_runnable_thread`): each slot is read when reached, so a thread that
/// joins or leaves meanwhile is seen as C sees it.
fn next_runnable<V: Vcore + ?Sized>(v: &V, after: Option<Ptid>) -> Option<Ptid> {
    let from = after.map_or(0, |t| t + 1);
    (from..MAX_SMT_THREADS).find(|&t| v.runnable(t))
}

/// Runs `f` on each runnable thread, as C's `for_each_runnable_thread`.
fn for_each_runnable<V: Vcore + ?Sized>(v: &mut V, mut f: impl FnMut(&mut V, Ptid)) {
    let mut t = None;
    while let Some(n) = next_runnable(v, t) {
        f(v, n);
        t = Some(n);
    }
}

/// `kvmppc_run_vcpu`: runs my vcpu, as part of its vcore, until it must
/// return to userspace. Returns my `ret`.
pub(crate) fn run_vcpu<V: Vcore + ?Sized>(v: &mut V) -> i32 {
    let me = v.me();
    v.trace_run(false);
    v.begin();

    let mut held = lock(v);
    v.join();
    // If the vcore is already in the guest, this thread can join it there
    // straight away; a sleeping runner must look at the new vcpu.
    if !v.signal_pending() {
        match v.state() {
            VcoreState::Piggyback | VcoreState::Running if !v.exiting() => {
                v.update_vpa_dispatch(me);
                v.start_thread(Some(me));
                v.trace_guest(me, false);
            }
            VcoreState::Sleeping => v.wake_runner(),
            _ => {}
        }
    }

    while v.state_runnable(me) && !v.signal_pending() {
        if !v.mmu_ready() {
            v.unlock(held);
            let r = v.setup_mmu();
            held = lock(v);
            if let Err(e) = r {
                v.fail_entry(e);
                // Not a signal exit (C before patch 0019 took it for one).
                v.remove_runnable(me);
                break;
            }
        }
        if v.state() == VcoreState::Preempt && v.no_runner() {
            v.end_preempt();
        }
        if v.state() != VcoreState::Inactive {
            // Another thread runs the vcore: wait for it to run me.
            v.wait_for_exec(&held, true);
            continue;
        }
        for_each_runnable(v, |v, t| {
            v.prepare_to_enter(t);
            if v.task_signal_pending(t) {
                v.remove_runnable(t);
                v.signal_exit(t);
                v.set_ret(t, Errno::EINTR.to_ret());
                v.wake(t);
            }
        });
        if v.n_runnable() == 0 || !v.state_runnable(me) {
            break;
        }
        let mut n_ceded = 0;
        // C clears `ceded` of every woken thread; only a ceded one needs
        // the (out-of-line) wake-up check.
        for_each_runnable(v, |v, t| {
            if v.ceded(t) {
                if v.woken(t) {
                    v.clear_ceded(t);
                } else {
                    n_ceded += 1;
                }
            }
        });
        v.set_runner(true);
        if n_ceded == v.n_runnable() {
            held = vcore_blocked(v, held);
        } else if v.work_pending() {
            v.preempt();
            // Handling the work may schedule: not under the vcore lock.
            v.unlock(held);
            v.handle_work();
            held = lock(v);
            if v.state() == VcoreState::Preempt {
                v.end_preempt();
            }
        } else {
            held = run_core(v, held);
        }
        v.set_runner(false);
    }

    // Another thread may still run me in the guest: wait for the exit.
    while v.state_runnable(me)
        && matches!(
            v.state(),
            VcoreState::Running | VcoreState::Exiting | VcoreState::Piggyback
        )
    {
        v.wait_for_exec(&held, false);
    }
    if v.state() == VcoreState::Preempt && v.no_runner() {
        v.end_preempt();
    }
    if v.state_runnable(me) {
        // Left the loop for a signal.
        v.remove_runnable(me);
        v.signal_exit(me);
        v.set_ret(me, Errno::EINTR.to_ret());
    }
    if v.n_runnable() > 0 && v.state() == VcoreState::Inactive {
        // Somebody must run the vcore for the vcpus still in it.
        if let Some(t) = next_runnable(v, None) {
            v.wake(t);
        }
    }
    v.trace_run(true);
    v.unlock(held);
    v.ret(me)
}

/// `prepare_threads`: takes the threads with a pending signal (`-EINTR`) or
/// a pending VPA update (back to their own thread, which updates it) off
/// the runnable list. Called with the vcore lock held.
pub(crate) fn prepare_threads<V: Vcore + ?Sized>(v: &mut V) {
    for_each_runnable(v, |v, t| {
        let r = if v.task_signal_pending(t) {
            Errno::EINTR.to_ret()
        } else if v.vpa_update_pending(t) {
            RESUME_GUEST
        } else {
            return;
        };
        v.set_ret(t, r);
        v.remove_runnable(t);
        v.wake(t);
    });
}

/// `kvmppc_run_core`: runs the vcore's runnable threads on this core, with
/// me as the runner. Called and returns with the vcore lock held.
pub(crate) fn run_core<V: Vcore + ?Sized>(v: &mut V, held: Locked) -> Locked {
    let me = v.me();
    prepare_threads(v);
    // If I am no longer runnable, the caller picks a new runner.
    if !v.state_runnable(me) {
        return held;
    }
    v.reset_for_run();

    let controlled = v.controlled_threads();
    // The core's other threads must be offline and grabbed, and the vcore
    // must fit in a subcore.
    if controlled > 1 && (v.num_threads() > controlled || !v.grab_threads()) {
        for_each_runnable(v, |v, t| {
            v.set_ret(t, Errno::EBUSY.to_ret());
            v.remove_runnable(t);
            v.wake(t);
        });
        v.set_state(VcoreState::Inactive);
        v.trace_core_exit();
        return held;
    }

    // With interrupts hard-disabled: give up for an interrupt, work, a
    // signal or an MMU being reset.
    let (irqs, pending) = disable_irqs(v);
    if pending || recheck_signals_and_mmu(v) {
        v.enable_irqs(irqs);
        v.set_state(VcoreState::Inactive);
        v.release_threads(controlled);
        return held;
    }

    let core = prepare_core(v, &held, &irqs, controlled);

    let mut thr0_done = false;
    for_each_runnable(v, |v, t| {
        v.start_thread(Some(t));
        v.update_vpa_dispatch(t);
        v.trace_guest(t, false);
        thr0_done |= t == 0;
    });
    // The core's first thread enters even without a vcpu: it runs the
    // entry code for the others.
    if !thr0_done {
        v.start_thread(None);
    }

    v.set_state(VcoreState::Running);
    v.trace_core_enter();
    v.unlock(held);

    let _trap = v.enter(&irqs, &core);

    let held = lock(v);
    // No thread may start now (see `run_vcpu`).
    v.set_state(VcoreState::Exiting);
    // The other threads write their state back before they nap.
    v.exit_core(irqs, controlled);
    v.release_threads(controlled);
    v.core_end(core, held);

    let held = post_guest_process(v);

    v.set_state(VcoreState::Inactive);
    v.trace_core_exit();
    held
}

/// `recheck_signals_and_mmu`: the MMU is being reset or a runnable thread
/// has a signal pending.
fn recheck_signals_and_mmu<V: Vcore + ?Sized>(v: &V) -> bool {
    if !v.mmu_ready() {
        return true;
    }
    let mut t = None;
    while let Some(n) = next_runnable(v, t) {
        if v.task_signal_pending(n) {
            return true;
        }
        t = Some(n);
    }
    false
}

/// `post_guest_process` of the vcore that ran (the master): handles each
/// thread's exit; a thread that resumes the guest stays runnable (with its
/// timer started if it ceded), the others are woken to return to
/// userspace. Takes the vcore lock and returns with it held. (C drops it,
/// and the runner takes it again as soon as every vcore it ran is
/// processed, here the one: a thread that wants it meanwhile only waits
/// for the runner's next unlock instead.)
pub(crate) fn post_guest_process<V: Vcore + ?Sized>(v: &mut V) -> Locked {
    let mut held = lock(v);
    let now = v.timebase();
    let mut after = None;
    while let Some(t) = next_runnable(v, after) {
        after = Some(t);
        // The vcore is `Exiting`: a vcpu that joins now cannot enter, so
        // the lock may be dropped while the exit is handled.
        v.unlock(held);
        // The decrementer interrupt is stale if the DEC is positive again.
        if v.dec_pending(t) && now < v.dec_expires(t) {
            v.dequeue_dec(t);
        }
        v.trace_guest(t, true);
        let ret = if v.trap(t) != 0 {
            v.handle_exit(t)
        } else {
            RESUME_GUEST
        };
        v.set_ret(t, ret);
        v.clear_trap(t);

        held = lock(v);
        if Resume::of(ret) == Resume::Guest {
            if v.exceptions_pending(t) {
                v.prepare_to_enter(t);
            }
            if v.ceded(t) {
                set_timer(v, t);
            }
        } else {
            v.remove_runnable(t);
            v.wake(t);
        }
    }
    held
}

/// `kvmppc_set_timer`: arms thread `t`'s decrementer timer, or, if the
/// decrementer has already expired, queues the interrupt now.
pub(crate) fn set_timer<V: Vcore + ?Sized>(v: &mut V, t: Ptid) {
    match dec_due_in(v.timebase(), v.dec_expires(t)) {
        Some(ticks) => v.start_timer(t, ticks),
        None => {
            v.queue_dec(t);
            v.prepare_to_enter(t);
        }
    }
}

/// `kvmppc_vcore_check_block`: a runnable thread is no longer ceded, or is
/// woken.
fn vcore_check_block<V: Vcore + ?Sized>(v: &V) -> bool {
    let mut t = None;
    while let Some(n) = next_runnable(v, t) {
        if !v.ceded(n) || v.woken(n) {
            return true;
        }
        t = Some(n);
    }
    false
}

/// The vcore's next halt-poll time after a block of `block_ns`, as
/// `kvmppc_vcore_blocked` adapts it: grown when a block was shorter than
/// the limit but longer than the poll, shrunk when it was longer than the
/// limit, never above the limit, 0 without polling.
pub(crate) fn next_poll_ns(cur: u32, block_ns: u64, p: &PollParams) -> u32 {
    if p.max == 0 {
        return 0;
    }
    let max = u64::from(p.max);
    let mut ns = cur;
    if block_ns <= u64::from(cur) {
        // The poll would have caught it: keep.
    } else if cur != 0 && block_ns > max {
        // Shrink factor 0: stop polling.
        ns = cur.checked_div(p.shrink).unwrap_or(0);
    } else if cur < p.max && block_ns < max && p.grow != 0 {
        ns = cur.wrapping_mul(p.grow);
        if ns < p.grow_start {
            ns = p.grow_start;
        }
    }
    ns.min(p.max)
}

/// `kvmppc_vcore_blocked`: every runnable vcpu of the vcore has ceded, so
/// the runner (me) polls for up to the vcore's poll time, then sleeps until
/// one is woken. Called and returns with the vcore lock held.
pub(crate) fn vcore_blocked<V: Vcore + ?Sized>(v: &mut V, mut held: Locked) -> Locked {
    let start_poll = v.now_ns();
    let mut cur = start_poll;
    let mut start_wait = start_poll;
    let mut slept = true;
    let poll_ns = v.halt_poll_ns();

    if poll_ns != 0 {
        let stop = start_poll.saturating_add(i64::from(poll_ns));
        v.count_poll_attempt();
        v.set_state(VcoreState::Polling);
        v.unlock(held);
        loop {
            if vcore_check_block(v) {
                slept = false;
                break;
            }
            cur = v.now_ns();
            if !v.can_poll(cur, stop) {
                break;
            }
        }
        held = lock(v);
        v.set_state(VcoreState::Inactive);
    }

    if slept {
        v.wait_begin();
        if vcore_check_block(v) {
            v.wait_end();
            slept = false;
        } else {
            start_wait = v.now_ns();
            v.set_state(VcoreState::Sleeping);
            v.unlock(held);
            v.schedule();
            v.wait_end();
            held = lock(v);
            v.set_state(VcoreState::Inactive);
            cur = v.now_ns();
        }
    }

    let ns = |a: i64, b: i64| a.saturating_sub(b).max(0) as u64;
    let block_ns = ns(cur, start_poll);
    v.account_halt(&HaltOutcome {
        slept,
        polled: poll_ns != 0,
        poll_ns: ns(start_wait, start_poll),
        wait_ns: if slept { ns(cur, start_wait) } else { 0 },
        block_ns,
    });
    let params = v.poll_params();
    v.set_halt_poll_ns(next_poll_ns(poll_ns, block_ns, &params));
    v.trace_wakeup(slept, block_ns);
    held
}
