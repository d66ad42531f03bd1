// SPDX-License-Identifier: GPL-2.0

//! The guest entry of a host that is itself a guest of a PAPR nested API
//! v1 hypervisor (QEMU's `cap-nested-hv`, KVM-HV as an L0):
//! `H_ENTER_NESTED` with the vcpu's hypervisor state in a `struct
//! hv_guest_state` image and its `pt_regs`, which the L0 reads and writes
//! back (`kvmhv_vcpu_entry_p9_nested`).
//!
//! The image is built and read back here ([`image`], [`take_back`]); the
//! steps that touch the CPU (the host's OS SPRs, PSSCR, FP/VMX/TM state, the
//! PMU, the decrementer) are kvm-hv's, in `kvmhv_rs_nestedv1_*` of
//! `c/book3s_hv.c`, in C's order around them.

use super::nestedv2_hv;
use crate::c;
use kernel::bindings;

/// `PCR_HIGH_BITS`: the MMA, vector, VSX and TM disable bits (IBM bits 3
/// to 0), a macro of masks bindgen cannot evaluate.
const PCR_HIGH_BITS: u64 = 0xf << 60;
/// The bits of the PCR that an image has set (`PCR_MASK`: the reserved
/// ones). The nested check compares the whole image with C's.
const PCR_MASK: u64 = !(PCR_HIGH_BITS | bindings::PCR_LOW_BITS as u64);

/// The image of `vcpu` for an entry with `lpcr` until `time_limit`
/// (`kvmhv_save_hv_regs` and `kvmhv_vcpu_entry_p9_nested`'s own fields).
///
/// # Safety
///
/// `vcpu` is valid and its vcore its own; the fields read are the vcpu's
/// registers, which only this thread writes while it runs, except the
/// doorbell request, read once (other CPUs set it).
unsafe fn image(
    vcpu: *const bindings::kvm_vcpu,
    lpcr: u64,
    time_limit: u64,
) -> bindings::hv_guest_state {
    // SAFETY: the caller's. Each field is read by value through the raw
    // pointers: no reference to the shared structures is made.
    unsafe {
        let a = &raw const (*vcpu).arch;
        let vc = (*a).vcore;
        bindings::hv_guest_state {
            version: u64::from(bindings::HV_GUEST_STATE_VERSION),
            lpid: (*(*vcpu).kvm).arch.lpid as u32,
            vcpu_token: (*vcpu).vcpu_id as u32,
            lpcr,
            pcr: (*vc).pcr as u64 | PCR_MASK,
            amor: !0,
            dpdes: u64::from(core::ptr::read_volatile(&raw const (*a).doorbell_request)),
            hfscr: (*a).hfscr as u64,
            tb_offset: (*vc).tb_offset as i64,
            dawr0: (*a).dawr0 as u64,
            dawrx0: (*a).dawrx0 as u64,
            ciabr: (*a).ciabr as u64,
            hdec_expiry: time_limit,
            purr: (*a).purr as u64,
            spurr: (*a).spurr as u64,
            ic: (*a).ic as u64,
            vtb: (*vc).vtb as u64,
            srr0: (*a).shregs.srr0,
            srr1: (*a).shregs.srr1,
            sprg: [
                (*a).shregs.sprg0,
                (*a).shregs.sprg1,
                (*a).shregs.sprg2,
                (*a).shregs.sprg3,
            ],
            pidr: u64::from((*a).pid),
            cfar: (*a).cfar as u64,
            ppr: (*a).ppr as u64,
            dawr1: (*a).dawr1 as u64,
            dawrx1: (*a).dawrx1 as u64,
            ..Default::default()
        }
    }
}

/// Takes the L0's answer in `hr` into `vcpu`
/// (`kvmhv_restore_hv_return_state`): a doorbell that came meanwhile is
/// kept, as is one the L2 did not take.
///
/// # Safety
///
/// As for [`image`].
unsafe fn take_back(vcpu: *mut bindings::kvm_vcpu, hr: &bindings::hv_guest_state) {
    // SAFETY: the caller's; fields are written through the raw pointers.
    unsafe {
        let a = &raw mut (*vcpu).arch;
        let vc = (*a).vcore;
        let db = &raw mut (*a).doorbell_request;
        core::ptr::write_volatile(db, core::ptr::read_volatile(db) | hr.dpdes as u8);
        (*a).hfscr = hr.hfscr as usize;
        (*a).purr = hr.purr as usize;
        (*a).spurr = hr.spurr as usize;
        (*a).ic = hr.ic as usize;
        (*vc).vtb = hr.vtb as usize;
        (*a).fault_dar = hr.hdar as usize;
        (*a).fault_dsisr = hr.hdsisr as u32;
        (*a).fault_gpa = hr.asdr as usize;
        (*a).emul_inst = hr.heir;
        (*a).shregs.srr0 = hr.srr0;
        (*a).shregs.srr1 = hr.srr1;
        (*a).shregs.sprg0 = hr.sprg[0];
        (*a).shregs.sprg1 = hr.sprg[1];
        (*a).shregs.sprg2 = hr.sprg[2];
        (*a).shregs.sprg3 = hr.sprg[3];
        (*a).pid = hr.pidr as u32;
        (*a).cfar = hr.cfar as usize;
        (*a).ppr = hr.ppr as usize;
    }
}

/// Enters `vcpu` through `H_ENTER_NESTED` until `time_limit` (host
/// timebase) with `lpcr`; `tb` is the entry's timebase, on return the
/// exit's. Returns the L0's answer: the trap, 0 when an interrupt came in
/// before the entry, or (negative as an `i32`) the hcall's error.
///
/// # Safety
///
/// `vcpu` is a valid vcpu of this module's, on a nested API v1 host, in
/// `KVM_RUN` on this thread, which has claimed it on this CPU in guest
/// state with preemption and interrupts off. Its vcore is its own (one vcpu
/// per vcore on POWER9 and later), which nothing else reads or writes while
/// it runs.
pub(super) unsafe fn enter(
    vcpu: *mut bindings::kvm_vcpu,
    time_limit: u64,
    lpcr: u64,
    tb: &mut u64,
) -> u32 {
    let check = nestedv2_hv::CHECK.load(core::sync::atomic::Ordering::Relaxed);
    let mut host = c::HostSprs::default();
    let mut host_psscr = 0;
    // SAFETY: `vcpu` is valid, claimed, interrupts off (the caller's);
    // `host` and `host_psscr` are this frame's.
    if !unsafe { c::kvmhv_rs_nestedv1_prepare(vcpu, &mut host, &mut host_psscr) } {
        return 0;
    }

    // The image lives in this frame: the L0 reads and writes it by its
    // real address, as C's does (kernel stacks are in the linear map on
    // book3s64).
    // SAFETY: the caller's.
    let mut hr = unsafe { image(vcpu, lpcr, time_limit) };
    if check {
        // SAFETY: `vcpu` is valid, in the state the image was made from.
        let r = unsafe { c::kvmhv_rs_nestedv1_check_image(vcpu, &hr) };
        nestedv2_hv::checked("v1 image", r);
    }
    // SAFETY: `vcpu` is valid; its registers are this thread's.
    unsafe {
        let a = &raw mut (*vcpu).arch;
        // The L0 takes the MSR from the pt_regs it is given.
        (*a).regs.__bindgen_anon_1.user_regs.msr = (*a).shregs.msr as usize;
        // The doorbell is in the image; one that comes while the L2 runs
        // is kept in the request again.
        core::ptr::write_volatile(&raw mut (*a).doorbell_request, 0);
    }

    // SAFETY: `vcpu` is valid, claimed, in guest state with interrupts
    // hard-disabled and its state loaded; `hr` and `host` are this frame's.
    let trap = unsafe { c::kvmhv_rs_nestedv1_run(vcpu, &mut hr, &mut host, *tb) };

    // SAFETY: `vcpu` is valid (the caller's).
    let doorbell = unsafe { core::ptr::read_volatile(&raw const (*vcpu).arch.doorbell_request) };
    // SAFETY: as for the image.
    unsafe { take_back(vcpu, &hr) };
    if check {
        // SAFETY: `vcpu` is valid; `hr` is what the L0 answered.
        let r = unsafe { c::kvmhv_rs_nestedv1_check_return(vcpu, &hr, doorbell) };
        nestedv2_hv::checked("v1 read-back", r);
    }

    // SAFETY: `vcpu` is valid and back from the L0; `host` and
    // `host_psscr` are what `prepare` saved.
    unsafe { c::kvmhv_rs_nestedv1_finish(vcpu, &mut host, host_psscr, lpcr as usize, tb) };
    trap as u32
}
