// SPDX-License-Identifier: GPL-2.0

//! `vcpu/vcore.rs` (the POWER8 run path) against a recording vcore: C's
//! order of steps, who is woken with what, the lock and interrupt pairing,
//! and the halt-poll arithmetic.

use crate::errno::Errno;
use crate::run::RESUME_GUEST;
use crate::vcore::{
    next_poll_ns, post_guest_process, prepare_threads, run_core, run_vcpu, set_timer, CoreReady,
    HaltOutcome, IrqsOff, Locked, PollParams, Ptid, Vcore, VcoreState, MAX_SMT_THREADS,
};
use std::cell::Cell;

const EINTR: i32 = Errno::EINTR.to_ret();
const EBUSY: i32 = Errno::EBUSY.to_ret();
/// What a handled exit returns to go back to userspace (RESUME_HOST).
const HOST: i32 = 2;

#[derive(Clone, Default)]
struct Vcpu {
    on_list: bool,
    runnable: bool,
    signal: bool,
    ceded: bool,
    /// Becomes ceded in the guest (an H_CEDE handled in real mode).
    cedes_in_guest: bool,
    woken: bool,
    vpa_pending: bool,
    trap: u32,
    /// The trap its guest exits with.
    exit_trap: u32,
    /// What `handle_exit` returns for it, first from `exit_rets`.
    exit_ret: i32,
    exit_rets: Vec<i32>,
    ret: i32,
    exceptions: bool,
    dec_expires: u64,
    dec_pending: bool,
    signal_exits: u32,
    woken_up: u32,
    started: bool,
}

/// What happens while I wait in `wait_for_exec`.
#[derive(Clone, Copy)]
enum OnWait {
    /// Another runner ran me: my exit came back with this ret.
    RunnerDone(i32),
    /// A signal arrived.
    Signal,
}

#[derive(Default)]
struct Mock {
    me: Ptid,
    v: Vec<Vcpu>,
    state: i32,
    exiting: bool,
    runner: bool,
    n_runnable: usize,
    locked: bool,
    irqs_off: bool,
    preempt_off: bool,
    mmu_ready: bool,
    mmu_err: Option<Errno>,
    fail: Option<i32>,
    work: bool,
    /// `disable_irqs` reports pending work this many times.
    irq_pending: u32,
    controlled: usize,
    grab_ok: bool,
    grabbed: bool,
    on_wait: Vec<OnWait>,
    halt_poll_ns: u32,
    params: PollParams,
    /// The clock: advances `tick` at each read while polling.
    now: Cell<i64>,
    tick: i64,
    polling: bool,
    /// Vcpu `t` is woken after `n` clock reads while polling.
    wake_after_polls: Option<(Ptid, u32)>,
    polls: Cell<u32>,
    /// Vcpu `t` is woken while the runner sleeps.
    wake_on_schedule: Option<Ptid>,
    halts: Vec<HaltOutcome>,
    tb: u64,
    log: Vec<String>,
}

impl Mock {
    fn new(n: usize, me: Ptid) -> Self {
        let v = vec![
            Vcpu {
                exit_trap: 0xc00,
                exit_ret: HOST,
                dec_expires: 1_000_000,
                ..Default::default()
            };
            n
        ];
        Mock {
            me,
            v,
            mmu_ready: true,
            controlled: 2,
            grab_ok: true,
            params: PollParams {
                max: 10_000,
                grow: 2,
                grow_start: 1_000,
                shrink: 0,
            },
            tick: 100,
            tb: 500,
            ..Default::default()
        }
    }
    /// Vcpu `t` has joined already and waits for a runner.
    fn waiting(mut self, t: Ptid) -> Self {
        self.v[t].on_list = true;
        self.v[t].runnable = true;
        self.n_runnable += 1;
        self
    }
    fn push(&mut self, s: impl Into<String>) {
        self.log.push(s.into());
    }
    fn has(&self, s: &str) -> bool {
        self.log.iter().any(|l| l == s)
    }
    fn pos(&self, s: &str) -> usize {
        self.log
            .iter()
            .position(|l| l == s)
            .unwrap_or_else(|| panic!("no step {s} in {:?}", self.log))
    }
    fn balanced(&self) {
        assert!(!self.locked, "vcore lock left held");
        assert!(!self.irqs_off, "interrupts left off");
        assert!(!self.preempt_off, "preemption left off");
        assert!(!self.grabbed, "threads left grabbed");
    }
}

impl Vcore for Mock {
    fn me(&self) -> Ptid {
        self.me
    }
    fn trace_run(&mut self, exit: bool) {
        self.push(if exit { "trace_run_exit" } else { "trace_run" });
    }
    fn begin(&mut self) {
        let me = self.me;
        self.v[me].ret = RESUME_GUEST;
        self.v[me].trap = 0;
        self.push("begin");
    }
    fn lock(&mut self) {
        assert!(!self.locked, "lock taken twice");
        self.locked = true;
    }
    fn unlock(&mut self, _held: Locked) {
        assert!(self.locked, "unlock without lock");
        self.locked = false;
    }
    fn join(&mut self) {
        assert!(self.locked);
        let me = self.me;
        self.v[me].ceded = false;
        self.v[me].runnable = true;
        self.v[me].on_list = true;
        self.n_runnable += 1;
        self.push("join");
    }
    fn signal_pending(&self) -> bool {
        self.v[self.me].signal
    }
    fn state(&self) -> VcoreState {
        VcoreState::of(self.state)
    }
    fn set_state(&mut self, state: VcoreState) {
        assert!(self.locked, "state changed without the lock");
        self.state = state as i32;
    }
    fn exiting(&self) -> bool {
        self.exiting
    }
    fn wake_runner(&mut self) {
        self.push("wake_runner");
    }
    fn mmu_ready(&self) -> bool {
        self.mmu_ready
    }
    fn setup_mmu(&mut self) -> Result<(), Errno> {
        assert!(!self.locked, "MMU set up under the vcore lock");
        self.push("setup_mmu");
        match self.mmu_err {
            Some(e) => Err(e),
            None => {
                self.mmu_ready = true;
                Ok(())
            }
        }
    }
    fn fail_entry(&mut self, err: Errno) {
        self.fail = Some(err.to_ret());
        let me = self.me;
        self.v[me].ret = err.to_ret();
    }
    fn no_runner(&self) -> bool {
        !self.runner
    }
    fn set_runner(&mut self, me: bool) {
        assert!(self.locked);
        self.runner = me;
    }
    fn preempt(&mut self) {
        self.state = VcoreState::Preempt as i32;
        self.push("preempt");
    }
    fn end_preempt(&mut self) {
        self.state = VcoreState::Inactive as i32;
        self.push("end_preempt");
    }
    fn wait_for_exec(&mut self, _held: &Locked, interruptible: bool) {
        assert!(self.locked);
        self.push(if interruptible {
            "wait"
        } else {
            "wait_uninterruptible"
        });
        let me = self.me;
        match self.on_wait.pop().expect("waited with nothing scripted") {
            OnWait::RunnerDone(r) => {
                self.v[me].runnable = false;
                self.v[me].on_list = false;
                self.n_runnable -= 1;
                self.v[me].ret = r;
                self.state = VcoreState::Inactive as i32;
            }
            OnWait::Signal => self.v[me].signal = true,
        }
    }
    fn n_runnable(&self) -> usize {
        self.n_runnable
    }
    fn work_pending(&self) -> bool {
        self.work
    }
    fn handle_work(&mut self) {
        assert!(!self.locked);
        self.work = false;
        self.push("handle_work");
    }
    fn runnable(&self, t: Ptid) -> bool {
        t < self.v.len() && self.v[t].on_list
    }
    fn state_runnable(&self, t: Ptid) -> bool {
        self.v[t].runnable
    }
    fn task_signal_pending(&self, t: Ptid) -> bool {
        self.v[t].signal
    }
    fn prepare_to_enter(&mut self, t: Ptid) {
        self.push(format!("prepare_to_enter {t}"));
    }
    fn remove_runnable(&mut self, t: Ptid) {
        assert!(self.locked);
        assert!(self.v[t].on_list);
        self.v[t].on_list = false;
        self.v[t].runnable = false;
        self.n_runnable -= 1;
        self.push(format!("remove {t}"));
    }
    fn wake(&mut self, t: Ptid) {
        self.v[t].woken_up += 1;
        self.push(format!("wake {t}"));
    }
    fn signal_exit(&mut self, t: Ptid) {
        self.v[t].signal_exits += 1;
    }
    fn set_ret(&mut self, t: Ptid, r: i32) {
        self.v[t].ret = r;
    }
    fn ret(&self, t: Ptid) -> i32 {
        self.v[t].ret
    }
    fn woken(&self, t: Ptid) -> bool {
        self.v[t].woken
            || self
                .wake_after_polls
                .is_some_and(|(w, n)| w == t && self.polls.get() >= n)
    }
    fn ceded(&self, t: Ptid) -> bool {
        self.v[t].ceded
    }
    fn clear_ceded(&mut self, t: Ptid) {
        self.v[t].ceded = false;
        self.polling = false;
    }
    fn vpa_update_pending(&self, t: Ptid) -> bool {
        self.v[t].vpa_pending
    }
    fn trap(&self, t: Ptid) -> u32 {
        self.v[t].trap
    }
    fn clear_trap(&mut self, t: Ptid) {
        self.v[t].trap = 0;
    }
    fn handle_exit(&mut self, t: Ptid) -> i32 {
        assert!(!self.locked, "exit handled under the vcore lock");
        self.push(format!("handle_exit {t}"));
        let v = &mut self.v[t];
        if v.exit_rets.is_empty() {
            v.exit_ret
        } else {
            v.exit_rets.remove(0)
        }
    }
    fn exceptions_pending(&self, t: Ptid) -> bool {
        self.v[t].exceptions
    }
    fn timebase(&self) -> u64 {
        self.tb
    }
    fn dec_expires(&self, t: Ptid) -> u64 {
        self.v[t].dec_expires
    }
    fn dec_pending(&self, t: Ptid) -> bool {
        self.v[t].dec_pending
    }
    fn dequeue_dec(&mut self, t: Ptid) {
        self.v[t].dec_pending = false;
        self.push(format!("dequeue_dec {t}"));
    }
    fn queue_dec(&mut self, t: Ptid) {
        self.v[t].dec_pending = true;
        self.push(format!("queue_dec {t}"));
    }
    fn start_timer(&mut self, t: Ptid, ticks: u64) {
        self.push(format!("start_timer {t} {ticks}"));
    }
    fn trace_guest(&mut self, t: Ptid, exit: bool) {
        self.push(format!("trace_guest {t} {exit}"));
    }
    fn reset_for_run(&mut self) {
        self.exiting = false;
        self.push("reset_for_run");
    }
    fn controlled_threads(&self) -> usize {
        self.controlled
    }
    fn num_threads(&self) -> usize {
        self.v.len()
    }
    fn grab_threads(&mut self) -> bool {
        self.push("grab");
        self.grabbed = self.grab_ok;
        self.grab_ok
    }
    fn release_threads(&mut self, n: usize) {
        assert_eq!(n, self.controlled);
        self.grabbed = false;
        self.push("release");
    }
    fn disable_irqs(&mut self) -> bool {
        assert!(self.locked);
        self.irqs_off = true;
        self.push("irqs_off");
        if self.irq_pending > 0 {
            self.irq_pending -= 1;
            return true;
        }
        false
    }
    fn enable_irqs(&mut self, _irqs: IrqsOff) {
        self.irqs_off = false;
        self.push("irqs_on");
    }
    fn prepare_core(&mut self, _held: &Locked, _irqs: &IrqsOff, n: usize) {
        assert!(self.irqs_off && (self.grabbed || self.controlled == 1));
        self.preempt_off = true;
        self.push(format!("prepare_core {n}"));
    }
    fn start_thread(&mut self, t: Option<Ptid>) {
        // Under the lock; interrupts are on when joining a running vcore.
        assert!(self.locked);
        match t {
            Some(t) => {
                self.v[t].started = true;
                self.push(format!("start {t}"));
            }
            None => self.push("start idle 0"),
        }
    }
    fn update_vpa_dispatch(&mut self, t: Ptid) {
        self.push(format!("vpa_dispatch {t}"));
    }
    fn trace_core_enter(&mut self) {
        self.push("trace_core_enter");
    }
    fn enter(&mut self, _irqs: &IrqsOff, _core: &CoreReady) -> u32 {
        assert!(!self.locked && self.irqs_off && self.preempt_off);
        assert_eq!(self.state(), VcoreState::Running);
        self.push("enter");
        for v in self.v.iter_mut().filter(|v| v.started) {
            v.trap = v.exit_trap;
            v.ceded |= std::mem::take(&mut v.cedes_in_guest);
            v.started = false;
        }
        self.exiting = true;
        0x500
    }
    fn exit_core(&mut self, _irqs: IrqsOff, n: usize) {
        assert_eq!(self.state(), VcoreState::Exiting);
        self.irqs_off = false;
        self.push(format!("exit_core {n}"));
    }
    fn core_end(&mut self, _core: CoreReady, _held: Locked) {
        assert!(self.locked && self.preempt_off);
        self.locked = false;
        self.preempt_off = false;
        self.push("core_end");
    }
    fn trace_core_exit(&mut self) {
        self.push("trace_core_exit");
    }
    fn halt_poll_ns(&self) -> u32 {
        self.halt_poll_ns
    }
    fn set_halt_poll_ns(&mut self, ns: u32) {
        self.halt_poll_ns = ns;
    }
    fn poll_params(&self) -> PollParams {
        self.params
    }
    fn now_ns(&self) -> i64 {
        if self.polling {
            self.now.set(self.now.get() + self.tick);
            self.polls.set(self.polls.get() + 1);
        }
        self.now.get()
    }
    fn can_poll(&self, now: i64, stop: i64) -> bool {
        now < stop
    }
    fn count_poll_attempt(&mut self) {
        self.push("poll_attempt");
        self.polling = true;
    }
    fn account_halt(&mut self, outcome: &HaltOutcome) {
        self.halts.push(*outcome);
    }
    fn wait_begin(&mut self) {
        self.push("wait_begin");
    }
    fn schedule(&mut self) {
        assert!(!self.locked);
        assert_eq!(self.state(), VcoreState::Sleeping);
        self.push("schedule");
        self.now.set(self.now.get() + 50_000);
        // Woken by the vcpu's timer or a prod.
        if let Some(t) = self.wake_on_schedule {
            self.v[t].woken = true;
        }
    }
    fn wait_end(&mut self) {
        self.push("wait_end");
    }
    fn trace_wakeup(&mut self, slept: bool, _block_ns: u64) {
        self.push(format!("wakeup slept={slept}"));
    }
}

#[test]
fn one_vcpu_hcall_exit_runs_the_core_and_returns_its_ret() {
    let mut m = Mock::new(1, 0);
    m.controlled = 1;
    let r = run_vcpu(&mut m);
    assert_eq!(r, HOST);
    m.balanced();
    assert!(!m.has("grab"), "a one-thread core grabs nothing");
    // C's order: join, prepare, irqs off, start, enter, nap, exit handled,
    // removed and woken, and the vcore inactive again.
    let order = [
        "begin",
        "join",
        "prepare_to_enter 0",
        "irqs_off",
        "prepare_core 1",
        "start 0",
        "vpa_dispatch 0",
        "trace_core_enter",
        "enter",
        "exit_core 1",
        "release",
        "core_end",
        "handle_exit 0",
        "remove 0",
        "wake 0",
        "trace_core_exit",
        "trace_run_exit",
    ];
    let pos: Vec<usize> = order.iter().map(|s| m.pos(s)).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{:?}", m.log);
    assert_eq!(m.state(), VcoreState::Inactive);
    assert_eq!(m.n_runnable, 0);
}

#[test]
fn runner_runs_every_runnable_thread_and_handles_their_exits() {
    // I am thread 1; thread 0 joined before and waits. Thread 0's exit
    // resumes the guest (an in-kernel hcall): it stays runnable.
    let mut m = Mock::new(2, 1).waiting(0);
    m.v[0].exit_ret = RESUME_GUEST;
    let r = run_vcpu(&mut m);
    assert_eq!(r, HOST);
    m.balanced();
    assert!(m.pos("grab") < m.pos("start 0"));
    assert!(m.pos("start 0") < m.pos("start 1"));
    assert!(!m.has("start idle 0"));
    assert!(m.has("handle_exit 0") && m.has("handle_exit 1"));
    assert!(
        m.v[0].runnable && m.v[0].on_list,
        "thread 0 resumes the guest"
    );
    assert_eq!(m.v[0].ret, RESUME_GUEST);
    // I leave with vcpus still runnable: one of them is woken to run it.
    assert_eq!(m.log.iter().filter(|l| *l == "wake 0").count(), 1);
    assert_eq!(m.log.last().unwrap(), "trace_run_exit");
}

#[test]
fn the_core_first_thread_enters_even_without_a_vcpu() {
    let mut m = Mock::new(2, 1);
    run_vcpu(&mut m);
    assert!(m.has("start idle 0"));
    assert!(m.pos("start 1") < m.pos("start idle 0"));
    m.balanced();
}

#[test]
fn a_vcpu_with_a_signal_is_sent_back_before_entry() {
    let mut m = Mock::new(2, 0).waiting(1);
    m.v[1].signal = true;
    run_vcpu(&mut m);
    assert_eq!(m.v[1].ret, EINTR);
    assert_eq!(m.v[1].signal_exits, 1);
    assert!(m.pos("remove 1") < m.pos("wake 1"));
    assert!(m.pos("wake 1") < m.pos("enter"));
    assert!(!m.has("start 1"));
    m.balanced();
}

#[test]
fn my_own_signal_ends_the_run_with_eintr() {
    let mut m = Mock::new(1, 0);
    m.v[0].signal = true;
    let r = run_vcpu(&mut m);
    assert_eq!(r, EINTR);
    assert_eq!(m.v[0].signal_exits, 1);
    assert!(!m.has("enter"));
    assert_eq!(m.n_runnable, 0);
    m.balanced();
}

#[test]
fn online_secondary_threads_fail_every_vcpu_with_ebusy() {
    let mut m = Mock::new(2, 0).waiting(1);
    m.grab_ok = false;
    let r = run_vcpu(&mut m);
    assert_eq!(r, EBUSY);
    assert_eq!(m.v[1].ret, EBUSY);
    assert!(m.has("wake 1"));
    assert!(!m.has("irqs_off") && !m.has("enter"));
    assert_eq!(m.state(), VcoreState::Inactive);
    m.balanced();
}

#[test]
fn a_vcore_larger_than_the_subcore_fails_with_ebusy_without_grabbing() {
    let mut m = Mock::new(4, 0);
    m.controlled = 2;
    let r = run_vcpu(&mut m);
    assert_eq!(r, EBUSY);
    assert!(!m.has("grab"));
    m.balanced();
}

#[test]
fn pending_interrupt_at_entry_gives_the_core_up_and_tries_again() {
    let mut m = Mock::new(1, 0);
    m.irq_pending = 1;
    let r = run_vcpu(&mut m);
    assert_eq!(r, HOST);
    // The first attempt released the threads with interrupts on again.
    let first_release = m.pos("release");
    assert!(m.pos("irqs_on") < first_release);
    assert!(first_release < m.pos("enter"));
    assert_eq!(m.log.iter().filter(|l| *l == "grab").count(), 2);
    m.balanced();
}

#[test]
fn work_pending_is_handled_without_the_lock_then_the_core_runs() {
    let mut m = Mock::new(1, 0);
    m.work = true;
    run_vcpu(&mut m);
    assert!(m.pos("preempt") < m.pos("handle_work"));
    assert!(m.pos("handle_work") < m.pos("end_preempt"));
    assert!(m.pos("end_preempt") < m.pos("enter"));
    m.balanced();
}

#[test]
fn joining_a_running_vcore_starts_my_thread_at_once_and_waits() {
    let mut m = Mock::new(2, 1).waiting(0);
    m.state = VcoreState::Running as i32;
    m.runner = true;
    m.on_wait = vec![OnWait::RunnerDone(HOST)];
    let r = run_vcpu(&mut m);
    assert_eq!(r, HOST);
    assert!(m.pos("join") < m.pos("vpa_dispatch 1"));
    assert!(m.pos("vpa_dispatch 1") < m.pos("start 1"));
    assert!(m.pos("start 1") < m.pos("wait"));
    assert!(!m.has("enter"), "the other runner entered, not me");
}

#[test]
fn joining_an_exiting_vcore_waits_without_starting() {
    let mut m = Mock::new(2, 1).waiting(0);
    m.state = VcoreState::Running as i32;
    m.exiting = true;
    m.runner = true;
    m.on_wait = vec![OnWait::RunnerDone(HOST)];
    run_vcpu(&mut m);
    assert!(!m.has("start 1"));
    assert!(m.has("wait"));
}

#[test]
fn joining_a_sleeping_vcore_wakes_its_runner() {
    let mut m = Mock::new(2, 1).waiting(0);
    m.state = VcoreState::Sleeping as i32;
    m.runner = true;
    m.on_wait = vec![OnWait::RunnerDone(HOST)];
    run_vcpu(&mut m);
    assert!(m.pos("join") < m.pos("wake_runner"));
}

#[test]
fn a_signal_while_waiting_for_the_runner_ends_with_eintr() {
    let mut m = Mock::new(2, 1).waiting(0);
    m.state = VcoreState::Preempt as i32;
    m.runner = true;
    m.on_wait = vec![OnWait::Signal];
    let r = run_vcpu(&mut m);
    assert_eq!(r, EINTR);
    assert_eq!(m.v[1].signal_exits, 1);
    assert!(!m.v[1].on_list);
}

#[test]
fn mmu_set_up_failure_is_reported_not_taken_for_a_signal_exit() {
    // Before patch 0019, kvmppc_run_vcpu() broke out with the vcpu still
    // RUNNABLE, and its tail reported KVM_EXIT_INTR / EINTR instead.
    let mut m = Mock::new(1, 0);
    m.mmu_ready = false;
    m.mmu_err = Errno::from_ret(-12);
    let r = run_vcpu(&mut m);
    assert_eq!(m.fail, Some(-12));
    assert_eq!(r, -12);
    assert_eq!(m.v[0].signal_exits, 0);
    assert!(!m.v[0].on_list);
    m.balanced();
}

#[test]
fn every_vcpu_ceded_blocks_the_vcore_until_one_is_woken() {
    let mut m = Mock::new(1, 0);
    // The guest cedes (handled in real mode, the exit resumes it), the
    // vcore sleeps until the vcpu's timer wakes it, then the next exit
    // goes to userspace.
    m.v[0].cedes_in_guest = true;
    m.v[0].exit_rets = vec![RESUME_GUEST];
    m.wake_on_schedule = Some(0);
    let r = run_vcpu(&mut m);
    assert_eq!(r, HOST);
    assert!(m.has("start_timer 0 999500"), "{:?}", m.log);
    assert!(m.pos("start_timer 0 999500") < m.pos("wait_begin"));
    assert!(m.pos("wait_begin") < m.pos("schedule"));
    assert!(m.pos("schedule") < m.pos("wait_end"));
    assert!(m.has("wakeup slept=true"));
    assert_eq!(m.log.iter().filter(|l| *l == "enter").count(), 2);
    assert_eq!(m.halts.len(), 1);
    assert!(m.halts[0].slept && !m.halts[0].polled);
    assert_eq!(m.halts[0].wait_ns, 50_000);
    assert!(!m.v[0].ceded, "woken: no longer ceded");
    m.balanced();
}

#[test]
fn a_successful_poll_does_not_sleep() {
    let mut m = Mock::new(1, 0);
    m.halt_poll_ns = 5_000;
    m.v[0].cedes_in_guest = true;
    m.v[0].exit_rets = vec![RESUME_GUEST];
    m.wake_after_polls = Some((0, 3));
    let r = run_vcpu(&mut m);
    assert_eq!(r, HOST);
    assert!(m.has("poll_attempt"));
    assert!(!m.has("schedule"));
    assert_eq!(m.halts.len(), 1);
    let h = m.halts[0];
    assert!(!h.slept && h.polled);
    assert_eq!(h.block_ns, 300, "three clock reads of 100 ns");
    // The poll caught it: the poll time stays.
    assert_eq!(m.halt_poll_ns, 5_000);
    m.balanced();
}

#[test]
fn woken_before_sleeping_counts_as_a_successful_poll() {
    let mut m = Mock::new(1, 0);
    m.halt_poll_ns = 5_000;
    m.v[0].on_list = true;
    m.v[0].runnable = true;
    m.n_runnable = 1;
    m.v[0].ceded = true;
    m.v[0].woken = true;
    m.runner = true;
    let held = crate::vcore::lock(&mut m);
    let _held = crate::vcore::vcore_blocked(&mut m, held);
    assert!(m.locked);
    assert!(!m.has("schedule"));
    assert_eq!(m.halts.len(), 1);
    assert!(!m.halts[0].slept && m.halts[0].polled);
    assert_eq!(m.state(), VcoreState::Inactive);
}

#[test]
fn poll_time_adapts_as_c_does() {
    let p = PollParams {
        max: 10_000,
        grow: 2,
        grow_start: 1_000,
        shrink: 0,
    };
    // Caught by the poll: unchanged.
    assert_eq!(next_poll_ns(4_000, 3_000, &p), 4_000);
    // Short block, no poll yet: start polling.
    assert_eq!(next_poll_ns(0, 5_000, &p), 1_000);
    // Short block longer than the poll: grow.
    assert_eq!(next_poll_ns(2_000, 5_000, &p), 4_000);
    assert_eq!(
        next_poll_ns(8_000, 9_000, &p),
        10_000,
        "capped at the limit"
    );
    // Longer than the limit: shrink (shrink 0: stop polling).
    assert_eq!(next_poll_ns(4_000, 20_000, &p), 0);
    let halve = PollParams { shrink: 2, ..p };
    assert_eq!(next_poll_ns(4_000, 20_000, &halve), 2_000);
    // A long block without a poll leaves it off.
    assert_eq!(next_poll_ns(0, 20_000, &p), 0);
    // No growth factor: unchanged.
    let nogrow = PollParams { grow: 0, ..p };
    assert_eq!(next_poll_ns(2_000, 5_000, &nogrow), 2_000);
    // Polling disabled.
    let off = PollParams { max: 0, ..p };
    assert_eq!(next_poll_ns(4_000, 1_000, &off), 0);
}

#[test]
fn post_guest_process_dequeues_a_stale_decrementer_and_arms_ceded_timers() {
    let mut m = Mock::new(2, 0).waiting(0).waiting(1);
    m.tb = 1_000;
    // Thread 0: DEC positive again with one queued: stale.
    m.v[0].dec_expires = 5_000;
    m.v[0].dec_pending = true;
    m.v[0].trap = 0x980;
    m.v[0].exit_ret = RESUME_GUEST;
    m.v[0].ceded = true;
    // Thread 1: ceded with its DEC already expired: queued now.
    m.v[1].dec_expires = 900;
    m.v[1].trap = 0;
    m.v[1].ceded = true;
    let _held = post_guest_process(&mut m);
    assert!(m.has("dequeue_dec 0"));
    assert!(m.has("start_timer 0 4000"));
    assert!(m.has("queue_dec 1") && m.has("prepare_to_enter 1"));
    assert!(!m.has("handle_exit 1"), "no trap, no exit to handle");
    assert_eq!(m.v[1].ret, RESUME_GUEST);
    assert!(m.v[0].on_list && m.v[1].on_list);
    assert!(m.locked, "returns with the vcore lock held");
}

#[test]
fn prepare_threads_sends_back_signals_and_vpa_updates() {
    let mut m = Mock::new(3, 0).waiting(0).waiting(1).waiting(2);
    m.v[1].signal = true;
    m.v[2].vpa_pending = true;
    m.locked = true;
    prepare_threads(&mut m);
    assert_eq!(m.v[1].ret, EINTR);
    assert_eq!(m.v[2].ret, RESUME_GUEST);
    assert!(m.v[0].on_list && !m.v[1].on_list && !m.v[2].on_list);
    assert!(m.has("wake 1") && m.has("wake 2"));
}

#[test]
fn run_core_returns_at_once_when_the_runner_is_no_longer_runnable() {
    let mut m = Mock::new(2, 0).waiting(0);
    m.v[0].signal = true;
    let held = crate::vcore::lock(&mut m);
    let _held = run_core(&mut m, held);
    assert!(!m.has("reset_for_run") && !m.has("grab"));
    assert!(m.locked);
}

#[test]
fn set_timer_queues_an_expired_decrementer() {
    let mut m = Mock::new(1, 0);
    m.tb = 10;
    m.v[0].dec_expires = 5;
    set_timer(&mut m, 0);
    assert!(m.has("queue_dec 0") && m.has("prepare_to_enter 0"));
    m.v[0].dec_expires = 110;
    set_timer(&mut m, 0);
    assert!(m.has("start_timer 0 100"));
}

#[test]
fn vcore_states_are_c_values() {
    for s in 0..7 {
        assert_eq!(VcoreState::of(s) as i32, s);
    }
    assert_eq!(VcoreState::of(42), VcoreState::Inactive);
    assert_eq!(MAX_SMT_THREADS, 8);
}
