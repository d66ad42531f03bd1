// SPDX-License-Identifier: GPL-2.0

//! Host unit tests for kvm_hv_rs's pure logic.
//!
//! Each `#[path]` module is a file of the kernel module itself; such files use
//! only `core`, so they build here unchanged.

#![cfg(test)]

#[path = "../../../takeover.rs"]
mod takeover;

mod takeover_tests {
    use super::takeover::{check, Published, Refusal, OWN_REFS};

    #[test]
    fn takes_over_kvm_hv_table_when_only_our_dependency_holds_it() {
        assert_eq!(check(Published::KvmHv, OWN_REFS), Ok(()));
    }

    #[test]
    fn refuses_when_kvm_hv_published_nothing() {
        assert_eq!(
            check(Published::Nothing, OWN_REFS),
            Err(Refusal::NotPublished)
        );
    }

    #[test]
    fn refuses_a_table_that_is_not_kvm_hvs() {
        assert_eq!(check(Published::Other, OWN_REFS), Err(Refusal::Replaced));
        // Whatever the reference count says.
        assert_eq!(
            check(Published::Other, OWN_REFS + 4),
            Err(Refusal::Replaced)
        );
    }

    #[test]
    fn refuses_while_c_vms_hold_kvm_hv() {
        assert_eq!(
            check(Published::KvmHv, OWN_REFS + 1),
            Err(Refusal::CVmsExist { refs: 1 })
        );
        assert_eq!(
            check(Published::KvmHv, OWN_REFS + 7),
            Err(Refusal::CVmsExist { refs: 7 })
        );
    }

    #[test]
    fn absence_is_reported_before_use() {
        assert_eq!(
            check(Published::Nothing, OWN_REFS + 3),
            Err(Refusal::NotPublished)
        );
    }

    #[test]
    fn messages_name_the_cause() {
        // tests/init.sh looks for this text in dmesg.
        assert_eq!(
            Refusal::CVmsExist { refs: 1 }.to_string(),
            "kvm-hv is in use (1 references): VMs created through its table still exist, \
             destroy them first"
        );
        assert!(Refusal::NotPublished.to_string().contains("kvm-hv"));
        assert!(Refusal::Replaced.to_string().contains("another module"));
    }
}

#[path = "../../../vcpu/run.rs"]
mod run;

mod run_tests {
    use super::run::{vcpu_run, HvVcpu, Refusal, Resume, RESUME_GUEST};
    use std::collections::VecDeque;

    const RESUME_HOST: i32 = 2;
    const RESUME_PAGE_FAULT: i32 = 4;
    const RESUME_PASSTHROUGH: i32 = 8;
    const EFAULT: i32 = 14;

    /// What a guest exit looks like to the run loop.
    #[derive(Clone, Copy)]
    struct Exit {
        r: i32,
        hcall: bool,
        problem_state: bool,
    }

    fn exit(r: i32) -> Exit {
        Exit {
            r,
            hcall: false,
            problem_state: false,
        }
    }

    fn hcall() -> Exit {
        Exit {
            r: RESUME_HOST,
            hcall: true,
            problem_state: false,
        }
    }

    /// Records every operation; answers from scripts.
    #[derive(Default)]
    struct Mock {
        insane: bool,
        signal: bool,
        tm: bool,
        exits: VecDeque<Exit>,
        hcall_results: VecDeque<i32>,
        fault_results: VecDeque<i32>,
        passthrough_results: VecDeque<i32>,
        last: Option<Exit>,
        log: Vec<&'static str>,
        running: i32,
    }

    impl HvVcpu for Mock {
        fn sane(&self) -> bool {
            !self.insane
        }
        fn signal_pending(&self) -> bool {
            self.signal
        }
        fn transaction_suspended(&self) -> bool {
            self.tm
        }
        fn force_online(&mut self) {
            self.log.push("online");
        }
        fn prepare_to_enter(&mut self) {
            self.log.push("prepare");
        }
        fn start_running(&mut self) {
            self.running += 1;
            self.log.push("start");
        }
        fn save_host_state(&mut self) {
            self.log.push("save");
        }
        fn enter_busy_in_host(&mut self) {
            self.log.push("busy");
        }
        fn run_guest(&mut self) -> i32 {
            assert_eq!(
                self.running, 1,
                "guest entered while not counted as running"
            );
            self.log.push("run");
            let e = self
                .exits
                .pop_front()
                .expect("guest entered more often than scripted");
            self.last = Some(e);
            e.r
        }
        fn exit_is_papr_hcall(&self) -> bool {
            self.last.unwrap().hcall
        }
        fn hcall_from_problem_state(&mut self) -> bool {
            self.last.unwrap().problem_state
        }
        fn do_hcall(&mut self) -> i32 {
            self.log.push("hcall");
            self.hcall_results.pop_front().unwrap()
        }
        fn page_fault(&mut self) -> i32 {
            self.log.push("fault");
            self.fault_results.pop_front().unwrap()
        }
        fn passthrough(&mut self) -> i32 {
            self.log.push("passthrough");
            self.passthrough_results.pop_front().unwrap()
        }
        fn stop_running(&mut self) {
            self.running -= 1;
            self.log.push("stop");
        }
    }

    const ENTRY: [&str; 5] = ["online", "prepare", "start", "save", "busy"];

    fn entry_then(rest: &[&'static str]) -> Vec<&'static str> {
        ENTRY.iter().chain(rest).copied().collect()
    }

    #[test]
    fn resume_codes_classify_like_c() {
        assert_eq!(Resume::of(0), Resume::Guest);
        assert_eq!(Resume::of(1), Resume::Guest); // RESUME_GUEST_NV
        assert_eq!(Resume::of(RESUME_HOST), Resume::Host);
        assert_eq!(Resume::of(3), Resume::Host); // RESUME_HOST_NV
        assert_eq!(Resume::of(RESUME_PAGE_FAULT), Resume::PageFault);
        assert_eq!(Resume::of(RESUME_PASSTHROUGH), Resume::Passthrough);
        assert_eq!(Resume::of(-EFAULT), Resume::Host);
    }

    #[test]
    fn insane_vcpu_is_refused_before_anything_else() {
        let mut m = Mock {
            insane: true,
            signal: true,
            tm: true,
            ..Default::default()
        };
        assert_eq!(vcpu_run(&mut m), Err(Refusal::Insane));
        assert!(m.log.is_empty());
    }

    #[test]
    fn pending_signal_is_refused_before_entry() {
        let mut m = Mock {
            signal: true,
            tm: true,
            ..Default::default()
        };
        assert_eq!(vcpu_run(&mut m), Err(Refusal::SignalPending));
        assert!(m.log.is_empty());
    }

    #[test]
    fn suspended_transaction_is_refused_before_entry() {
        let mut m = Mock {
            tm: true,
            ..Default::default()
        };
        assert_eq!(vcpu_run(&mut m), Err(Refusal::TransactionSuspended));
        assert!(m.log.is_empty());
    }

    #[test]
    fn exit_to_host_runs_once_in_c_order() {
        let mut m = Mock {
            exits: [exit(RESUME_HOST)].into(),
            ..Default::default()
        };
        assert_eq!(vcpu_run(&mut m), Ok(RESUME_HOST));
        assert_eq!(m.log, entry_then(&["run", "stop"]));
        assert_eq!(m.running, 0);
    }

    #[test]
    fn errors_from_the_run_reach_userspace_and_stop_running() {
        let mut m = Mock {
            exits: [exit(-EFAULT)].into(),
            ..Default::default()
        };
        assert_eq!(vcpu_run(&mut m), Ok(-EFAULT));
        assert_eq!(m.log, entry_then(&["run", "stop"]));
    }

    #[test]
    fn hcalls_handled_in_kernel_reenter_after_prepare_to_enter() {
        let mut m = Mock {
            exits: [hcall(), hcall()].into(),
            // The first is handled in the kernel, the second goes to userspace.
            hcall_results: [RESUME_GUEST, RESUME_HOST].into(),
            ..Default::default()
        };
        assert_eq!(vcpu_run(&mut m), Ok(RESUME_HOST));
        assert_eq!(
            m.log,
            entry_then(&["run", "hcall", "prepare", "run", "hcall", "prepare", "stop"])
        );
    }

    #[test]
    fn hcall_from_problem_state_is_never_served() {
        let mut m = Mock {
            exits: [
                Exit {
                    problem_state: true,
                    ..hcall()
                },
                exit(RESUME_HOST),
            ]
            .into(),
            ..Default::default()
        };
        assert_eq!(vcpu_run(&mut m), Ok(RESUME_HOST));
        assert_eq!(m.log, entry_then(&["run", "run", "stop"]));
    }

    #[test]
    fn page_faults_are_resolved_and_their_result_decides() {
        let mut m = Mock {
            exits: [exit(RESUME_PAGE_FAULT), exit(RESUME_PAGE_FAULT)].into(),
            fault_results: [RESUME_GUEST, -EFAULT].into(),
            ..Default::default()
        };
        assert_eq!(vcpu_run(&mut m), Ok(-EFAULT));
        assert_eq!(m.log, entry_then(&["run", "fault", "run", "fault", "stop"]));
    }

    #[test]
    fn passthrough_interrupts_are_completed() {
        let mut m = Mock {
            exits: [exit(RESUME_PASSTHROUGH), exit(RESUME_HOST)].into(),
            passthrough_results: [RESUME_GUEST].into(),
            ..Default::default()
        };
        assert_eq!(vcpu_run(&mut m), Ok(RESUME_HOST));
        assert_eq!(m.log, entry_then(&["run", "passthrough", "run", "stop"]));
    }

    #[test]
    fn an_hcall_exit_is_not_taken_for_a_fault() {
        // C looks at the exit reason first: an hcall exit whose run value
        // happens to equal RESUME_PAGE_FAULT is still an hcall.
        let mut m = Mock {
            exits: [Exit {
                r: RESUME_PAGE_FAULT,
                ..hcall()
            }]
            .into(),
            hcall_results: [RESUME_HOST].into(),
            ..Default::default()
        };
        assert_eq!(vcpu_run(&mut m), Ok(RESUME_HOST));
        assert_eq!(m.log, entry_then(&["run", "hcall", "prepare", "stop"]));
    }
}
