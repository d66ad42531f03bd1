// SPDX-License-Identifier: GPL-2.0

//! `vcpu/single.rs`: one guest entry on POWER9 and later, against a mock
//! that records every step, in `kvmhv_run_single_vcpu`'s order.

use super::errno::Errno;
use super::interrupt::vector;
use super::interrupt::MSR_EE;
use super::run::{RESUME_GUEST, RESUME_HOST};
use super::single::*;
use std::collections::VecDeque;

const TRAP_HCALL: u32 = vector::SYSCALL;
const TRAP_HDEC: u32 = 0x980;
const LPCR: u64 = 0x0040_0000_0000_f00d;

/// A guest exit: the trap, and what the exit handler then returns.
#[derive(Clone, Copy)]
struct Exit {
    trap: u32,
    handled: i32,
    /// The exit's timebase.
    tb: u64,
    r3: u64,
    /// The guest was in problem state.
    pr: bool,
}

fn exit(trap: u32, handled: i32) -> Exit {
    Exit {
        trap,
        handled,
        tb: 1000,
        r3: 0,
        pr: false,
    }
}

#[derive(Default)]
struct Mock {
    mmu_ready: bool,
    work: i32,
    /// Work turns up once interrupts are off (or an HPT reset starts).
    late_work: bool,
    late_mmu_reset: bool,
    external: bool,
    on_pseries: bool,
    msr: u64,
    timer_running: bool,
    exit: Option<Exit>,
    dec_pending: bool,
    dec_expires: u64,
    now: u64,
    /// Wake-ups the wait finds at each check: true = woken.
    wakes: VecDeque<bool>,
    signal_at: Option<usize>,
    checks: usize,
    ceded: bool,
    ret: i32,
    lpcr_entered: Option<u64>,
    claimed: bool,
    irqs_off: bool,
    log: Vec<String>,
    exit_reason: &'static str,
    signal_exits: u32,
    next_timer: u64,
    radix: bool,
    in_state: bool,
    in_guest: bool,
    time_limit: Option<u64>,
    trap_recorded: Option<u32>,
    r3: Option<u64>,
    yield_count: u32,
    escalation_pending: bool,
    xics_ret: i64,
    /// The vcpu is ceded when the guest exits (an H_CEDE handled by C).
    ceded_in_guest: bool,
    nestedv2: bool,
    /// The nested-v2 entry fails so.
    entry_error: Option<EntryError>,
    entry_failed: Option<EntryError>,
}

impl Mock {
    fn run_guest(&mut self, time_limit: u64, lpcr: u64, tb: &mut u64) -> u32 {
        assert!(self.claimed && self.irqs_off && self.in_state);
        assert_eq!(*tb, self.now);
        self.push("enter");
        self.time_limit = Some(time_limit);
        self.lpcr_entered = Some(lpcr);
        let e = self.exit.expect("no exit scripted");
        *tb = e.tb;
        self.ceded |= self.ceded_in_guest;
        e.trap
    }
    fn ready(exit: Exit) -> Self {
        Mock {
            mmu_ready: true,
            exit: Some(exit),
            dec_expires: 5000,
            now: 100,
            next_timer: u64::MAX,
            ..Default::default()
        }
    }
    fn push(&mut self, s: &str) {
        self.log.push(s.to_string());
    }
    fn steps(&self) -> Vec<&str> {
        self.log.iter().map(String::as_str).collect()
    }
}

impl P9Vcpu for Mock {
    fn trace_run(&mut self, exit: bool) {
        self.push(if exit {
            "trace_run_exit"
        } else {
            "trace_run_enter"
        });
    }
    fn begin(&mut self) {
        self.ret = RESUME_GUEST;
        self.ceded = false;
        self.exit_reason = "0";
        self.push("begin");
    }
    fn mmu_ready(&self) -> bool {
        self.mmu_ready
    }
    fn set_ret(&mut self, r: i32) {
        self.ret = r;
    }
    fn ret(&self) -> i32 {
        self.ret
    }
    fn handle_work(&mut self) -> Result<(), Errno> {
        self.push("handle_work");
        Errno::from_ret(self.work).map_or(Ok(()), Err)
    }
    fn update_vpas(&mut self) {
        self.push("update_vpas");
    }
    fn disable_preemption_and_irqs(&mut self) {
        assert!(!self.irqs_off);
        self.irqs_off = true;
        self.push("irqs_off");
        if self.late_mmu_reset {
            self.mmu_ready = false;
        }
    }
    fn work_pending(&self) -> bool {
        self.late_work
    }
    fn claim_cpu(&mut self, _irqs: &IrqsOff) {
        assert!(self.irqs_off, "claimed with interrupts on");
        self.claimed = true;
        self.push("claim");
    }
    fn prepare_to_enter(&mut self) {
        self.push("prepare");
    }
    fn external_pending(&self) -> bool {
        self.external
    }
    fn on_pseries(&self) -> bool {
        self.on_pseries
    }
    fn msr(&self) -> u64 {
        match self.exit {
            Some(e) if self.in_state && e.pr => self.msr | MSR_PR,
            _ => self.msr,
        }
    }
    fn inject_external(&mut self) {
        assert!(self.claimed, "injected before the vcpu was claimed");
        self.external = false;
        self.msr &= !MSR_EE;
        self.push("inject_external");
    }
    fn timer_running(&self) -> bool {
        self.timer_running
    }
    fn cancel_timer(&mut self) {
        self.timer_running = false;
        self.push("cancel_timer");
    }
    fn timebase(&self) -> u64 {
        self.now
    }
    fn update_vpa_dispatch(&mut self, tb: u64) {
        assert_eq!(tb, self.now);
        self.push("vpa_dispatch");
    }
    fn trace_guest(&mut self, exit: bool) {
        self.push(if exit {
            "trace_guest_exit"
        } else {
            "trace_guest_enter"
        });
    }
    fn guest_state_enter(&mut self, _claimed: &Claimed) {
        assert!(self.claimed && self.irqs_off);
        self.in_state = true;
        self.push("state_enter");
    }
    fn leave_guest(&mut self, _g: InGuest, trap: u32) {
        assert!(self.in_state && !self.in_guest && self.irqs_off);
        self.in_state = false;
        self.trap_recorded = Some(trap);
        self.push("state_exit");
        self.irqs_off = false;
        self.claimed = false;
        self.push("release_entered");
    }

    fn enter_nested(
        &mut self,
        _g: &InGuest,
        time_limit: u64,
        lpcr: u64,
        tb: &mut u64,
    ) -> Result<u32, EntryError> {
        self.push(if self.nestedv2 {
            "enter_nestedv2"
        } else {
            "enter_nestedv1"
        });
        if let Some(e) = self.entry_error {
            return Err(e);
        }
        let trap = self.run_guest(time_limit, lpcr, tb);
        if self.nestedv2 {
            Ok(trap)
        } else {
            nestedv1_result(trap)
        }
    }
    fn entry_failed(&mut self, e: EntryError) -> i32 {
        self.push("entry_failed");
        self.entry_failed = Some(e);
        match e {
            EntryError::Refused { .. } => RESUME_HOST,
            EntryError::Host(e) => e.to_ret(),
        }
    }
    fn next_timer(&self, _g: &InGuest) -> u64 {
        self.next_timer
    }
    fn increment_dispatch(&mut self) {
        self.yield_count += 1;
        self.push("dispatch++");
    }
    fn xive_push(&mut self, _g: &InGuest) {
        self.push("xive_push");
    }
    fn xive_pull(&mut self, _g: &InGuest) {
        self.push("xive_pull");
    }
    fn enter_p9(&mut self, _g: &InGuest, time_limit: u64, lpcr: u64, tb: &mut u64) -> u32 {
        // The boundary sets and clears cpu_in_guest around the entry.
        assert!(self.in_state);
        self.in_guest = true;
        self.push("in_guest");
        let trap = self.run_guest(time_limit, lpcr, tb);
        self.in_guest = false;
        self.push("not_in_guest");
        trap
    }
    fn set_gpr3(&mut self, r3: u64) {
        self.r3 = Some(r3);
    }
    fn cede(&mut self) {
        self.ceded = true;
        self.msr |= MSR_EE;
        self.push("cede");
    }
    fn xive_rearm_escalation(&mut self) -> bool {
        self.push("rearm");
        !self.escalation_pending
    }
    fn xics_hcall(&mut self, _req: u64) -> i64 {
        self.push("xics_hcall");
        self.xics_ret
    }
    fn radix(&self) -> bool {
        self.radix
    }
    fn clear_slb_max(&mut self) {
        self.push("slb_max=0");
    }
    fn release_cpu(&mut self, _irqs: IrqsOff) {
        assert!(self.irqs_off && !self.in_state);
        self.irqs_off = false;
        self.claimed = false;
        self.push("release");
    }
    fn dec_pending(&self) -> bool {
        self.dec_pending
    }
    fn dec_expires(&self) -> u64 {
        self.dec_expires
    }
    fn gpr3(&self) -> u64 {
        self.r3.unwrap_or_else(|| self.exit.map_or(0, |e| e.r3))
    }
    fn dequeue_dec(&mut self) {
        self.dec_pending = false;
        self.push("dequeue_dec");
    }
    fn queue_dec(&mut self) {
        self.dec_pending = true;
        self.push("queue_dec");
    }
    fn handle_exit(&mut self) -> i32 {
        assert!(!self.irqs_off, "exit handled with interrupts off");
        self.push("handle_exit");
        self.exit.unwrap().handled
    }
    fn check_block(&self) -> bool {
        !self.ceded || self.dec_pending
    }
    fn start_timer(&mut self, ticks: u64) {
        self.timer_running = true;
        self.log.push(format!("start_timer {ticks}"));
    }
    fn wait_begin(&mut self) {
        self.push("wait_begin");
    }
    fn set_interruptible(&mut self) {
        self.push("interruptible");
    }
    fn signal_pending(&self) -> bool {
        self.signal_at == Some(self.checks)
    }
    fn signal_exit(&mut self) {
        self.exit_reason = "INTR";
        self.signal_exits += 1;
        self.push("signal_exit");
    }
    fn schedule(&mut self) {
        self.push("schedule");
        self.checks += 1;
        if self.wakes.pop_front().unwrap_or(false) {
            self.ceded = false;
        }
    }
    fn wait_end(&mut self) {
        self.push("wait_end");
    }
    fn clear_ceded(&mut self) {
        self.ceded = false;
        self.push("clear_ceded");
    }
}

/// The steps of an entry on bare metal, up to the guest.
const ENTRY: [&str; 15] = [
    "trace_run_enter",
    "begin",
    "handle_work",
    "update_vpas",
    "irqs_off",
    "claim",
    "prepare",
    "vpa_dispatch",
    "trace_guest_enter",
    "state_enter",
    "clear_ceded",
    "dispatch++",
    "xive_push",
    "in_guest",
    "enter",
];

/// After the guest, up to the exit handler.
const EXIT: [&str; 7] = [
    "not_in_guest",
    "xive_pull",
    "dispatch++",
    "state_exit",
    "release_entered",
    "trace_guest_exit",
    "handle_exit",
];

fn entry_then(rest: &[&'static str]) -> Vec<&'static str> {
    ENTRY.iter().chain(&EXIT).chain(rest).copied().collect()
}

#[test]
fn an_hcall_exit_runs_every_step_in_c_order() {
    let mut m = Mock::ready(exit(TRAP_HCALL, RESUME_HOST));
    assert_eq!(run_single_vcpu(&mut m, !0, LPCR), RESUME_HOST);
    assert_eq!(m.steps(), entry_then(&["clear_ceded", "trace_run_exit"]));
    assert_eq!(m.lpcr_entered, Some(LPCR));
    assert!(!m.irqs_off);
}

#[test]
fn trap_0_resumes_the_guest_without_an_exit_handler() {
    let mut m = Mock::ready(exit(0, RESUME_HOST));
    assert_eq!(run_single_vcpu(&mut m, !0, LPCR), RESUME_GUEST);
    assert!(!m.steps().contains(&"handle_exit"));
}

#[test]
fn a_signal_in_the_work_check_returns_its_errno_unentered() {
    let mut m = Mock {
        work: Errno::EINTR.to_ret(),
        ..Mock::ready(exit(TRAP_HCALL, RESUME_HOST))
    };
    assert_eq!(run_single_vcpu(&mut m, !0, LPCR), Errno::EINTR.to_ret());
    assert_eq!(
        m.steps(),
        ["trace_run_enter", "begin", "handle_work", "trace_run_exit"]
    );
}

#[test]
fn work_or_an_mmu_reset_after_irqs_off_gives_up_the_entry() {
    // The third case: an MMU not ready on arrival. run::vcpu_run sets it
    // up before every entry, so it is being reset: the entry is given up
    // the same way, never set up here.
    let cases = [
        (true, false, true),
        (false, true, true),
        (false, false, false),
    ];
    for (late_work, late_mmu_reset, mmu_ready) in cases {
        let mut m = Mock {
            late_work,
            late_mmu_reset,
            mmu_ready,
            ..Mock::ready(exit(TRAP_HCALL, RESUME_HOST))
        };
        // RESUME_GUEST: the caller comes back and handles it.
        assert_eq!(run_single_vcpu(&mut m, !0, LPCR), RESUME_GUEST);
        assert_eq!(
            m.steps(),
            [
                "trace_run_enter",
                "begin",
                "handle_work",
                "update_vpas",
                "irqs_off",
                "release",
                "trace_run_exit"
            ]
        );
        assert!(!m.irqs_off);
    }
}

#[test]
fn a_pending_external_is_delivered_when_msr_ee_allows() {
    let mut m = Mock {
        external: true,
        msr: MSR_EE,
        ..Mock::ready(exit(TRAP_HCALL, RESUME_HOST))
    };
    run_single_vcpu(&mut m, !0, LPCR);
    let s = m.steps();
    let i = s.iter().position(|&x| x == "inject_external").unwrap();
    assert_eq!(s[i - 1], "prepare");
    assert_eq!(m.lpcr_entered, Some(LPCR));
}

#[test]
fn a_masked_external_is_requested_through_mer() {
    let mut m = Mock {
        external: true,
        msr: 0,
        ..Mock::ready(exit(TRAP_HCALL, RESUME_HOST))
    };
    run_single_vcpu(&mut m, !0, LPCR);
    assert!(!m.steps().contains(&"inject_external"));
    assert_eq!(m.lpcr_entered, Some(LPCR | LPCR_MER));
}

#[test]
fn a_nested_hypervisor_never_synthesizes_the_external() {
    let mut m = Mock {
        external: true,
        msr: MSR_EE,
        on_pseries: true,
        ..Mock::ready(exit(TRAP_HCALL, RESUME_HOST))
    };
    run_single_vcpu(&mut m, !0, LPCR);
    assert!(!m.steps().contains(&"inject_external"));
    assert_eq!(m.lpcr_entered, Some(LPCR | LPCR_MER));
}

#[test]
fn external_delivery_table() {
    // (pending, on_pseries, msr) -> (deliver, MER: Some(set) or None: as
    // given, which is C's: delivering leaves the LPCR alone)
    let cases = [
        (false, false, MSR_EE, false, Some(false)),
        (false, true, 0, false, Some(false)),
        (true, false, MSR_EE, true, None),
        (true, false, 0, false, Some(true)),
        (true, true, MSR_EE, false, Some(true)),
    ];
    for (pending, pseries, msr, deliver, mer) in cases {
        for lpcr in [LPCR, LPCR | LPCR_MER] {
            let (d, l) = external_delivery(pending, pseries, || msr, lpcr);
            assert_eq!(d, deliver);
            assert_eq!(l & LPCR_MER != 0, mer.unwrap_or(lpcr & LPCR_MER != 0));
            assert_eq!(l & !LPCR_MER, LPCR & !LPCR_MER, "other LPCR bits kept");
        }
    }
}

#[test]
fn external_delivery_reads_the_msr_only_on_bare_metal_with_one_pending() {
    // As C's `!kvmhv_on_pseries() && (msr & MSR_EE)`: on a nested-v2 host
    // each read is an H_GUEST_GET_STATE round trip (make bench measured
    // 1,350 instructions more per in-kernel hcall when Rust read it always).
    for (pending, pseries, read) in [
        (false, false, false),
        (false, true, false),
        (true, true, false),
        (true, false, true),
    ] {
        let mut reads = 0;
        external_delivery(
            pending,
            pseries,
            || {
                reads += 1;
                MSR_EE
            },
            LPCR,
        );
        assert_eq!(
            reads,
            usize::from(read),
            "pending {pending}, pseries {pseries}"
        );
    }
}

#[test]
fn a_running_decrementer_timer_is_cancelled_before_entry() {
    let mut m = Mock {
        timer_running: true,
        ..Mock::ready(exit(TRAP_HCALL, RESUME_HOST))
    };
    run_single_vcpu(&mut m, !0, LPCR);
    let s = m.steps();
    let c = s.iter().position(|&x| x == "cancel_timer").unwrap();
    assert!(c < s.iter().position(|&x| x == "enter").unwrap());
    assert!(!m.timer_running);
}

#[test]
fn a_stale_decrementer_interrupt_is_dequeued_after_exit() {
    // Pending, but the decrementer is positive again at the exit's timebase.
    let mut m = Mock {
        dec_pending: true,
        dec_expires: 5000,
        ..Mock::ready(Exit {
            tb: 4000,
            ..exit(TRAP_HDEC, RESUME_HOST)
        })
    };
    run_single_vcpu(&mut m, !0, LPCR);
    assert!(!m.dec_pending);
    let s = m.steps();
    assert_eq!(
        s.iter().position(|&x| x == "dequeue_dec").unwrap() + 1,
        s.iter().position(|&x| x == "trace_guest_exit").unwrap()
    );
}

#[test]
fn an_expired_decrementer_interrupt_stays_queued() {
    let mut m = Mock {
        dec_pending: true,
        dec_expires: 5000,
        ..Mock::ready(Exit {
            tb: 6000,
            ..exit(TRAP_HDEC, RESUME_HOST)
        })
    };
    run_single_vcpu(&mut m, !0, LPCR);
    assert!(m.dec_pending);
}

#[test]
fn h_enter_nested_hands_the_decrementer_to_l2() {
    assert!(dec_is_stale(6000, 5000, vector::SYSCALL, || H_ENTER_NESTED));
    assert!(!dec_is_stale(6000, 5000, vector::SYSCALL, || 0x4));
    assert!(!dec_is_stale(6000, 5000, TRAP_HDEC, || H_ENTER_NESTED));
    assert!(dec_is_stale(4999, 5000, TRAP_HDEC, || 0));
    assert!(!dec_is_stale(5000, 5000, TRAP_HDEC, || 0));
}

#[test]
fn r3_is_read_for_a_stale_decrementer_only_after_an_hcall() {
    // On a nested-v2 host reading r3 can cost an H_GUEST_GET_STATE.
    let r3_asked = |trap| {
        let asked = std::cell::Cell::new(false);
        dec_is_stale(6000, 5000, trap, || {
            asked.set(true);
            0
        });
        asked.get()
    };
    assert!(!r3_asked(TRAP_HDEC));
    assert!(r3_asked(vector::SYSCALL));
}

/// An H_CEDE: handled in the entry, so the exit handler never sees it.
fn cede() -> Exit {
    Exit {
        r3: H_CEDE,
        ..exit(TRAP_HCALL, RESUME_HOST)
    }
}

/// The steps of a bare-metal entry whose H_CEDE was handled in it.
fn cede_then(rest: &[&'static str]) -> Vec<&'static str> {
    let after = [
        "not_in_guest",
        "cede",
        "rearm",
        "xive_pull",
        "dispatch++",
        "state_exit",
        "release_entered",
        "trace_guest_exit",
    ];
    ENTRY.iter().chain(&after).chain(rest).copied().collect()
}

#[test]
fn a_ceded_vcpu_sleeps_on_its_decrementer_until_woken() {
    let mut m = Mock {
        now: 100,
        dec_expires: 5000,
        wakes: [false, true].into(),
        ..Mock::ready(cede())
    };
    assert_eq!(run_single_vcpu(&mut m, !0, LPCR), RESUME_GUEST);
    assert_eq!(
        m.steps(),
        cede_then(&[
            "start_timer 4900",
            "wait_begin",
            "interruptible",
            "schedule",
            "interruptible",
            "schedule",
            "interruptible",
            "wait_end",
            "clear_ceded",
            "trace_run_exit",
        ])
    );
    assert!(m.timer_running);
    assert_eq!(m.r3, Some(H_SUCCESS));
    assert_eq!(m.trap_recorded, Some(0));
}

#[test]
fn a_ceded_vcpu_whose_decrementer_expired_gets_it_instead_of_sleeping() {
    let mut m = Mock {
        now: 6000,
        dec_expires: 5000,
        ..Mock::ready(cede())
    };
    assert_eq!(run_single_vcpu(&mut m, !0, LPCR), RESUME_GUEST);
    assert_eq!(
        m.steps(),
        cede_then(&[
            "queue_dec",
            "prepare",
            "wait_begin",
            "interruptible",
            "wait_end",
            "clear_ceded",
            "trace_run_exit",
        ])
    );
    assert!(!m.timer_running);
}

#[test]
fn a_signal_ends_the_sleep_with_eintr_and_is_counted() {
    let mut m = Mock {
        wakes: [false].into(),
        signal_at: Some(1),
        ..Mock::ready(cede())
    };
    assert_eq!(run_single_vcpu(&mut m, !0, LPCR), Errno::EINTR.to_ret());
    assert_eq!(m.exit_reason, "INTR");
    assert_eq!(m.signal_exits, 1);
    let s = m.steps();
    let tail = &s[s.len() - 7..];
    assert_eq!(
        tail,
        [
            "interruptible",
            "schedule",
            "interruptible",
            "signal_exit",
            "wait_end",
            "clear_ceded",
            "trace_run_exit"
        ]
    );
}

#[test]
fn a_cede_with_an_escalation_pending_does_not_sleep() {
    let mut m = Mock {
        escalation_pending: true,
        ..Mock::ready(cede())
    };
    assert_eq!(run_single_vcpu(&mut m, !0, LPCR), RESUME_GUEST);
    let s = m.steps();
    assert!(!s.contains(&"wait_begin"));
    let i = s.iter().position(|&x| x == "rearm").unwrap();
    assert_eq!(s[i + 1], "clear_ceded");
    assert_eq!(m.r3, Some(H_SUCCESS));
}

#[test]
fn only_a_guest_resume_blocks() {
    // Going back to userspace never sleeps, ceded or not.
    for (handled, sleeps) in [(RESUME_HOST, false), (RESUME_GUEST, true)] {
        let mut m = Mock {
            ceded_in_guest: true,
            wakes: [true].into(),
            ..Mock::ready(exit(TRAP_HCALL, handled))
        };
        assert_eq!(run_single_vcpu(&mut m, !0, LPCR), handled);
        assert_eq!(m.steps().contains(&"wait_begin"), sleeps);
    }
}

#[test]
fn a_due_host_timer_returns_before_the_guest() {
    let mut m = Mock {
        next_timer: 100,
        ..Mock::ready(exit(TRAP_HCALL, RESUME_GUEST))
    };
    assert_eq!(run_single_vcpu(&mut m, !0, LPCR), RESUME_GUEST);
    let s = m.steps();
    assert!(!s.contains(&"enter"));
    let i = s.iter().position(|&x| x == "state_enter").unwrap();
    assert_eq!(s[i + 1], "state_exit");
    assert_eq!(m.trap_recorded, Some(TRAP_HV_DECREMENTER));
    assert!(s.contains(&"handle_exit"));
}

#[test]
fn the_guest_runs_until_the_next_host_timer_at_most() {
    let mut m = Mock {
        next_timer: 3000,
        ..Mock::ready(exit(TRAP_HCALL, RESUME_HOST))
    };
    run_single_vcpu(&mut m, !0, LPCR);
    assert_eq!(m.time_limit, Some(3000));
    let mut m = Mock {
        next_timer: 3000,
        ..Mock::ready(exit(TRAP_HCALL, RESUME_HOST))
    };
    run_single_vcpu(&mut m, 2000, LPCR);
    assert_eq!(m.time_limit, Some(2000));
}

#[test]
fn a_spent_time_limit_is_a_nested_hdec() {
    let mut m = Mock {
        next_timer: 3000,
        ..Mock::ready(exit(TRAP_HCALL, RESUME_HOST))
    };
    run_single_vcpu(&mut m, 50, LPCR);
    assert!(!m.steps().contains(&"enter"));
    assert_eq!(m.trap_recorded, Some(TRAP_NESTED_HV_DECREMENTER));
}

#[test]
fn the_vpa_yield_count_is_odd_only_inside_the_guest() {
    let mut m = Mock::ready(exit(TRAP_HCALL, RESUME_HOST));
    run_single_vcpu(&mut m, !0, LPCR);
    assert_eq!(m.yield_count, 2);
    assert_eq!(m.steps(), entry_then(&["clear_ceded", "trace_run_exit"]));
}

#[test]
fn h_enter_nested_goes_on_unless_an_escalation_is_pending() {
    let nested = Exit {
        r3: H_ENTER_NESTED,
        ..exit(TRAP_HCALL, RESUME_HOST)
    };
    let mut m = Mock::ready(nested);
    run_single_vcpu(&mut m, !0, LPCR);
    assert_eq!(m.trap_recorded, Some(vector::SYSCALL));
    assert!(m.steps().contains(&"handle_exit"));
    assert_eq!(m.r3, None);

    let mut m = Mock {
        escalation_pending: true,
        ..Mock::ready(nested)
    };
    assert_eq!(run_single_vcpu(&mut m, !0, LPCR), RESUME_GUEST);
    assert_eq!(m.trap_recorded, Some(0));
    assert_eq!(m.r3, Some(H_SUCCESS));
}

#[test]
fn xics_hcalls_are_served_by_xive_unless_too_hard() {
    for req in XICS_HCALLS {
        let xirr = Exit {
            r3: req,
            ..exit(TRAP_HCALL, RESUME_HOST)
        };
        let mut m = Mock {
            xics_ret: -4,
            ..Mock::ready(xirr)
        };
        assert_eq!(run_single_vcpu(&mut m, !0, LPCR), RESUME_GUEST);
        assert_eq!(m.r3, Some(-4i64 as u64), "negative returns sign-extend");
        let mut m = Mock {
            xics_ret: H_TOO_HARD,
            ..Mock::ready(xirr)
        };
        assert_eq!(run_single_vcpu(&mut m, !0, LPCR), RESUME_HOST);
        assert_eq!(m.trap_recorded, Some(vector::SYSCALL));
        assert_eq!(m.r3, None);
    }
    assert!(!hcall_is_xics(H_CEDE));
}

#[test]
fn problem_state_hcalls_are_never_handled_in_the_entry() {
    let mut m = Mock::ready(Exit { pr: true, ..cede() });
    assert_eq!(run_single_vcpu(&mut m, !0, LPCR), RESUME_HOST);
    assert!(!m.steps().contains(&"cede"));
    assert_eq!(m.trap_recorded, Some(vector::SYSCALL));
}

#[test]
fn a_radix_guest_has_no_slb_to_save() {
    let mut m = Mock {
        radix: true,
        ..Mock::ready(exit(TRAP_HCALL, RESUME_HOST))
    };
    run_single_vcpu(&mut m, !0, LPCR);
    let s = m.steps();
    let i = s.iter().position(|&x| x == "xive_pull").unwrap();
    assert_eq!(s[i + 1], "slb_max=0");
}

#[test]
fn a_nested_v1_host_enters_through_h_enter_nested() {
    let mut m = Mock {
        on_pseries: true,
        ..Mock::ready(exit(TRAP_HCALL, RESUME_HOST))
    };
    run_single_vcpu(&mut m, !0, LPCR);
    let s = m.steps();
    let i = s.iter().position(|&x| x == "state_enter").unwrap();
    assert_eq!(
        &s[i..i + 6],
        [
            "state_enter",
            "clear_ceded",
            "dispatch++",
            "enter_nestedv1",
            "enter",
            "dispatch++"
        ]
    );
    assert!(!s.contains(&"xive_push"));
}

fn nestedv2(e: Exit) -> Mock {
    Mock {
        on_pseries: true,
        nestedv2: true,
        radix: true,
        ..Mock::ready(e)
    }
}

#[test]
fn nestedv2_enters_through_the_l0_not_the_v1_entry() {
    let mut m = nestedv2(exit(TRAP_HCALL, RESUME_HOST));
    run_single_vcpu(&mut m, !0, LPCR);
    let steps = m.steps();
    assert!(steps.contains(&"enter_nestedv2"));
    assert!(!steps.contains(&"enter_nestedv1") && !steps.contains(&"in_guest"));
    // No XIVE context to push on a pseries host: the L0 owns it.
    assert!(!steps.contains(&"xive_push"));
    // Dispatched around the run: the yield count is even again.
    assert_eq!(m.yield_count, 2);
    assert_eq!(m.trap_recorded, Some(TRAP_HCALL));
}

#[test]
fn nestedv2_handles_h_cede_at_once() {
    let mut m = nestedv2(Exit {
        r3: H_CEDE,
        ..exit(vector::SYSCALL, RESUME_GUEST)
    });
    m.wakes = VecDeque::from([true]);
    run_single_vcpu(&mut m, !0, LPCR);
    assert!(m.steps().contains(&"cede"));
    assert_eq!(m.r3, Some(0));
    // Handled: trap 0, no exit handler.
    assert_eq!(m.trap_recorded, Some(0));
    assert!(!m.steps().contains(&"handle_exit"));
}

#[test]
fn nestedv2_entry_limits_as_on_bare_metal() {
    // A host timer already due: no entry, the trap says why.
    let mut m = nestedv2(exit(TRAP_HCALL, RESUME_HOST));
    m.next_timer = m.now;
    run_single_vcpu(&mut m, !0, LPCR);
    assert!(!m.steps().contains(&"enter_nestedv2"));
    assert_eq!(m.trap_recorded, Some(TRAP_HV_DECREMENTER));
    // A timer before the limit shortens the run.
    let mut m = nestedv2(exit(TRAP_HCALL, RESUME_HOST));
    m.next_timer = 4000;
    run_single_vcpu(&mut m, !0, LPCR);
    assert_eq!(m.time_limit, Some(4000));
}

#[test]
fn nestedv2_refusal_is_reported_not_handled_as_an_exit() {
    let refused = EntryError::Refused { rc: -2, elem: 0 };
    let mut m = nestedv2(exit(TRAP_HCALL, RESUME_GUEST));
    m.entry_error = Some(refused);
    m.ceded = true;
    run_single_vcpu(&mut m, !0, LPCR);
    assert_eq!(m.entry_failed, Some(refused));
    assert_eq!(m.ret, RESUME_HOST);
    assert!(!m.steps().contains(&"handle_exit"));
    assert!(!m.ceded);
    // Out of guest state and off the CPU, as after any entry.
    assert!(!m.in_state && !m.claimed && !m.irqs_off);
    assert_eq!(m.yield_count, 2);

    let mut m = nestedv2(exit(TRAP_HCALL, RESUME_GUEST));
    m.entry_error = Some(EntryError::Host(Errno::ENOMEM));
    run_single_vcpu(&mut m, !0, LPCR);
    assert_eq!(m.ret, Errno::ENOMEM.to_ret());
}

#[test]
fn nestedv1_error_is_reported_not_handled_as_a_trap() {
    // H_ENTER_NESTED's H_PARAMETER (-4) comes back where the trap would.
    let mut m = Mock {
        on_pseries: true,
        radix: true,
        ..Mock::ready(exit(-4i32 as u32, RESUME_GUEST))
    };
    run_single_vcpu(&mut m, !0, LPCR);
    assert_eq!(
        m.entry_failed,
        Some(EntryError::Refused { rc: -4, elem: 0 })
    );
    assert_eq!(m.ret, RESUME_HOST);
    assert!(!m.steps().contains(&"handle_exit"));
    // A trap is a trap.
    assert_eq!(nestedv1_result(0x980), Ok(0x980));
    assert_eq!(nestedv1_result(0), Ok(0));
}
