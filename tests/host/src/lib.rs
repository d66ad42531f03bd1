// SPDX-License-Identifier: GPL-2.0

//! Host unit tests for kvm_hv_rs's pure logic.
//!
//! Each `#[path]` module is a file of the kernel module itself; such files use
//! only `core`, so they build here unchanged.

#![cfg(test)]

#[path = "../../../errno.rs"]
mod errno;

mod errno_tests {
    use super::errno::Errno;

    #[test]
    fn an_errno_is_c_s_negative_return_value() {
        assert_eq!(Errno::EINTR.to_ret(), -4);
        assert_eq!(Errno::EBUSY.get(), 16);
        assert_eq!(Errno::from_ret(-22), Some(Errno::EINVAL));
        assert_eq!(Errno::from_ret(-4095).map(Errno::get), Some(4095));
        // Not errnos: success, RESUME_* codes, and what is below MAX_ERRNO.
        for r in [0, 1, 2, -4096, i32::MIN] {
            assert_eq!(Errno::from_ret(r), None, "{r}");
        }
        assert_eq!(format!("{:?}", Errno::from_ret(-13).unwrap()), "Errno(13)");
        assert_eq!(format!("{:?}", Errno::from_ret(-12).unwrap()), "ENOMEM");
        assert_eq!(format!("{:?}", Errno::EINTR), "EINTR");
    }
}

#[path = "../../../vcpu/run.rs"]
mod run;

mod run_tests {
    use super::errno::Errno;
    use super::run::{vcpu_run, Activity, HvVcpu, Refusal, Resume, RESUME_GUEST};
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
        mmu_ready: bool,
        /// Another thread resets the MMU while a fault is handled.
        reset_mmu_on_fault: bool,
        setup_results: VecDeque<Result<(), Errno>>,
        hcall_results: VecDeque<i32>,
        fault_results: VecDeque<i32>,
        passthrough_results: VecDeque<i32>,
        last: Option<Exit>,
        log: Vec<&'static str>,
        running: i32,
        timing: Vec<Activity>,
    }

    impl HvVcpu for Mock {
        fn account(&mut self, next: Activity) {
            self.timing.push(next);
        }
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
        fn mmu_ready(&self) -> bool {
            self.mmu_ready
        }
        fn setup_mmu(&mut self) -> Result<(), Errno> {
            assert_eq!(self.running, 1, "MMU set up while not counted as running");
            self.log.push("setup_mmu");
            let r = self.setup_results.pop_front().unwrap();
            self.mmu_ready = r.is_ok();
            r
        }
        fn fail_entry(&mut self, _err: Errno) {
            self.log.push("fail_entry");
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
            if self.reset_mmu_on_fault {
                self.mmu_ready = false;
            }
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

    impl Mock {
        /// A vcpu whose VM's MMU is already set up.
        fn ready() -> Self {
            Mock {
                mmu_ready: true,
                ..Default::default()
            }
        }
    }

    const ENTRY: [&str; 5] = ["online", "prepare", "start", "save", "busy"];

    fn entry_then(rest: &[&'static str]) -> Vec<&'static str> {
        ENTRY.iter().chain(rest).copied().collect()
    }

    #[test]
    fn time_is_accounted_where_c_accounts_it() {
        use Activity::*;
        let mut m = Mock {
            exits: [hcall(), exit(RESUME_PAGE_FAULT), hcall()].into(),
            hcall_results: [RESUME_GUEST, RESUME_HOST].into(),
            fault_results: [RESUME_GUEST].into(),
            ..Mock::ready()
        };
        assert_eq!(vcpu_run(&mut m), Ok(RESUME_HOST));
        assert_eq!(
            m.timing,
            [
                VcpuEntry, GuestEntry, Hcall, GuestEntry, PageFault, GuestEntry, Hcall, VcpuExit,
                Nothing
            ]
        );
        // The end comes after the vcpu stopped running.
        assert_eq!(m.log.last(), Some(&"stop"));
    }

    #[test]
    fn a_refused_run_leaves_its_entry_timing_open_as_c_does() {
        let mut m = Mock {
            insane: true,
            ..Mock::ready()
        };
        assert_eq!(vcpu_run(&mut m), Err(Refusal::Insane));
        assert_eq!(m.timing, [Activity::VcpuEntry]);
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
            ..Mock::ready()
        };
        assert_eq!(vcpu_run(&mut m), Err(Refusal::Insane));
        assert!(m.log.is_empty());
    }

    #[test]
    fn pending_signal_is_refused_before_entry() {
        let mut m = Mock {
            signal: true,
            tm: true,
            ..Mock::ready()
        };
        assert_eq!(vcpu_run(&mut m), Err(Refusal::SignalPending));
        assert!(m.log.is_empty());
    }

    #[test]
    fn suspended_transaction_is_refused_before_entry() {
        let mut m = Mock {
            tm: true,
            ..Mock::ready()
        };
        assert_eq!(vcpu_run(&mut m), Err(Refusal::TransactionSuspended));
        assert!(m.log.is_empty());
    }

    #[test]
    fn exit_to_host_runs_once_in_c_order() {
        let mut m = Mock {
            exits: [exit(RESUME_HOST)].into(),
            ..Mock::ready()
        };
        assert_eq!(vcpu_run(&mut m), Ok(RESUME_HOST));
        assert_eq!(m.log, entry_then(&["run", "stop"]));
        assert_eq!(m.running, 0);
    }

    #[test]
    fn errors_from_the_run_reach_userspace_and_stop_running() {
        let mut m = Mock {
            exits: [exit(-EFAULT)].into(),
            ..Mock::ready()
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
            ..Mock::ready()
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
            ..Mock::ready()
        };
        assert_eq!(vcpu_run(&mut m), Ok(RESUME_HOST));
        assert_eq!(m.log, entry_then(&["run", "run", "stop"]));
        // Its time still counts as an hcall's, as in C.
        use Activity::*;
        assert_eq!(
            m.timing,
            [VcpuEntry, GuestEntry, Hcall, GuestEntry, VcpuExit, Nothing]
        );
    }

    #[test]
    fn page_faults_are_resolved_and_their_result_decides() {
        let mut m = Mock {
            exits: [exit(RESUME_PAGE_FAULT), exit(RESUME_PAGE_FAULT)].into(),
            fault_results: [RESUME_GUEST, -EFAULT].into(),
            ..Mock::ready()
        };
        assert_eq!(vcpu_run(&mut m), Ok(-EFAULT));
        assert_eq!(m.log, entry_then(&["run", "fault", "run", "fault", "stop"]));
    }

    #[test]
    fn passthrough_interrupts_are_completed() {
        let mut m = Mock {
            exits: [exit(RESUME_PASSTHROUGH), exit(RESUME_HOST)].into(),
            passthrough_results: [RESUME_GUEST].into(),
            ..Mock::ready()
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
            ..Mock::ready()
        };
        assert_eq!(vcpu_run(&mut m), Ok(RESUME_HOST));
        assert_eq!(m.log, entry_then(&["run", "hcall", "prepare", "stop"]));
    }

    #[test]
    fn mmu_is_set_up_once_before_the_first_entry() {
        let mut m = Mock {
            exits: [hcall(), hcall()].into(),
            hcall_results: [RESUME_GUEST, RESUME_HOST].into(),
            setup_results: [Ok(())].into(),
            ..Default::default()
        };
        assert_eq!(vcpu_run(&mut m), Ok(RESUME_HOST));
        assert_eq!(
            m.log,
            entry_then(&[
                "setup_mmu",
                "run",
                "hcall",
                "prepare",
                "run",
                "hcall",
                "prepare",
                "stop"
            ])
        );
    }

    #[test]
    fn mmu_set_up_failure_fails_entry_without_entering() {
        const ENOMEM: i32 = 12;
        let mut m = Mock {
            setup_results: [Err(Errno::from_ret(-ENOMEM).unwrap())].into(),
            ..Default::default()
        };
        assert_eq!(vcpu_run(&mut m), Ok(-ENOMEM));
        assert_eq!(m.log, entry_then(&["setup_mmu", "fail_entry", "stop"]));
        assert_eq!(m.running, 0);
    }

    #[test]
    fn mmu_reset_between_entries_is_set_up_again() {
        // A fault handler that finds the MMU being reset (mmu_ready clear)
        // resumes the guest; the next entry sets it up first.
        let mut m = Mock {
            exits: [exit(RESUME_PAGE_FAULT), exit(RESUME_HOST)].into(),
            fault_results: [RESUME_GUEST].into(),
            setup_results: [Ok(())].into(),
            reset_mmu_on_fault: true,
            ..Mock::ready()
        };
        assert_eq!(vcpu_run(&mut m), Ok(RESUME_HOST));
        assert_eq!(
            m.log,
            entry_then(&["run", "fault", "setup_mmu", "run", "stop"])
        );
    }
}

#[path = "../../../hpt/geometry.rs"]
mod geometry;

// hpt/vrma.rs reaches its sibling as `super::geometry`, as in the kernel.
#[path = "../../../hpt/vrma.rs"]
mod vrma;

mod hpt_tests {
    use super::geometry::*;
    use super::vrma::*;

    #[test]
    fn orders_outside_18_to_46_are_invalid() {
        assert_eq!(Geometry::new(0), None);
        assert_eq!(Geometry::new(MIN_ORDER - 1), None);
        assert!(Geometry::new(MIN_ORDER).is_some());
        assert!(Geometry::new(MAX_ORDER).is_some());
        assert_eq!(Geometry::new(MAX_ORDER + 1), None);
        assert_eq!(Geometry::new(u32::MAX), None);
    }

    #[test]
    fn geometry_of_every_valid_order() {
        for order in MIN_ORDER..=MAX_ORDER {
            let g = Geometry::new(order).unwrap();
            assert_eq!(g.bytes(), 1u64 << order);
            assert_eq!(g.npte() * 16, g.bytes(), "16 bytes a PTE");
            assert_eq!(g.groups() * 8, g.npte(), "8 PTEs a group");
            // kvmppc_hpt_mask
            assert_eq!(g.mask(), (1u64 << (order - 7)) - 1);
            assert_eq!(g.pages(16) << 16, g.bytes());
            assert_eq!(g.pages(12) << 12, g.bytes());
            assert_eq!(1u64 << g.page_order(16), g.pages(16));
            // HTABSIZE is log2(bytes) - 18 in SDR1's low bits.
            assert_eq!(g.sdr1(0) as u32, order - 18);
        }
    }

    #[test]
    fn default_geometry_is_16_mib() {
        let g = Geometry::new(DEFAULT_ORDER).unwrap();
        assert_eq!(g.bytes(), 16 << 20);
        assert_eq!(g.npte(), 1 << 20);
        assert_eq!(g.mask(), 0x1ffff);
        assert_eq!(g.pages(16), 256);
        assert_eq!(g.sdr1(0x1_0000_0000), 0x1_0000_0006);
    }

    /// Memory with room up to given orders; logs what it is asked.
    #[derive(Default)]
    struct Mem {
        cma_max: Option<u32>,
        buddy_max: Option<u32>,
        rev_max: Option<u32>,
        log: Vec<String>,
    }

    impl HptMemory for Mem {
        type Table = u32;
        type RevMap = ();
        fn cma(&mut self, g: Geometry) -> Option<u32> {
            self.log.push(format!("cma {}", g.order()));
            self.cma_max.filter(|&m| g.order() <= m).map(|_| g.order())
        }
        fn buddy(&mut self, g: Geometry) -> Option<u32> {
            self.log.push(format!("buddy {}", g.order()));
            self.buddy_max
                .filter(|&m| g.order() <= m)
                .map(|_| g.order())
        }
        fn reverse_map(&mut self, g: Geometry) -> Option<()> {
            self.rev_max.filter(|&m| g.order() <= m).map(|_| ())
        }
        fn free(&mut self, t: u32, g: Geometry, s: Source) {
            assert_eq!(t, g.order());
            self.log.push(format!("free {} {:?}", g.order(), s));
        }
    }

    fn g(order: u32) -> Geometry {
        Geometry::new(order).unwrap()
    }

    #[test]
    fn cma_first() {
        let mut m = Mem {
            cma_max: Some(30),
            buddy_max: Some(30),
            rev_max: Some(30),
            ..Default::default()
        };
        let a = allocate(&mut m, g(24)).unwrap();
        assert_eq!((a.source, a.geometry), (Source::Cma, g(24)));
        assert_eq!(m.log, ["cma 24"]);
    }

    #[test]
    fn buddy_when_cma_has_no_room() {
        let mut m = Mem {
            cma_max: None,
            buddy_max: Some(30),
            rev_max: Some(30),
            ..Default::default()
        };
        let a = allocate(&mut m, g(24)).unwrap();
        assert_eq!(a.source, Source::Buddy);
        assert_eq!(m.log, ["cma 24", "buddy 24"]);
    }

    #[test]
    fn reverse_map_failure_frees_to_the_right_allocator() {
        for (cma, source) in [(Some(30), Source::Cma), (None, Source::Buddy)] {
            let mut m = Mem {
                cma_max: cma,
                buddy_max: Some(30),
                rev_max: None,
                ..Default::default()
            };
            assert_eq!(allocate(&mut m, g(20)).unwrap_err(), NoMemory);
            assert_eq!(m.log.last().unwrap(), &format!("free 20 {source:?}"));
        }
    }

    #[test]
    fn default_allocation_steps_down_until_it_fits() {
        let mut m = Mem {
            cma_max: None,
            buddy_max: Some(21),
            rev_max: Some(30),
            ..Default::default()
        };
        let a = allocate_default(&mut m).unwrap();
        assert_eq!((a.geometry, a.source), (g(21), Source::Buddy));
        let tried: Vec<_> = m.log.iter().filter(|l| l.starts_with("buddy")).collect();
        assert_eq!(tried, ["buddy 24", "buddy 23", "buddy 22", "buddy 21"]);
    }

    #[test]
    fn default_allocation_gives_up_below_the_minimum() {
        let mut m = Mem::default();
        assert_eq!(allocate_default(&mut m).unwrap_err(), NoMemory);
        let orders: Vec<_> = m.log.iter().filter(|l| l.starts_with("cma")).collect();
        assert_eq!(orders.len() as u32, DEFAULT_ORDER - MIN_ORDER + 1);
        assert_eq!(orders.last().unwrap().as_str(), "cma 18");
    }

    #[test]
    fn allocate_htab_reuses_only_an_existing_hpt_of_that_order() {
        assert_eq!(reset_plan(Some(24), 24), Reset::Reuse);
        assert_eq!(
            reset_plan(Some(24), 18),
            Reset::Replace { free_current: true }
        );
        // Like C, an invalid order replaces (and so frees) the current HPT,
        // then fails in the allocation.
        assert_eq!(
            reset_plan(Some(24), 17),
            Reset::Replace { free_current: true }
        );
        assert_eq!(Geometry::new(17), None);
    }

    #[test]
    fn allocate_htab_order_0_without_an_hpt_is_rejected_not_reused() {
        // 7.3 took "order 0 == order of no HPT" for a reusable HPT and
        // cleared address 0.
        assert_eq!(
            reset_plan(None, 0),
            Reset::Replace {
                free_current: false
            }
        );
        assert_eq!(Geometry::new(0), None);
        assert_eq!(
            reset_plan(None, 24),
            Reset::Replace {
                free_current: false
            }
        );
    }

    #[test]
    fn vrma_page_size_follows_the_backing() {
        assert_eq!(PageSize::for_backing(4 << 10), PageSize::K4);
        assert_eq!(PageSize::for_backing(64 << 10), PageSize::K64);
        assert_eq!(PageSize::for_backing(2 << 20), PageSize::K64);
        assert_eq!(PageSize::for_backing(16 << 20), PageSize::M16);
        assert_eq!(PageSize::for_backing(1 << 30), PageSize::M16);
    }

    fn vrma(page: PageSize, order: u32) -> Vrma {
        Vrma {
            page,
            hpt: g(order),
        }
    }

    #[test]
    fn vrma_slb_and_lpcr_encodings() {
        assert_eq!(vrma(PageSize::K64, 24).slb_v(), 0x4001_ffff_ff00_0110);
        assert_eq!(vrma(PageSize::K4, 24).slb_v(), 0x4001_ffff_ff00_0000);
        assert_eq!(vrma(PageSize::M16, 24).slb_v(), 0x4001_ffff_ff00_0100);
        assert_eq!(vrma(PageSize::K64, 24).lpcr_vrmasd(), 0x0008_8000_0000_0000);
        assert_eq!(vrma(PageSize::M16, 24).lpcr_vrmasd(), 0x0008_0000_0000_0000);
        for p in [PageSize::K4, PageSize::K64, PageSize::M16] {
            assert_eq!(vrma(p, 24).lpcr_vrmasd() & !LPCR_VRMASD, 0);
        }
    }

    #[test]
    fn vrma_hptes_match_kvmppc_map_vrma() {
        // Values computed from the C expressions in kvmppc_map_vrma.
        let v = vrma(PageSize::K64, 24);
        let want = [
            (0, 0xfffff, 0x4001_ffff_ff00_0014, 0x1190),
            (1, 0xffff7, 0x4001_ffff_ff00_0014, 0x1_1190),
            (255, 0xff807, 0x4001_ffff_ff00_0094, 0xff_1190),
        ];
        for (i, index, hv, hr) in want {
            assert_eq!(
                v.hpte(i),
                Hpte {
                    index,
                    v: hv,
                    r: hr
                },
                "page {i}"
            );
        }
    }

    #[test]
    fn vrma_hptes_are_bolted_one_per_group_in_the_last_slot() {
        for (page, order) in [(PageSize::K64, 18), (PageSize::K64, 24), (PageSize::K4, 20)] {
            let v = vrma(page, order);
            let n = v.pages(u64::MAX >> 20, 16);
            assert_eq!(n, v.hpt.groups(), "a large slot fills every group");
            let mut seen = vec![false; v.hpt.groups() as usize];
            for i in 0..n {
                let h = v.hpte(i);
                assert_eq!(h.index % 8, SLOT);
                assert!(h.index < v.hpt.npte());
                assert_ne!(h.v & 0x10, 0, "bolted");
                assert_eq!(h.v >> 62, 1, "1 TB segment");
                let group = (h.index / 8) as usize;
                assert!(!seen[group], "group {group} used twice");
                seen[group] = true;
                // The real page number is the page's guest real address.
                let rpn = h.r & !((1u64 << page.order()) - 1);
                assert_eq!(rpn, i << page.order());
            }
        }
    }

    #[test]
    fn vrma_covers_the_slot_up_to_a_segment_and_the_groups() {
        let v = vrma(PageSize::K64, 24);
        // 64 MiB of 64 KiB pages: 1024 VRMA pages.
        assert_eq!(v.pages(1024, 16), 1024);
        // 16 MiB pages over 64 KiB base pages.
        assert_eq!(vrma(PageSize::M16, 24).pages(1024, 16), 4);
        // Never more than one page per group...
        assert_eq!(v.pages(1 << 20, 16), v.hpt.groups());
        // ...nor beyond 1 TB.
        let big = vrma(PageSize::M16, 40);
        assert_eq!(big.pages(1 << 30, 16), 1 << 16);
    }
}

#[path = "../../../vcpu/interrupt.rs"]
mod interrupt;

mod interrupt_tests;

#[path = "../../../vcpu/single.rs"]
mod single;

mod single_tests;

#[path = "../../../vcpu/vcore.rs"]
mod vcore;

mod vcore_tests;

mod token_order;

// Not yet used by the module: the nested API v2 entry it is for is C.
#[allow(dead_code)]
#[path = "../../../vcpu/gsb.rs"]
mod gsb;

mod gsb_tests;

#[path = "../../../compat.rs"]
mod compat;

mod compat_tests {
    use super::compat::{self, Host, *};
    use super::errno::Errno;

    fn never_u64() -> u64 {
        panic!("the v2 hypervisor's capabilities asked for on another host")
    }
    fn never_version() -> Option<u32> {
        panic!("the device tree read on another host than API v1")
    }

    #[test]
    fn a_bare_metal_host_has_no_answer() {
        assert_eq!(
            compat::capabilities(Host::PowerNv, never_u64, never_version),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn nested_v2_tells_what_the_hypervisor_allowed_and_nothing_else() {
        // H_GUEST_CAP_COPY_MEM (bit 0) and H_GUEST_CAP_BITMAP2 (bit 63) are
        // no compatibility modes.
        let l0 = 1 << 63 | CAP_POWER9 | CAP_POWER10 | CAP_POWER11 | 1;
        assert_eq!(
            compat::capabilities(Host::NestedV2, || l0, never_version),
            Ok(CAP_MASK)
        );
        assert_eq!(
            compat::capabilities(Host::NestedV2, || CAP_POWER9 | CAP_POWER10, never_version),
            Ok(0x6000_0000_0000_0000)
        );
        // C warns once here; the answer is the same: none.
        assert_eq!(
            compat::capabilities(Host::NestedV2, || 0, never_version),
            Ok(0)
        );
    }

    #[test]
    fn nested_v1_tells_its_own_level_and_the_older_ones() {
        let v1 = |level| compat::capabilities(Host::NestedV1, never_u64, move || level);
        assert_eq!(
            v1(Some(PVR_ARCH_31_P11)),
            Ok(CAP_POWER11 | CAP_POWER10 | CAP_POWER9)
        );
        assert_eq!(v1(Some(PVR_ARCH_31)), Ok(CAP_POWER10 | CAP_POWER9));
        assert_eq!(v1(Some(PVR_ARCH_300)), Ok(CAP_POWER9));
        assert_eq!(CAP_POWER9, 0x4000_0000_0000_0000);
    }

    #[test]
    fn nested_v1_without_a_known_level_is_einval() {
        let v1 = |level| compat::capabilities(Host::NestedV1, never_u64, move || level);
        // No cpu-version, one of 0, POWER8's logical PVR, ISA v3.2's (not
        // known to 7.3), a raw POWER9 PVR.
        for level in [
            None,
            Some(0),
            Some(0x0f00_0004),
            Some(0x0f00_0008),
            Some(0x004e_1202),
        ] {
            assert_eq!(v1(level), Err(Errno::EINVAL), "{level:x?}");
        }
    }
}
