// SPDX-License-Identifier: GPL-2.0

//! The guest state buffer of the PAPR nested API v2 (`H_GUEST_*`): the
//! format in which a host running as a pseries guest (a PowerVM LPAR) hands
//! its guests' state to the L0 hypervisor and reads it back, as kvm-hv's
//! `guest-state-buffer.c` encodes and parses it.
//!
//! A buffer is a big-endian element count followed by elements, each a
//! big-endian 16-bit guest state ID, a 16-bit length and that many bytes of
//! big-endian data. The ID says what the data is and how long it must be
//! ([`size`]); the buffer's user says which IDs go into it. [`Writer`]
//! encodes into a caller's byte slice, [`Parsed`] decodes one; neither
//! allocates, and both refuse what C refuses with C's errno. Where C reads
//! past the elements it was given (an element header that does not fit the
//! stream), the parser stops instead.
//!
//! Pure: `core` only, tested on the host against kvm-hv's own C
//! (`tests/host/src/gsb_tests.rs`).

use crate::errno::Errno;

/// Guest state IDs (`KVMPPC_GSID_*` of `asm/guest-state-buffer.h`).
pub(crate) mod id {
    /// An element without a value.
    pub(crate) const BLANK: u16 = 0x0000;
    /// The size of the L0's representation of a vcpu.
    pub(crate) const HOST_STATE_SIZE: u16 = 0x0001;
    /// The least size of `H_GUEST_RUN_VCPU`'s output buffer.
    pub(crate) const RUN_OUTPUT_MIN_SIZE: u16 = 0x0002;
    /// The logical PVR (the guest's compatibility mode).
    pub(crate) const LOGICAL_PVR: u16 = 0x0003;
    /// The guest's timebase offset from the L0's.
    pub(crate) const TB_OFFSET: u16 = 0x0004;
    /// The partition-scoped page table.
    pub(crate) const PARTITION_TABLE: u16 = 0x0005;
    /// The process table.
    pub(crate) const PROCESS_TABLE: u16 = 0x0006;
    /// The L0's guest management heap in use.
    pub(crate) const L0_GUEST_HEAP: u16 = 0x0800;
    /// Its largest size.
    pub(crate) const L0_GUEST_HEAP_MAX: u16 = 0x0801;
    /// The L0's page tables for guests, in use.
    pub(crate) const L0_GUEST_PGTABLE_SIZE: u16 = 0x0802;
    /// Their largest size.
    pub(crate) const L0_GUEST_PGTABLE_SIZE_MAX: u16 = 0x0803;
    /// Page table memory reclaimed.
    pub(crate) const L0_GUEST_PGTABLE_RECLAIM: u16 = 0x0804;
    /// `H_GUEST_RUN_VCPU`'s input buffer.
    pub(crate) const RUN_INPUT: u16 = 0x0C00;
    /// `H_GUEST_RUN_VCPU`'s output buffer.
    pub(crate) const RUN_OUTPUT: u16 = 0x0C01;
    /// The vcpu's VPA.
    pub(crate) const VPA: u16 = 0x0C02;

    /// GPR `n` (0..=31).
    pub(crate) const fn gpr(n: u16) -> u16 {
        0x1000 + n
    }
    pub(crate) const HDEC_EXPIRY_TB: u16 = 0x1020;
    pub(crate) const NIA: u16 = 0x1021;
    pub(crate) const MSR: u16 = 0x1022;
    pub(crate) const LR: u16 = 0x1023;
    pub(crate) const XER: u16 = 0x1024;
    pub(crate) const CTR: u16 = 0x1025;
    pub(crate) const CFAR: u16 = 0x1026;
    pub(crate) const SRR0: u16 = 0x1027;
    pub(crate) const SRR1: u16 = 0x1028;
    pub(crate) const DAR: u16 = 0x1029;
    pub(crate) const DEC_EXPIRY_TB: u16 = 0x102A;
    pub(crate) const VTB: u16 = 0x102B;
    pub(crate) const LPCR: u16 = 0x102C;
    pub(crate) const HFSCR: u16 = 0x102D;
    pub(crate) const FSCR: u16 = 0x102E;
    pub(crate) const FPSCR: u16 = 0x102F;
    pub(crate) const DAWR0: u16 = 0x1030;
    pub(crate) const DAWR1: u16 = 0x1031;
    pub(crate) const CIABR: u16 = 0x1032;
    pub(crate) const PURR: u16 = 0x1033;
    pub(crate) const SPURR: u16 = 0x1034;
    pub(crate) const IC: u16 = 0x1035;
    pub(crate) const SPRG0: u16 = 0x1036;
    pub(crate) const SPRG1: u16 = 0x1037;
    pub(crate) const SPRG2: u16 = 0x1038;
    pub(crate) const SPRG3: u16 = 0x1039;
    pub(crate) const PPR: u16 = 0x103A;
    /// MMCR `n` (0..=3).
    pub(crate) const fn mmcr(n: u16) -> u16 {
        0x103B + n
    }
    pub(crate) const MMCRA: u16 = 0x103F;
    /// SIER `n` (0..=2).
    pub(crate) const fn sier(n: u16) -> u16 {
        0x1040 + n
    }
    pub(crate) const BESCR: u16 = 0x1043;
    pub(crate) const EBBHR: u16 = 0x1044;
    pub(crate) const EBBRR: u16 = 0x1045;
    pub(crate) const AMR: u16 = 0x1046;
    pub(crate) const IAMR: u16 = 0x1047;
    pub(crate) const AMOR: u16 = 0x1048;
    pub(crate) const UAMOR: u16 = 0x1049;
    pub(crate) const SDAR: u16 = 0x104A;
    pub(crate) const SIAR: u16 = 0x104B;
    pub(crate) const DSCR: u16 = 0x104C;
    pub(crate) const TAR: u16 = 0x104D;
    pub(crate) const DEXCR: u16 = 0x104E;
    pub(crate) const HDEXCR: u16 = 0x104F;
    pub(crate) const HASHKEYR: u16 = 0x1050;
    pub(crate) const HASHPKEYR: u16 = 0x1051;
    pub(crate) const CTRL: u16 = 0x1052;
    pub(crate) const DPDES: u16 = 0x1053;

    pub(crate) const CR: u16 = 0x2000;
    pub(crate) const PIDR: u16 = 0x2001;
    pub(crate) const DSISR: u16 = 0x2002;
    pub(crate) const VSCR: u16 = 0x2003;
    pub(crate) const VRSAVE: u16 = 0x2004;
    pub(crate) const DAWRX0: u16 = 0x2005;
    pub(crate) const DAWRX1: u16 = 0x2006;
    /// PMC `n` (0..=5).
    pub(crate) const fn pmc(n: u16) -> u16 {
        0x2007 + n
    }
    pub(crate) const WORT: u16 = 0x200D;
    pub(crate) const PSPB: u16 = 0x200E;

    /// VSR `n` (0..=63).
    pub(crate) const fn vsr(n: u16) -> u16 {
        0x3000 + n
    }

    pub(crate) const HDAR: u16 = 0xF000;
    pub(crate) const HDSISR: u16 = 0xF001;
    pub(crate) const HEIR: u16 = 0xF002;
    pub(crate) const ASDR: u16 = 0xF003;
}

/// The classes of IDs, each a contiguous range, in the order C numbers
/// them for its parser's map (first ID, last ID).
const CLASSES: [(Class, u16, u16); 7] = [
    (Class::GuestWide, id::BLANK, id::PROCESS_TABLE),
    (
        Class::HostWide,
        id::L0_GUEST_HEAP,
        id::L0_GUEST_PGTABLE_RECLAIM,
    ),
    (Class::Meta, id::RUN_INPUT, id::VPA),
    (Class::DwordReg, id::gpr(0), id::DPDES),
    (Class::WordReg, id::CR, id::PSPB),
    (Class::Vector, id::vsr(0), id::vsr(63)),
    (Class::Intr, id::HDAR, id::ASDR),
];

/// How many IDs there are (`KVMPPC_GSE_IDEN_COUNT`).
pub(crate) const ID_COUNT: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < CLASSES.len() {
        n += (CLASSES[i].2 - CLASSES[i].1) as usize + 1;
        i += 1;
    }
    n
};

/// What an ID's element is about (`KVMPPC_GS_CLASS_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// The whole guest (`H_GUEST_{GET,SET}_STATE` with the guest-wide flag).
    GuestWide,
    /// The whole host: the L0's resources for all guests.
    HostWide,
    /// The buffers of `H_GUEST_RUN_VCPU` and the VPA.
    Meta,
    /// A vcpu's doubleword register.
    DwordReg,
    /// A vcpu's word register.
    WordReg,
    /// A vcpu's vector-scalar register.
    Vector,
    /// A vcpu's interrupt registers, read after an exit.
    Intr,
}

/// The class of `iden`, if it is an ID.
pub(crate) fn class(iden: u16) -> Option<Class> {
    // The ranges of CLASSES, as a match: this is asked for every element
    // of every entry.
    Some(match iden {
        id::BLANK..=id::PROCESS_TABLE => Class::GuestWide,
        id::L0_GUEST_HEAP..=id::L0_GUEST_PGTABLE_RECLAIM => Class::HostWide,
        id::RUN_INPUT..=id::VPA => Class::Meta,
        GPR0..=id::DPDES => Class::DwordReg,
        id::CR..=id::PSPB => Class::WordReg,
        VSR0..=VSR63 => Class::Vector,
        id::HDAR..=id::ASDR => Class::Intr,
        _ => return None,
    })
}

const GPR0: u16 = id::gpr(0);
const VSR0: u16 = id::vsr(0);
const VSR63: u16 = id::vsr(63);

// `class` is CLASSES, in CLASSES' order (which `flatten` relies on).
const _: () = {
    let mut i = 0;
    while i < CLASSES.len() {
        assert!(CLASSES[i].0 as usize == i);
        i += 1;
    }
    assert!(CLASSES[3].1 == GPR0 && CLASSES[5].1 == VSR0 && CLASSES[5].2 == VSR63);
};

/// Where each class's IDs start in the map of every ID.
const BASES: [usize; CLASSES.len()] = {
    let mut b = [0; CLASSES.len()];
    let mut i = 1;
    while i < CLASSES.len() {
        b[i] = b[i - 1] + (CLASSES[i - 1].2 - CLASSES[i - 1].1) as usize + 1;
        i += 1;
    }
    b
};

/// An element's data (`KVMPPC_GSE_*` types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    /// A big-endian word.
    Be32,
    /// A big-endian doubleword.
    Be64,
    /// A vector-scalar register: two big-endian doublewords.
    Vec128,
    /// Address, effective address bits and root directory size (three
    /// doublewords).
    PartitionTable,
    /// Address and size (two doublewords).
    ProcessTable,
    /// A buffer's address and size (two doublewords).
    Buffer,
}

impl Type {
    /// The length of its data.
    pub(crate) const fn len(self) -> u16 {
        match self {
            Type::Be32 => 4,
            Type::Be64 => 8,
            Type::Vec128 => 16,
            Type::PartitionTable => 24,
            Type::ProcessTable | Type::Buffer => 16,
        }
    }
}

/// The type of `iden`'s data, if it is an ID with a value (not
/// [`id::BLANK`], nor an unassigned ID inside a class's range).
pub(crate) fn ty(iden: u16) -> Option<Type> {
    Some(match class(iden)? {
        Class::HostWide => Type::Be64,
        Class::GuestWide => match iden {
            id::HOST_STATE_SIZE | id::RUN_OUTPUT_MIN_SIZE | id::TB_OFFSET => Type::Be64,
            id::PARTITION_TABLE => Type::PartitionTable,
            id::PROCESS_TABLE => Type::ProcessTable,
            id::LOGICAL_PVR => Type::Be32,
            _ => return None,
        },
        Class::Meta => match iden {
            id::RUN_INPUT | id::RUN_OUTPUT => Type::Buffer,
            _ => Type::Be64,
        },
        Class::DwordReg => Type::Be64,
        Class::WordReg => Type::Be32,
        Class::Vector => Type::Vec128,
        Class::Intr => match iden {
            id::HDAR | id::ASDR => Type::Be64,
            _ => Type::Be32,
        },
    })
}

/// The length of `iden`'s data; 0 for an ID without a value or a number
/// that is not an ID (`kvmppc_gsid_size`).
pub(crate) fn size(iden: u16) -> u16 {
    ty(iden).map_or(0, Type::len)
}

/// `KVMPPC_GS_FLAGS_WIDE`: a guest-wide ID.
pub(crate) const FLAG_WIDE: u64 = 0x01;
/// `KVMPPC_GS_FLAGS_HOST_WIDE`: a host-wide ID.
pub(crate) const FLAG_HOST_WIDE: u64 = 0x02;

/// The flags `H_GUEST_{GET,SET}_STATE` needs for `iden`
/// (`kvmppc_gsid_flags`).
pub(crate) fn flags(iden: u16) -> u64 {
    match class(iden) {
        Some(Class::GuestWide) => FLAG_WIDE,
        Some(Class::HostWide) => FLAG_HOST_WIDE,
        _ => 0,
    }
}

const LPCR_DPFD: u64 = 7 << 52;
const LPCR_ILE: u64 = 0x0000_0000_0200_0000;
const LPCR_AIL: u64 = 0x0000_0000_0180_0000;
const LPCR_LD: u64 = 0x0000_0000_0002_0000;
const LPCR_MER: u64 = 0x0000_0000_0000_0800;
const LPCR_GTSE: u64 = 0x0000_0000_0000_0400;
const MSR_HV: u64 = 1 << 60;
const MSR_S: u64 = 1 << 22;
const MSR_ME: u64 = 1 << 12;

/// The bits of `iden`'s value a host may set (`kvmppc_gsid_mask`): the
/// L0 owns the rest of the LPCR and the MSR's HV, S and ME.
pub(crate) fn mask(iden: u16) -> u64 {
    match iden {
        id::LPCR => LPCR_DPFD | LPCR_ILE | LPCR_AIL | LPCR_LD | LPCR_MER | LPCR_GTSE,
        id::MSR => !(MSR_HV | MSR_S | MSR_ME),
        _ => !0,
    }
}

/// `iden`'s place in a map of every ID (`kvmppc_gse_flatten_iden`): the
/// classes' ranges one after the other. `None` for a number that is not
/// in any class (C answers 0, [`id::BLANK`]'s place, for it).
pub(crate) fn flatten(iden: u16) -> Option<usize> {
    let c = class(iden)? as usize;
    Some(BASES[c] + (iden - CLASSES[c].1) as usize)
}

/// The ID at place `bit` of the map (`kvmppc_gse_unflatten_iden`).
pub(crate) fn unflatten(bit: usize) -> Option<u16> {
    let mut base = 0;
    for &(_, first, last) in &CLASSES {
        let n = (last - first) as usize + 1;
        if bit < base + n {
            return Some(first + (bit - base) as u16);
        }
        base += n;
    }
    None
}

/// The header: the element count.
pub(crate) const HEADER_LEN: usize = 4;
/// An element's header: ID and length.
pub(crate) const ELEM_HEADER_LEN: usize = 4;

/// Encodes elements into a buffer (`kvmppc_gsb_*`, `kvmppc_gse_put_*`).
///
/// # Invariants
///
/// `buf[..len]` is a well-formed buffer: the header's count is the number
/// of elements after it, and each element's length is its ID's size.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
    nelems: u32,
}

impl<'a> Writer<'a> {
    /// An empty buffer in `buf` (`kvmppc_gsb_new`, `kvmppc_gsb_reset`), whose
    /// capacity is `buf.len()`; `ENOMEM` if the header does not fit.
    pub(crate) fn new(buf: &'a mut [u8]) -> Result<Self, Errno> {
        if buf.len() < HEADER_LEN {
            return Err(Errno::ENOMEM);
        }
        buf[..HEADER_LEN].fill(0);
        Ok(Writer {
            buf,
            len: HEADER_LEN,
            nelems: 0,
        })
    }

    /// The length of the buffer so far, header included.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The number of elements so far.
    pub(crate) fn nelems(&self) -> u32 {
        self.nelems
    }

    /// The buffer so far.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Appends element `iden` with `data` as it is (`__kvmppc_gse_put`):
    /// `ENOMEM` if it does not fit, `EINVAL` if `data` is not `iden`'s size
    /// (so an ID without a value, or a number that is not an ID, can only
    /// be put with no data, as in C).
    pub(crate) fn put(&mut self, iden: u16, data: &[u8]) -> Result<(), Errno> {
        let total = ELEM_HEADER_LEN + data.len();
        if total > u16::MAX as usize {
            // No ID is that long. (C's 16-bit total wraps, passes its room
            // check and fails the size check.)
            return Err(Errno::EINVAL);
        }
        if self.len + total > self.buf.len() {
            return Err(Errno::ENOMEM);
        }
        if usize::from(size(iden)) != data.len() {
            return Err(Errno::EINVAL);
        }
        let e = &mut self.buf[self.len..self.len + total];
        e[0..2].copy_from_slice(&iden.to_be_bytes());
        e[2..4].copy_from_slice(&(data.len() as u16).to_be_bytes());
        e[4..].copy_from_slice(data);
        self.len += total;
        self.nelems += 1;
        self.buf[..HEADER_LEN].copy_from_slice(&self.nelems.to_be_bytes());
        Ok(())
    }

    /// A word, with the bits the host may not set cleared
    /// (`kvmppc_gse_put_u32`).
    pub(crate) fn put_u32(&mut self, iden: u16, v: u32) -> Result<(), Errno> {
        self.put(iden, &((u64::from(v) & mask(iden)) as u32).to_be_bytes())
    }

    /// A doubleword, with the bits the host may not set cleared
    /// (`kvmppc_gse_put_u64`: the L0 owns the rest of the LPCR and the
    /// MSR's HV, S and ME).
    pub(crate) fn put_u64(&mut self, iden: u16, v: u64) -> Result<(), Errno> {
        self.put(iden, &(v & mask(iden)).to_be_bytes())
    }

    /// A vector-scalar register: its doubleword 0 (the FPR half) then
    /// doubleword 1, each big-endian (`kvmppc_gse_put_vector128`, which
    /// takes them from the `vector128` in memory).
    pub(crate) fn put_vsr(&mut self, iden: u16, dw0: u64, dw1: u64) -> Result<(), Errno> {
        self.put(iden, &pair(dw0, dw1))
    }

    /// The partition table (`kvmppc_gse_put_part_table`).
    pub(crate) fn put_part_table(&mut self, t: PartTable) -> Result<(), Errno> {
        let mut d = [0; 24];
        d[0..8].copy_from_slice(&t.address.to_be_bytes());
        d[8..16].copy_from_slice(&t.ea_bits.to_be_bytes());
        d[16..24].copy_from_slice(&t.gpd_size.to_be_bytes());
        self.put(id::PARTITION_TABLE, &d)
    }

    /// The process table (`kvmppc_gse_put_proc_table`).
    pub(crate) fn put_proc_table(&mut self, address: u64, gpd_size: u64) -> Result<(), Errno> {
        self.put(id::PROCESS_TABLE, &pair(address, gpd_size))
    }

    /// A buffer's address and size (`kvmppc_gse_put_buff_info`), for
    /// [`id::RUN_INPUT`] and [`id::RUN_OUTPUT`].
    pub(crate) fn put_buffer(&mut self, iden: u16, address: u64, size: u64) -> Result<(), Errno> {
        self.put(iden, &pair(address, size))
    }
}

fn pair(a: u64, b: u64) -> [u8; 16] {
    let mut d = [0; 16];
    d[0..8].copy_from_slice(&a.to_be_bytes());
    d[8..16].copy_from_slice(&b.to_be_bytes());
    d
}

/// The partition table element's value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PartTable {
    /// Where the table starts.
    pub(crate) address: u64,
    /// Bits in an effective address.
    pub(crate) ea_bits: u64,
    /// The root page directory's size.
    pub(crate) gpd_size: u64,
}

/// A decoded buffer: where each ID's element is (`struct
/// kvmppc_gs_parser`, `kvmppc_gse_parse`).
pub(crate) struct Parsed<'a> {
    buf: &'a [u8],
    /// The start of each ID's data in `buf`, by [`flatten`]ed ID; 0 for
    /// none (data never starts there: the header does).
    at: [u32; ID_COUNT],
    /// The places of `at` that are set, so that a walk skips the rest.
    present: Map,
}

impl<'a> Parsed<'a> {
    /// Parses the buffer in `buf` (its whole capacity; the header's count
    /// says how many elements there are). `EINVAL` if an element's length
    /// is not its ID's size, if an element is not an ID, or if fewer
    /// elements than the count fit. A later element of an ID replaces an
    /// earlier one, as in C.
    #[inline]
    pub(crate) fn new(buf: &'a [u8]) -> Result<Self, Errno> {
        let mut p = Parsed {
            buf,
            at: [0; ID_COUNT],
            present: [0; MAP_WORDS],
        };
        if u32::try_from(buf.len()).is_err() {
            return Err(Errno::EINVAL);
        }
        let nelems = match buf.get(..HEADER_LEN) {
            Some(h) => u32::from_be_bytes([h[0], h[1], h[2], h[3]]),
            None => return Err(Errno::EINVAL),
        };
        let mut pos = HEADER_LEN;
        let mut n = 0;
        while n < nelems {
            let Some(h) = buf.get(pos..pos + ELEM_HEADER_LEN) else {
                break;
            };
            let iden = u16::from_be_bytes([h[0], h[1]]);
            let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
            if buf.len() - pos - ELEM_HEADER_LEN < len {
                break;
            }
            if len != usize::from(size(iden)) {
                return Err(Errno::EINVAL);
            }
            // C files a number that is not an ID (with no data) under
            // BLANK's place; it is refused here.
            let slot = flatten(iden).ok_or(Errno::EINVAL)?;
            p.at[slot] = (pos + ELEM_HEADER_LEN) as u32;
            p.present[slot / 64] |= 1 << (slot % 64);
            pos += ELEM_HEADER_LEN + len;
            n += 1;
        }
        if n != nelems {
            return Err(Errno::EINVAL);
        }
        Ok(p)
    }

    /// The data of `iden`'s element, if the buffer has one.
    pub(crate) fn get(&self, iden: u16) -> Option<&'a [u8]> {
        let start = match self.at[flatten(iden)?] {
            0 => return None,
            a => a as usize,
        };
        self.buf.get(start..start + usize::from(size(iden)))
    }

    /// A word element's value.
    pub(crate) fn u32(&self, iden: u16) -> Option<u32> {
        let d = self.get(iden)?;
        Some(u32::from_be_bytes(d.try_into().ok()?))
    }

    /// A doubleword element's value.
    pub(crate) fn u64(&self, iden: u16) -> Option<u64> {
        let d = self.get(iden)?;
        Some(u64::from_be_bytes(d.try_into().ok()?))
    }

    /// A vector-scalar register element's doublewords 0 and 1.
    pub(crate) fn vsr(&self, iden: u16) -> Option<(u64, u64)> {
        let d = self.get(iden)?;
        Some((
            u64::from_be_bytes(d.get(0..8)?.try_into().ok()?),
            u64::from_be_bytes(d.get(8..16)?.try_into().ok()?),
        ))
    }

    /// The elements present, each ID with its data, in the order of C's
    /// parser map ([`id::BLANK`] included).
    pub(crate) fn elements(&self) -> impl Iterator<Item = (u16, &'a [u8])> + '_ {
        bits(&self.present).filter_map(|bit| {
            let iden = unflatten(bit)?;
            let start = self.at[bit] as usize;
            Some((iden, self.buf.get(start..start + usize::from(size(iden)))?))
        })
    }

    /// The IDs present, in the order of C's parser map, [`id::BLANK`]
    /// included. (C's `kvmppc_gsp_for_each` ends at an ID of 0, so it
    /// stops at a BLANK element before any other.)
    pub(crate) fn ids(&self) -> impl Iterator<Item = u16> + '_ {
        bits(&self.present).filter_map(unflatten)
    }
}

/// Words in a map of every ID (`struct kvmppc_gs_bitmap`).
pub(crate) const MAP_WORDS: usize = ID_COUNT.div_ceil(64);

/// A set of IDs, one bit each at its [`flatten`]ed place (`struct
/// kvmppc_gs_bitmap`: a vcpu's messages and its valid values).
pub(crate) type Map = [u64; MAP_WORDS];

/// Adds `iden` to `map` (`kvmppc_gsbm_set`); a number that is not an ID
/// is not added.
pub(crate) fn map_set(map: &mut Map, iden: u16) {
    if let Some(bit) = flatten(iden) {
        map[bit / 64] |= 1 << (bit % 64);
    }
}

/// Empties `map` (`kvmppc_gsbm_zero`).
pub(crate) fn map_zero(map: &mut Map) {
    map.fill(0);
}

/// Whether `iden` is in `map` (`kvmppc_gsbm_test`).
pub(crate) fn map_test(map: &Map, iden: u16) -> bool {
    flatten(iden).is_some_and(|bit| map[bit / 64] & (1 << (bit % 64)) != 0)
}

/// The IDs in `map` as C's `kvmppc_gsbm_for_each` walks them: in map
/// order, ending at the first ID 0 it meets, so a map holding
/// [`id::BLANK`] yields nothing (C's maps never hold it: `kvmppc_gsbm_fill`
/// leaves it out).
pub(crate) fn map_ids(map: &Map) -> impl Iterator<Item = u16> + '_ {
    bits(map).map_while(|bit| unflatten(bit).filter(|&iden| iden != id::BLANK))
}

/// The places set in `map`, in order, a word at a time (`find_next_bit`).
fn bits(map: &Map) -> Bits<'_> {
    Bits {
        map,
        word: 0,
        cur: map[0],
    }
}

/// The iterator of [`bits`].
struct Bits<'m> {
    map: &'m Map,
    /// The word `cur` came from.
    word: usize,
    /// What is left of it.
    cur: u64,
}

impl Iterator for Bits<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.cur == 0 {
            self.word += 1;
            self.cur = *self.map.get(self.word)?;
        }
        let bit = self.cur.trailing_zeros() as usize;
        self.cur &= self.cur - 1;
        Some(self.word * 64 + bit)
    }
}

/// A vcpu register's value in a guest state element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// A word ([`Type::Be32`]).
    Word(u32),
    /// A doubleword ([`Type::Be64`]).
    Dword(u64),
    /// A vector-scalar register's doublewords 0 and 1 ([`Type::Vec128`]).
    Vsr(u64, u64),
}

/// A vcpu's registers as the nested-v2 vcpu messages see them: the fields
/// behind each ID (`gs_msg_ops_vcpu_fill_info`, `gs_msg_ops_vcpu_refresh_info`).
pub(crate) trait VcpuRegs {
    /// The value sent for `iden`; `None` for an ID the vcpu message never
    /// sends (the L0's own, the interrupt registers, the buffers).
    fn get(&mut self, iden: u16) -> Option<Value>;
    /// Takes `iden`'s value from the L0. Returns whether the vcpu message
    /// keeps `iden` (its value is then valid in the vcpu), `false` for an ID
    /// it ignores.
    fn set(&mut self, iden: u16, v: Value) -> bool;
}

/// Appends to `w` the IDs of `map` that `regs` sends and that are
/// guest-wide if `wide` (thread-wide if not), in map order, each with
/// `regs`' value (`kvmppc_gsm_fill_info` for the vcpu and vcore messages).
/// Stops at the first error.
pub(crate) fn fill(
    w: &mut Writer<'_>,
    map: &Map,
    wide: bool,
    regs: &mut impl VcpuRegs,
) -> Result<(), Errno> {
    for iden in map_ids(map) {
        if (flags(iden) & FLAG_WIDE != 0) != wide {
            continue;
        }
        match regs.get(iden) {
            Some(Value::Word(v)) => w.put_u32(iden, v)?,
            Some(Value::Dword(v)) => w.put_u64(iden, v)?,
            Some(Value::Vsr(dw0, dw1)) => w.put_vsr(iden, dw0, dw1)?,
            None => {}
        }
    }
    Ok(())
}

/// Gives `regs` the value of each element of `p` it keeps, in map order,
/// and returns the IDs it kept (`gs_msg_ops_vcpu_refresh_info`: they are
/// the vcpu's valid values). As C's walk, stops at a [`id::BLANK`]
/// element, which comes first.
pub(crate) fn refresh(p: &Parsed<'_>, regs: &mut impl VcpuRegs) -> Map {
    let mut valid = [0; MAP_WORDS];
    for (iden, d) in p.elements() {
        if iden == id::BLANK {
            break;
        }
        let dw = |at: usize| {
            d.get(at..at + 8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
        };
        let v = match ty(iden) {
            Some(Type::Be32) => d
                .try_into()
                .ok()
                .map(|b| Value::Word(u32::from_be_bytes(b))),
            Some(Type::Be64) => dw(0).map(Value::Dword),
            Some(Type::Vec128) => dw(0).zip(dw(8)).map(|(a, b)| Value::Vsr(a, b)),
            _ => None,
        };
        if let Some(v) = v {
            if regs.set(iden, v) {
                map_set(&mut valid, iden);
            }
        }
    }
    valid
}
