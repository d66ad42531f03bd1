// SPDX-License-Identifier: GPL-2.0

//! The guest entry of a host that is itself a guest of a PAPR nested API v2
//! hypervisor (a PowerVM LPAR, or QEMU's `cap-nested-papr`):
//! `H_GUEST_RUN_VCPU` with the vcpu's state in guest state buffers
//! (`kvmhv_vcpu_entry_nestedv2`, `kvmhv_nestedv2_flush_vcpu`,
//! `kvmhv_nestedv2_parse_output`).
//!
//! The buffers and the vcpu's message maps are kvm-hv's (`struct
//! kvmhv_nestedv2_io`, made at vcpu creation): its C accessors
//! (`kvmppc_get_gpr()` and the rest) keep marking what they change and
//! reloading what is not valid, so this entry reads and writes the same
//! maps. What goes into the buffers and what is taken from them is
//! `vcpu/gsb.rs`' pure code; [`Regs`] is where each ID's value lives in the
//! vcpu.

use super::gsb::{self, id, Map, Parsed, Value, VcpuRegs, Writer};
use super::single::EntryError;
use crate::c;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use kernel::{bindings, prelude::*};

// The map words are C's `DECLARE_BITMAP(…, KVMPPC_GSE_IDEN_COUNT)` (the
// count itself, a macro bindgen cannot evaluate, is compared with C's on
// the host: tests/host/src/gsb_tests.rs).
const _: () = {
    assert!(core::mem::size_of::<Map>() == core::mem::size_of::<bindings::kvmppc_gs_bitmap>());
    assert!(gsb::FLAG_WIDE == bindings::KVMPPC_GS_FLAGS_WIDE as u64);
};

/// The vcpu's registers behind each guest state ID, as
/// `gs_msg_ops_vcpu_fill_info` reads and `gs_msg_ops_vcpu_refresh_info`
/// writes them.
///
/// # Invariants
///
/// `arch` is a vcpu's, `vc` its vcore, both valid for `'a`; the vcpu runs on
/// this thread, which alone reads and writes its registers meanwhile.
/// Other CPUs change other fields of the same structures (pending
/// exceptions, the doorbell request), so only references to single
/// register fields are ever made from the pointers, never to the whole.
struct Regs<'a> {
    arch: *mut bindings::kvm_vcpu_arch,
    vc: *mut bindings::kvmppc_vcore,
    _vcpu: PhantomData<&'a mut bindings::kvm_vcpu>,
}

/// Which of a VSR's two doublewords in memory (`fp.fpr[i]`, a VMX
/// register's `vector128`) is its doubleword 0, the FPR half, and which its
/// doubleword 1: `TS_FPROFFSET` and `TS_VSRLOWOFFSET`, 1 and 0 on a
/// little-endian kernel. A VSR element carries doubleword 0 first
/// (`kvmppc_gse_put_vector128`, `kvmppc_gse_get_vector128`).
const FPR_DW: usize = bindings::TS_FPROFFSET as usize;
const VSRLOW_DW: usize = bindings::TS_VSRLOWOFFSET as usize;

/// Doubleword `k` (in memory order) of a VMX register kept as four words.
fn vec_dw(v: &[u32; 4], k: usize) -> u64 {
    let (a, b) = (v[2 * k].to_ne_bytes(), v[2 * k + 1].to_ne_bytes());
    u64::from_ne_bytes([a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]])
}

/// Sets doubleword `k` (in memory order) of a VMX register kept as four
/// words.
fn set_vec_dw(v: &mut [u32; 4], k: usize, d: u64) {
    let b = d.to_ne_bytes();
    v[2 * k] = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
    v[2 * k + 1] = u32::from_ne_bytes([b[4], b[5], b[6], b[7]]);
}

/// A field of the vcpu that holds one ID's value.
enum Field<'a> {
    /// An integer register of whatever width the vcpu keeps it in.
    Int(&'a mut dyn Reg),
    /// A VSR 0-31's two doublewords (`fp.fpr[i]`), in memory order.
    Pair(&'a mut [u64; 2]),
    /// A VMX register (VSR 32-63), in memory order.
    Vec(&'a mut [u32; 4]),
}

/// An integer field: C's assignment to and from the element's value
/// (zero-extended from a word, truncated to the field).
trait Reg {
    fn get(&self) -> u64;
    fn set(&mut self, v: u64);
}

macro_rules! reg {
    ($($t:ty),*) => {$(
        // One body for every width: `u64::from` has no `usize` form.
        #[allow(clippy::cast_lossless)]
        impl Reg for $t {
            fn get(&self) -> u64 {
                *self as u64
            }
            fn set(&mut self, v: u64) {
                *self = v as $t;
            }
        }
    )*};
}
reg!(u32, u64, usize);

// The ranges of numbered registers, for `Regs::field`'s match (constant
// patterns, so that it can be a jump table).
const GPR0: u16 = id::gpr(0);
const GPR31: u16 = id::gpr(31);
const MMCR0: u16 = id::mmcr(0);
const MMCR3: u16 = id::mmcr(3);
const SIER0: u16 = id::sier(0);
const SIER2: u16 = id::sier(2);
const PMC0: u16 = id::pmc(0);
const PMC5: u16 = id::pmc(5);
const VSR0: u16 = id::vsr(0);
const VSR31: u16 = id::vsr(31);
const VSR32: u16 = id::vsr(32);
const VSR63: u16 = id::vsr(63);

impl Regs<'_> {
    /// The field of a plain register ID: one both messages copy as it is.
    #[inline]
    fn field(&mut self, iden: u16) -> Option<Field<'_>> {
        use Field::*;
        let (a, vc) = (self.arch, self.vc);
        // SAFETY: (type invariant) each place below is one register field
        // of the vcpu or its vcore, which only this thread uses while the
        // vcpu runs; `&mut self` keeps it the only reference made from
        // `self`. pt_regs' union members are plain integers laid over the
        // same registers.
        Some(unsafe {
            // The GPRs first: an hcall's exit brings ten back.
            if let i @ GPR0..=GPR31 = iden {
                let gpr = &mut (*a).regs.__bindgen_anon_1.user_regs.gpr;
                return Some(Int(&mut gpr[usize::from(i - GPR0)]));
            }
            match iden {
                id::DSCR => Int(&mut (*a).dscr),
                id::MMCRA => Int(&mut (*a).mmcra),
                id::HFSCR => Int(&mut (*a).hfscr),
                id::PURR => Int(&mut (*a).purr),
                id::SPURR => Int(&mut (*a).spurr),
                id::AMR => Int(&mut (*a).amr),
                id::UAMOR => Int(&mut (*a).uamor),
                id::SIAR => Int(&mut (*a).siar),
                id::SDAR => Int(&mut (*a).sdar),
                id::IAMR => Int(&mut (*a).iamr),
                id::DAWR0 => Int(&mut (*a).dawr0),
                id::DAWR1 => Int(&mut (*a).dawr1),
                id::DAWRX0 => Int(&mut (*a).dawrx0),
                id::DAWRX1 => Int(&mut (*a).dawrx1),
                id::DEXCR => Int(&mut (*a).dexcr),
                id::HASHKEYR => Int(&mut (*a).hashkeyr),
                id::HASHPKEYR => Int(&mut (*a).hashpkeyr),
                id::CIABR => Int(&mut (*a).ciabr),
                id::WORT => Int(&mut (*a).wort),
                id::PPR => Int(&mut (*a).ppr),
                id::PSPB => Int(&mut (*a).pspb),
                id::TAR => Int(&mut (*a).tar),
                id::FSCR => Int(&mut (*a).fscr),
                id::EBBHR => Int(&mut (*a).ebbhr),
                id::EBBRR => Int(&mut (*a).ebbrr),
                id::BESCR => Int(&mut (*a).bescr),
                id::IC => Int(&mut (*a).ic),
                id::CTRL => Int(&mut (*a).ctrl),
                id::PIDR => Int(&mut (*a).pid),
                id::VRSAVE => Int(&mut (*a).vrsave),
                i @ MMCR0..=MMCR3 => Int(&mut (*a).mmcr[usize::from(i - MMCR0)]),
                i @ SIER0..=SIER2 => Int(&mut (*a).sier[usize::from(i - SIER0)]),
                i @ PMC0..=PMC5 => Int(&mut (*a).pmc[usize::from(i - PMC0)]),
                id::CR => Int(&mut (*a).regs.__bindgen_anon_1.user_regs.ccr),
                id::XER => Int(&mut (*a).regs.__bindgen_anon_1.user_regs.xer),
                id::CTR => Int(&mut (*a).regs.__bindgen_anon_1.user_regs.ctr),
                id::LR => Int(&mut (*a).regs.__bindgen_anon_1.user_regs.link),
                id::NIA => Int(&mut (*a).regs.__bindgen_anon_1.user_regs.nip),
                id::SRR0 => Int(&mut (*a).shregs.srr0),
                id::SRR1 => Int(&mut (*a).shregs.srr1),
                id::SPRG0 => Int(&mut (*a).shregs.sprg0),
                id::SPRG1 => Int(&mut (*a).shregs.sprg1),
                id::SPRG2 => Int(&mut (*a).shregs.sprg2),
                id::SPRG3 => Int(&mut (*a).shregs.sprg3),
                id::DAR => Int(&mut (*a).shregs.dar),
                id::DSISR => Int(&mut (*a).shregs.dsisr),
                id::MSR => Int(&mut (*a).shregs.msr),
                id::VTB => Int(&mut (*vc).vtb),
                id::DPDES => Int(&mut (*vc).dpdes),
                id::LPCR => Int(&mut (*vc).lpcr),
                id::TB_OFFSET => Int(&mut (*vc).tb_offset),
                id::FPSCR => Int(&mut (*a).fp.fpscr),
                i @ VSR0..=VSR31 => Pair(&mut (*a).fp.fpr[usize::from(i - VSR0)]),
                #[cfg(CONFIG_VSX)]
                id::VSCR => Int(&mut (*a).vr.vscr.u[3]),
                #[cfg(CONFIG_VSX)]
                i @ VSR32..=VSR63 => Vec(&mut (*a).vr.vr[usize::from(i - VSR32)].u),
                _ => return None,
            }
        })
    }
}

impl VcpuRegs for Regs<'_> {
    fn get(&mut self, iden: u16) -> Option<Value> {
        match iden {
            id::AMOR => Some(Value::Dword(!0)),
            // SAFETY: (type invariant) register fields of the vcpu and its
            // vcore, read by value.
            id::DEC_EXPIRY_TB => Some(Value::Dword(unsafe {
                (*self.arch).dec_expires.wrapping_sub((*self.vc).tb_offset)
            })),
            // SAFETY: as above.
            id::LOGICAL_PVR => Some(Value::Word(match unsafe { (*self.vc).arch_compat } {
                // None chosen: the host CPU's, as C sends (0 would make
                // the L0 fail the entry).
                // SAFETY: reads the boot CPU's features, set at boot.
                0 => unsafe { c::kvmhv_rs_nestedv2_default_compat() },
                c => c,
            })),
            _ => {
                let ty = gsb::ty(iden)?;
                let (dw0, dw1) = match self.field(iden)? {
                    Field::Int(f) => (f.get(), 0),
                    Field::Pair(f) => (f[FPR_DW], f[VSRLOW_DW]),
                    Field::Vec(f) => (vec_dw(f, FPR_DW), vec_dw(f, VSRLOW_DW)),
                };
                Some(match ty {
                    gsb::Type::Be32 => Value::Word(dw0 as u32),
                    gsb::Type::Vec128 => Value::Vsr(dw0, dw1),
                    _ => Value::Dword(dw0),
                })
            }
        }
    }

    fn set(&mut self, iden: u16, v: Value) -> bool {
        let (dw0, dw1) = match v {
            Value::Word(w) => (u64::from(w), 0),
            Value::Dword(d) => (d, 0),
            Value::Vsr(a, b) => (a, b),
        };
        match iden {
            id::AMOR => {}
            // SAFETY: (type invariant) register fields of the vcpu and its
            // vcore, written by value; the same for the five below.
            id::DEC_EXPIRY_TB => unsafe {
                (*self.arch).dec_expires = dw0.wrapping_add((*self.vc).tb_offset)
            },
            // SAFETY: as above.
            id::LOGICAL_PVR => unsafe { (*self.vc).arch_compat = dw0 as u32 },
            // SAFETY: as above.
            id::HDAR => unsafe { (*self.arch).fault_dar = dw0 as usize },
            // SAFETY: as above.
            id::HDSISR => unsafe { (*self.arch).fault_dsisr = dw0 as u32 },
            // SAFETY: as above.
            id::ASDR => unsafe { (*self.arch).fault_gpa = dw0 as usize },
            // SAFETY: as above.
            id::HEIR => unsafe { (*self.arch).emul_inst = dw0 },
            _ => match self.field(iden) {
                Some(Field::Int(f)) => f.set(dw0),
                Some(Field::Pair(f)) => {
                    f[FPR_DW] = dw0;
                    f[VSRLOW_DW] = dw1;
                }
                Some(Field::Vec(f)) => {
                    set_vec_dw(f, FPR_DW, dw0);
                    set_vec_dw(f, VSRLOW_DW, dw1);
                }
                None => return false,
            },
        }
        true
    }
}

/// A guest state buffer of kvm-hv's (`struct kvmppc_gs_buff`) as bytes.
///
/// # Safety
///
/// `gsb` is valid, and its `hdr` is `capacity` bytes that nothing else
/// uses for `'a`.
unsafe fn bytes<'a>(gsb: *mut bindings::kvmppc_gs_buff) -> &'a mut [u8] {
    // SAFETY: the caller's.
    unsafe { core::slice::from_raw_parts_mut((*gsb).hdr.cast::<u8>(), (*gsb).capacity) }
}

/// Whether each entry is checked against kvm-hv's C (module parameter
/// `nested_check`), and what the checks found.
pub(crate) static CHECK: AtomicBool = AtomicBool::new(false);
static CHECKED: AtomicU64 = AtomicU64::new(0);
static DIFFERED: AtomicU64 = AtomicU64::new(0);

/// debugfs `kvm_hv_rs/nested_check`: the counts.
pub(crate) fn describe_check(_: &(), f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
    writeln!(
        f,
        "enabled {} checked {} differed {}",
        u8::from(CHECK.load(Relaxed)),
        CHECKED.load(Relaxed),
        DIFFERED.load(Relaxed)
    )
}

/// Counts one check's result `r` (C's: 0 when the same), and says what
/// differed the first 8 times.
pub(super) fn checked(what: &str, r: kernel::ffi::c_long) {
    CHECKED.fetch_add(1, Relaxed);
    // The first few are said; the count says the rest (a broken field
    // differs at every entry).
    if r != 0 && DIFFERED.fetch_add(1, Relaxed) < 8 {
        pr_err!(
            "nested check: {} differs from kvm-hv's C ({:#x})\n",
            what,
            r
        );
    }
}

impl Regs<'_> {
    /// The registers of `vcpu`.
    ///
    /// # Safety
    ///
    /// `vcpu` is valid for `'a`, in `KVM_RUN` on this thread, and nothing
    /// else reads or writes its registers while the result lives (no C is
    /// called with `vcpu` meanwhile).
    unsafe fn of<'a>(vcpu: *mut bindings::kvm_vcpu) -> Regs<'a> {
        // INVARIANT: the caller's; no reference is made here.
        // SAFETY: `vcpu` is valid (the caller's).
        unsafe {
            Regs {
                arch: &raw mut (*vcpu).arch,
                vc: (*vcpu).arch.vcore,
                _vcpu: PhantomData,
            }
        }
    }
}

/// Enters `vcpu` through `H_GUEST_RUN_VCPU` until `time_limit` (host
/// timebase) with `lpcr`; on return `tb` is the exit's timebase. Returns
/// the trap, or 0 when an interrupt came in before the entry.
///
/// # Safety
///
/// `vcpu` is a valid vcpu of this module's, on a nested-v2 host (its
/// `nestedv2_io` made by kvmhv_nestedv2_vcpu_create()), in `KVM_RUN` on this
/// thread, which has claimed it on this CPU in guest state with preemption
/// and interrupts off. Its vcore is its own (one vcpu per vcore on POWER9
/// and later), which nothing else reads or writes while it runs.
pub(super) unsafe fn enter(
    vcpu: *mut bindings::kvm_vcpu,
    time_limit: u64,
    lpcr: u64,
    tb: &mut u64,
) -> Result<u32, EntryError> {
    let check = CHECK.load(Relaxed);
    // SAFETY: `vcpu` is valid (the caller's); its io's pointers are set at
    // vcpu creation and not changed after.
    let io = unsafe { &(*vcpu).arch.nestedv2_io };
    let (input, output) = (io.vcpu_run_input, io.vcpu_run_output);
    let (vmsg, wmsg) = (io.vcpu_message, io.vcore_message);

    // SAFETY: `vcpu` is this thread's (the caller's); the two messages are
    // made with the vcpu, live as long as it, and only its run and its
    // accessors, on this thread, use them. No C runs in this block.
    unsafe {
        let a = &raw mut (*vcpu).arch;
        // Other CPUs set the request: read and cleared as a whole byte.
        let db = &raw mut (*a).doorbell_request;
        if core::ptr::read_volatile(db) != 0 {
            core::ptr::write_volatile(db, 0);
            // kvmppc_set_dpdes(vcpu, 1): the L0 keeps the doorbell.
            (*(*a).vcore).dpdes = 1;
            gsb::map_set(as_map(&mut (*vmsg).bitmap.bitmap), id::DPDES);
            gsb::map_set(as_map(&mut (*wmsg).bitmap.bitmap), id::DPDES);
            gsb::map_set(as_map(&mut (*a).nestedv2_io.valids.bitmap), id::DPDES);
        }
    }

    // SAFETY: `vcpu` is valid, interrupts are off (the caller's).
    if unsafe { c::kvmhv_rs_nestedv2_hard_disable(vcpu) } {
        return Ok(0);
    }

    // kvmhv_nestedv2_flush_vcpu(): guest-wide values first, by
    // H_GUEST_SET_STATE, then the thread's into the run's input. For each,
    // `input`'s bytes are used only inside the block that fills them.
    for wide in [true, false] {
        let len = {
            // SAFETY: as above; `input` is the vcpu's run input buffer, its
            // bytes only this thread's.
            let (mut regs, map, bytes) = unsafe {
                (
                    Regs::of(vcpu),
                    as_map(&mut (*if wide { wmsg } else { vmsg }).bitmap.bitmap),
                    bytes(input),
                )
            };
            let mut w = Writer::new(bytes).map_err(EntryError::Host)?;
            gsb::fill(&mut w, map, wide, &mut regs).map_err(EntryError::Host)?;
            if !wide {
                w.put_u64(id::HDEC_EXPIRY_TB, time_limit)
                    .and_then(|()| w.put_u64(id::LPCR, lpcr))
                    .map_err(EntryError::Host)?;
            }
            w.len()
        };
        // SAFETY: `input` is valid; the bytes are no longer borrowed.
        unsafe { (*input).len = len };
        if check {
            // SAFETY: `vcpu` is valid and in the state the fill read;
            // `input` holds `len` bytes.
            let r = unsafe {
                c::kvmhv_rs_nestedv2_check_fill(
                    vcpu,
                    wide,
                    time_limit,
                    lpcr as usize,
                    (*input).hdr.cast::<u8>(),
                    len,
                )
            };
            checked(
                if wide {
                    "guest-wide input"
                } else {
                    "run input"
                },
                r,
            );
        }
        if wide {
            // SAFETY: `input` is a valid buffer of `len` bytes.
            let rc = unsafe { bindings::kvmppc_gsb_send(input, (*wmsg).flags) };
            if rc != 0 {
                return Err(EntryError::Refused {
                    rc: rc.into(),
                    elem: 0,
                });
            }
        }
    }

    let (mut trap, mut elem) = (0, 0);
    // SAFETY: `vcpu` is valid, claimed and in guest state with interrupts
    // hard-disabled; its run input holds the state to run with.
    let rc = unsafe { c::kvmhv_rs_nestedv2_run(vcpu, &mut trap, &mut elem) };
    if rc != bindings::H_SUCCESS as isize {
        return Err(EntryError::Refused {
            rc: rc as i64,
            elem: elem as u64,
        });
    }
    *tb = crate::host::timebase();

    // SAFETY: as for the doorbell above; `output` is the vcpu's run output
    // buffer, which the L0 has just filled and only this thread reads.
    let parsed = unsafe {
        gsb::map_zero(as_map(&mut (*vmsg).bitmap.bitmap));
        gsb::map_zero(as_map(&mut (*wmsg).bitmap.bitmap));
        let a = &raw mut (*vcpu).arch;
        // kvmhv_nestedv2_parse_output(): what the exit did not report is
        // not left from the last one.
        (*a).fault_dar = 0;
        (*a).fault_dsisr = 0;
        (*a).fault_gpa = 0;
        (*a).emul_inst = bindings::KVM_INST_FETCH_FAILED as u64;
        let mut regs = Regs::of(vcpu);
        Parsed::new(bytes(output)).map(|p| {
            let valid = gsb::refresh(&p, &mut regs);
            (*a).nestedv2_io.valids.bitmap = valid.map(|w| w as kernel::ffi::c_ulong);
        })
    };
    parsed.map_err(EntryError::Host)?;
    if check {
        // SAFETY: `vcpu` is valid, its output read.
        checked("output", unsafe { c::kvmhv_rs_nestedv2_check_output(vcpu) });
    }

    // SAFETY: `vcpu` is valid; `tb` is now.
    unsafe { c::kvmhv_rs_nestedv2_after_exit(vcpu, *tb) };
    Ok(trap as u32)
}

/// A C bitmap of every ID as a [`Map`].
fn as_map(words: &mut [kernel::ffi::c_ulong; gsb::MAP_WORDS]) -> &mut Map {
    // SAFETY: `c_ulong` is `u64` on the 64-bit kernels this builds for
    // (const-asserted with the sizes above); same length and alignment.
    unsafe { &mut *core::ptr::from_mut(words).cast::<Map>() }
}
