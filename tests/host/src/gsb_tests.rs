// SPDX-License-Identifier: GPL-2.0

//! The nested API v2 guest state buffer (`vcpu/gsb.rs`) against kvm-hv's
//! own C (`arch/powerpc/kvm/guest-state-buffer.c`, built for the host by
//! build.rs): every ID's size, flags and settable bits; encodings of
//! generated element sequences, byte for byte with the same errors; and
//! parses of encoded, corrupted and truncated buffers, with the same
//! errors and the same elements found. Plus what the comparison cannot
//! show: the encoding of each type, and where Rust refuses what C accepts.

use crate::errno::Errno;
#[cfg(gsb_c)]
use crate::gsb::{self, ID_COUNT};
use crate::gsb::{id, Parsed, PartTable, Writer};

/// A small deterministic generator (xorshift64*), so that a failure
/// names its seed.
#[cfg(gsb_c)]
struct Rng(u64);

#[cfg(gsb_c)]
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Every ID, and numbers around and between the classes.
#[cfg(gsb_c)]
fn interesting_ids() -> Vec<u16> {
    let mut v: Vec<u16> = (0..ID_COUNT).filter_map(gsb::unflatten).collect();
    v.extend([
        0x0007, 0x07FF, 0x0805, 0x0BFF, 0x0C03, 0x0FFF, 0x1054, 0x1FFF, 0x200F,
    ]);
    v.extend([0x2FFF, 0x3040, 0xEFFF, 0xF004, 0xFFFF]);
    v
}

#[test]
fn each_type_is_encoded_as_the_papr_says() {
    let mut buf = [0u8; 128];
    let mut w = Writer::new(&mut buf).unwrap();
    w.put_u32(id::CR, 0x1122_3344).unwrap();
    w.put_u64(id::NIA, 0x0102_0304_0506_0708).unwrap();
    w.put_vsr(id::vsr(3), 0xAAAA_BBBB_CCCC_DDDD, 0x1111_2222_3333_4444)
        .unwrap();
    w.put_part_table(PartTable {
        address: 0x1000,
        ea_bits: 52,
        gpd_size: 13,
    })
    .unwrap();
    assert_eq!(w.nelems(), 4);
    let b = w.bytes();
    assert_eq!(&b[0..4], &[0, 0, 0, 4], "big-endian element count");
    assert_eq!(&b[4..12], &[0x20, 0x00, 0x00, 0x04, 0x11, 0x22, 0x33, 0x44]);
    assert_eq!(&b[12..16], &[0x10, 0x21, 0x00, 0x08]);
    assert_eq!(&b[16..24], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(&b[24..28], &[0x30, 0x03, 0x00, 0x10]);
    assert_eq!(b[28], 0xAA, "doubleword 0 (the FPR half) first");
    assert_eq!(b[36], 0x11);
    assert_eq!(&b[44..48], &[0x00, 0x05, 0x00, 24]);
    assert_eq!(b.len(), 48 + 24);

    let p = Parsed::new(&buf).unwrap();
    assert_eq!(p.u32(id::CR), Some(0x1122_3344));
    assert_eq!(p.u64(id::NIA), Some(0x0102_0304_0506_0708));
    assert_eq!(
        p.vsr(id::vsr(3)),
        Some((0xAAAA_BBBB_CCCC_DDDD, 0x1111_2222_3333_4444))
    );
    assert_eq!(p.u64(id::MSR), None);
    let ids: Vec<u16> = p.ids().collect();
    assert_eq!(ids, [id::PARTITION_TABLE, id::NIA, id::CR, id::vsr(3)]);
}

#[test]
fn the_writer_refuses_what_does_not_fit_or_is_not_the_id_s_size() {
    let mut small = [0u8; 3];
    assert_eq!(Writer::new(&mut small).err(), Some(Errno::ENOMEM));
    let mut buf = [0u8; 16];
    let mut w = Writer::new(&mut buf).unwrap();
    assert_eq!(w.put(id::CR, &[0; 8]), Err(Errno::EINVAL));
    w.put_u32(id::CR, 1).unwrap();
    assert_eq!(w.put_u64(id::NIA, 1), Err(Errno::ENOMEM), "4 + 8 > 16 - 8");
    assert_eq!(w.len(), 12);
    assert_eq!(w.nelems(), 1);

    // LPCR and MSR bits the L0 owns are not sent.
    let mut buf = [0u8; 64];
    let mut w = Writer::new(&mut buf).unwrap();
    w.put_u64(id::MSR, !0).unwrap();
    w.put_u64(id::LPCR, !0).unwrap();
    w.put_u64(id::NIA, !0).unwrap();
    let p = Parsed::new(&buf).unwrap();
    assert_eq!(p.u64(id::MSR), Some(!((1 << 60) | (1 << 22) | (1 << 12))));
    assert_eq!(p.u64(id::LPCR), Some(0x0070_0000_0382_0c00));
    assert_eq!(p.u64(id::NIA), Some(!0));
    // The raw put sends what it is given; no ID is 65532 bytes long.
    let mut buf = [0u8; 64];
    let mut w = Writer::new(&mut buf).unwrap();
    w.put(id::MSR, &[0xff; 8]).unwrap();
    assert_eq!(Parsed::new(&buf).unwrap().u64(id::MSR), Some(!0));
    let mut w = Writer::new(&mut buf).unwrap();
    assert_eq!(w.put(id::CR, &vec![0; 65532]), Err(Errno::EINVAL));
}

#[test]
fn the_parser_refuses_a_number_that_is_not_an_id() {
    // 0x0007 is in no class; C files it under BLANK (flatten gives 0) when
    // it comes with no data. Rust refuses the buffer.
    let mut buf = [0u8; 16];
    let mut w = Writer::new(&mut buf).unwrap();
    w.put(0x0007, &[]).unwrap();
    assert_eq!(Parsed::new(&buf).err(), Some(Errno::EINVAL));
}

#[cfg(gsb_c)]
mod against_c {
    use super::*;
    use std::ffi::{c_int, c_ulong};

    extern "C" {
        fn gsbt_put(
            mem: *mut u8,
            capacity: usize,
            idens: *const u16,
            lens: *const u16,
            data: *const u8,
            n: usize,
            len: *mut usize,
        ) -> c_int;
        fn gsbt_parse(
            mem: *mut u8,
            capacity: usize,
            idens: *mut u16,
            offsets: *mut usize,
            n: *mut usize,
        ) -> c_int;
        fn gsbt_size(iden: u16) -> u16;
        fn gsbt_flags(iden: u16) -> c_ulong;
        fn gsbt_mask(iden: u16) -> u64;
        fn gsbt_id_count() -> usize;
        /// guest-state-buffer.c's own: `struct kvmppc_gs_bitmap` is its
        /// words.
        fn kvmppc_gsbm_next(gsbm: *mut u64, prev: u16) -> u16;
    }

    /// C's `kvmppc_gsbm_for_each` over `map`.
    fn c_map_ids(map: &gsb::Map) -> Vec<u16> {
        let mut m = *map;
        let mut v = Vec::new();
        // SAFETY: `m` is a whole bitmap of every ID.
        let mut iden = unsafe { kvmppc_gsbm_next(m.as_mut_ptr(), 0) };
        while iden != 0 {
            v.push(iden);
            // SAFETY: as above.
            iden = unsafe { kvmppc_gsbm_next(m.as_mut_ptr(), iden) };
        }
        v
    }

    #[test]
    fn maps_are_walked_as_c_walks_them() {
        let mut rng = Rng(0x6e65_7374_6564_7632);
        for case in 0..2000 {
            let mut map = [0; gsb::MAP_WORDS];
            let n = rng.below(ID_COUNT as u64 + 1);
            for _ in 0..n {
                let bit = rng.below(ID_COUNT as u64) as usize;
                // BLANK (bit 0) only sometimes: C's walk ends at it.
                if bit != 0 || case % 7 == 0 {
                    gsb::map_set(&mut map, gsb::unflatten(bit).unwrap());
                }
            }
            let rust: Vec<u16> = gsb::map_ids(&map).collect();
            assert_eq!(rust, c_map_ids(&map), "case {case}");
        }
    }

    fn errno(r: c_int) -> Result<(), Errno> {
        if r == 0 {
            Ok(())
        } else {
            Err(Errno::from_ret(r).expect("an errno"))
        }
    }

    #[test]
    fn every_id_has_c_s_size_flags_and_mask() {
        // SAFETY: the C functions take a number and read nothing else.
        unsafe {
            assert_eq!(ID_COUNT, gsbt_id_count());
            for iden in 0..=u16::MAX {
                assert_eq!(gsb::size(iden), gsbt_size(iden), "size of {iden:#x}");
                assert_eq!(gsb::flags(iden), gsbt_flags(iden), "flags of {iden:#x}");
                assert_eq!(gsb::mask(iden), gsbt_mask(iden), "mask of {iden:#x}");
            }
        }
    }

    /// A sequence of elements: mostly IDs with their size, sometimes a
    /// wrong length or a number that is not an ID.
    fn elements(rng: &mut Rng) -> Vec<(u16, Vec<u8>)> {
        let ids = interesting_ids();
        (0..rng.below(40))
            .map(|_| {
                let iden = ids[rng.below(ids.len() as u64) as usize];
                let len = match rng.below(20) {
                    0 => rng.below(30) as usize,
                    _ => usize::from(gsb::size(iden)),
                };
                (iden, (0..len).map(|_| rng.next() as u8).collect())
            })
            .collect()
    }

    /// C's encoding of `elems` in `capacity` bytes: its result, and the
    /// buffer up to its length.
    fn c_put(elems: &[(u16, Vec<u8>)], capacity: usize) -> (Result<(), Errno>, Vec<u8>) {
        let idens: Vec<u16> = elems.iter().map(|e| e.0).collect();
        let lens: Vec<u16> = elems.iter().map(|e| e.1.len() as u16).collect();
        let data: Vec<u8> = elems.iter().flat_map(|e| e.1.iter().copied()).collect();
        let mut mem = vec![0u8; capacity];
        let mut len = 0;
        // SAFETY: `mem` is `capacity` bytes; the arrays are `elems.len()`
        // long and `data` holds every element's bytes.
        let r = unsafe {
            gsbt_put(
                mem.as_mut_ptr(),
                capacity,
                idens.as_ptr(),
                lens.as_ptr(),
                data.as_ptr(),
                elems.len(),
                &mut len,
            )
        };
        mem.truncate(len);
        (errno(r), mem)
    }

    fn rust_put(elems: &[(u16, Vec<u8>)], capacity: usize) -> (Result<(), Errno>, Vec<u8>) {
        let mut mem = vec![0u8; capacity];
        let mut w = Writer::new(&mut mem).unwrap();
        let r = elems.iter().try_for_each(|(i, d)| w.put(*i, d));
        let out = w.bytes().to_vec();
        (r, out)
    }

    /// C's parse of `buf`: its result and the (ID, data offset) it found,
    /// in its order.
    fn c_parse(buf: &[u8]) -> Result<Vec<(u16, usize)>, Errno> {
        let mut mem = buf.to_vec();
        // SAFETY: `mem` is `buf.len()` bytes.
        unsafe { c_parse_at(mem.as_mut_ptr(), mem.len()) }
    }

    /// `c_parse` of the `capacity` bytes at `mem`.
    ///
    /// # Safety
    ///
    /// `mem` is valid for reads and writes of `capacity` bytes.
    unsafe fn c_parse_at(mem: *mut u8, capacity: usize) -> Result<Vec<(u16, usize)>, Errno> {
        let mut idens = vec![0u16; ID_COUNT];
        let mut offsets = vec![0usize; ID_COUNT];
        let mut n = 0;
        // SAFETY: the caller's guarantee for `mem`; the arrays have room for
        // every ID.
        let r = unsafe {
            gsbt_parse(
                mem,
                capacity,
                idens.as_mut_ptr(),
                offsets.as_mut_ptr(),
                &mut n,
            )
        };
        errno(r).map(|()| {
            idens[..n]
                .iter()
                .copied()
                .zip(offsets[..n].iter().copied())
                .collect()
        })
    }

    fn rust_parse(buf: &[u8]) -> Result<Vec<(u16, usize)>, Errno> {
        let p = Parsed::new(buf)?;
        Ok(p.ids()
            .map(|i| {
                let d = p.get(i).unwrap();
                (i, d.as_ptr() as usize - buf.as_ptr() as usize)
            })
            .collect())
    }

    /// Whether `buf` has, among the elements C would parse, a number that
    /// is not an ID: the one case the two parsers differ on by design.
    fn has_non_id(buf: &[u8]) -> bool {
        let n = u32::from_be_bytes(buf[..4].try_into().unwrap());
        let mut pos = 4;
        for _ in 0..n {
            if pos + 4 > buf.len() {
                break;
            }
            let iden = u16::from_be_bytes([buf[pos], buf[pos + 1]]);
            let len = u16::from_be_bytes([buf[pos + 2], buf[pos + 3]]) as usize;
            if gsb::class(iden).is_none() {
                return true;
            }
            pos += 4 + len;
        }
        false
    }

    fn same_parse(buf: &[u8], seed: u64) -> bool {
        let (c, r) = (c_parse(buf), rust_parse(buf));
        if has_non_id(buf) && c.is_ok() {
            assert_eq!(r, Err(Errno::EINVAL), "seed {seed}: a non-ID is refused");
            return false;
        }
        assert_eq!(r, c, "seed {seed}: parse of {buf:02x?}");
        true
    }

    extern "C" {
        fn mmap(
            addr: *mut u8,
            len: usize,
            prot: c_int,
            flags: c_int,
            fd: c_int,
            off: i64,
        ) -> *mut u8;
        fn mprotect(addr: *mut u8, len: usize, prot: c_int) -> c_int;
        fn munmap(addr: *mut u8, len: usize) -> c_int;
    }

    /// A buffer whose elements fill it exactly, at the end of a page that
    /// an inaccessible page follows: a parser that reads past it faults.
    /// kvm-hv's parser read the next element's header before it knew one
    /// could fit (patch 0026); the test process dies with SIGSEGV then.
    #[test]
    fn neither_parser_reads_past_a_full_buffer() {
        const PAGE: usize = 4096;
        const PROT_NONE: c_int = 0;
        const PROT_RW: c_int = 3;
        const MAP_PRIVATE_ANONYMOUS: c_int = 0x22;
        let mut elems = Vec::new();
        for i in 0..5 {
            elems.push((id::gpr(i), vec![i as u8; 8]));
        }
        elems.push((id::CR, vec![7; 4]));
        let (r, bytes) = c_put(&elems, 4096);
        r.unwrap();
        // SAFETY: a fresh anonymous mapping of two pages, the second made
        // inaccessible; the buffer is copied to the end of the first, and
        // the mapping is unmapped at the end.
        unsafe {
            let map = mmap(
                core::ptr::null_mut(),
                2 * PAGE,
                PROT_RW,
                MAP_PRIVATE_ANONYMOUS,
                -1,
                0,
            );
            assert!(map as isize != -1, "mmap");
            assert_eq!(mprotect(map.add(PAGE), PAGE, PROT_NONE), 0);
            let buf = map.add(PAGE - bytes.len());
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len());
            let full = core::slice::from_raw_parts(buf, bytes.len());
            assert!(Parsed::new(full).is_ok());
            let found = c_parse_at(buf, bytes.len()).unwrap();
            assert_eq!(found.len(), elems.len());
            // With one element less counted than present: the count ends
            // the walk, before the last element's header.
            *buf.add(3) -= 1;
            let found = c_parse_at(buf, bytes.len()).unwrap();
            assert_eq!(found.len(), elems.len() - 1);
            assert_eq!(munmap(map, 2 * PAGE), 0);
        }
    }

    #[test]
    fn encodings_are_c_s_byte_for_byte() {
        let mut compared = 0;
        for seed in 1..=3000u64 {
            let mut rng = Rng(seed);
            let elems = elements(&mut rng);
            let capacity = 4 + rng.below(400) as usize;
            let (c, c_bytes) = c_put(&elems, capacity);
            let (r, r_bytes) = rust_put(&elems, capacity);
            assert_eq!(r, c, "seed {seed}: result");
            assert_eq!(r_bytes, c_bytes, "seed {seed}: bytes");
            compared += usize::from(!elems.is_empty());
        }
        assert!(compared > 2500);
    }

    #[test]
    fn parses_are_c_s_for_encoded_corrupted_and_truncated_buffers() {
        let (mut same, mut errors) = (0, 0);
        for seed in 1..=3000u64 {
            let mut rng = Rng(seed);
            let elems = elements(&mut rng);
            let (_, mut buf) = c_put(&elems, 4096);
            match rng.below(4) {
                0 => {}
                1 => {
                    // A byte or two changed anywhere, the count included.
                    for _ in 0..=rng.below(2) {
                        let at = rng.below(buf.len() as u64) as usize;
                        buf[at] = rng.next() as u8;
                    }
                }
                2 => {
                    // The stream cut short of what the count says.
                    let keep = 4 + rng.below(buf.len() as u64 - 3) as usize;
                    buf.truncate(keep.min(buf.len()));
                }
                _ => {
                    // Room after the elements, as in a real buffer.
                    buf.extend((0..rng.below(64)).map(|_| rng.next() as u8));
                }
            }
            if same_parse(&buf, seed) {
                same += 1;
                errors += usize::from(rust_parse(&buf).is_err());
            }
        }
        assert!(same > 1800, "{same} compared");
        assert!(errors > 300, "{errors} refused by both");
    }
}

/// `make check` builds the comparison with C; a build without the kernel
/// tree skips it, which this makes visible there.
#[test]
fn the_comparison_with_c_is_built_when_required() {
    if std::env::var_os("KVM_HV_RS_REQUIRE_C").is_some() {
        assert!(
            cfg!(gsb_c),
            "no kernel tree: gsb_tests::against_c not built"
        );
    }
}

/// A vcpu whose every register ID holds a value made from its number.
#[derive(Default)]
struct FakeRegs {
    set: Vec<(u16, gsb::Value)>,
}

fn fake_value(iden: u16) -> Option<gsb::Value> {
    use gsb::{Type, Value};
    match gsb::ty(iden)? {
        Type::Be32 => Some(Value::Word(0x8000_0000 | u32::from(iden))),
        Type::Be64 => Some(Value::Dword(0xF000_0000_0000_0000 | u64::from(iden))),
        Type::Vec128 => Some(Value::Vsr(u64::from(iden), !u64::from(iden))),
        _ => None,
    }
}

impl gsb::VcpuRegs for FakeRegs {
    fn get(&mut self, iden: u16) -> Option<gsb::Value> {
        // As a vcpu: the L0's IDs, the buffers and the interrupt registers
        // are never sent.
        match gsb::class(iden)? {
            gsb::Class::HostWide | gsb::Class::Meta | gsb::Class::Intr => None,
            _ => fake_value(iden),
        }
    }
    fn set(&mut self, iden: u16, v: gsb::Value) -> bool {
        self.set.push((iden, v));
        iden != id::AMOR
    }
}

#[test]
fn fill_puts_the_map_s_ids_of_one_scope_in_map_order() {
    let mut all = [0; gsb::MAP_WORDS];
    for bit in 1..gsb::ID_COUNT {
        gsb::map_set(&mut all, gsb::unflatten(bit).unwrap());
    }
    for wide in [false, true] {
        let mut buf = vec![0; 8192];
        let mut w = Writer::new(&mut buf).unwrap();
        gsb::fill(&mut w, &all, wide, &mut FakeRegs::default()).unwrap();
        let len = w.len();
        let p = Parsed::new(&buf[..len]).unwrap();
        let got: Vec<u16> = p.ids().collect();
        let want: Vec<u16> = gsb::map_ids(&all)
            .filter(|&i| (gsb::flags(i) & gsb::FLAG_WIDE != 0) == wide)
            .filter(|&i| FakeRegs::default().get_value(i).is_some())
            .collect();
        assert_eq!(got, want, "wide {wide}");
        assert!(!got.is_empty());
        // Written in map order: the elements come as the walk lists them.
        let mut pos = gsb::HEADER_LEN;
        for &iden in &want {
            assert_eq!(u16::from_be_bytes([buf[pos], buf[pos + 1]]), iden);
            pos += gsb::ELEM_HEADER_LEN + usize::from(gsb::size(iden));
        }
        for iden in got {
            let masked = match fake_value(iden).unwrap() {
                gsb::Value::Dword(v) => p.u64(iden) == Some(v & gsb::mask(iden)),
                gsb::Value::Word(v) => p.u32(iden) == Some(v),
                gsb::Value::Vsr(a, b) => p.vsr(iden) == Some((a, b)),
            };
            assert!(masked, "{iden:#x}");
        }
    }
    // A map holding BLANK sends nothing, as C's walk.
    gsb::map_set(&mut all, id::BLANK);
    let mut buf = vec![0; 8192];
    let mut w = Writer::new(&mut buf).unwrap();
    gsb::fill(&mut w, &all, false, &mut FakeRegs::default()).unwrap();
    assert_eq!(w.nelems(), 0);
}

impl FakeRegs {
    fn get_value(&mut self, iden: u16) -> Option<gsb::Value> {
        gsb::VcpuRegs::get(self, iden)
    }
}

#[test]
fn fill_stops_at_a_full_buffer_with_c_s_errno() {
    let mut all = [0; gsb::MAP_WORDS];
    for n in 0..32 {
        gsb::map_set(&mut all, id::gpr(n));
    }
    let mut buf = vec![0; gsb::HEADER_LEN + 3 * 12];
    let mut w = Writer::new(&mut buf).unwrap();
    assert_eq!(
        gsb::fill(&mut w, &all, false, &mut FakeRegs::default()),
        Err(Errno::ENOMEM)
    );
    assert_eq!(w.nelems(), 3);
}

#[test]
fn refresh_gives_each_element_and_returns_what_was_kept() {
    let mut buf = vec![0; 512];
    let mut w = Writer::new(&mut buf).unwrap();
    w.put_u64(id::NIA, 0x1234).unwrap();
    w.put_u32(id::HDSISR, 0x4200_0000).unwrap();
    w.put_u64(id::AMOR, !0).unwrap();
    w.put_vsr(id::vsr(40), 1, 2).unwrap();
    w.put_u64(id::gpr(3), 7).unwrap();
    let len = w.len();
    let p = Parsed::new(&buf[..len]).unwrap();
    let mut regs = FakeRegs::default();
    let valid = gsb::refresh(&p, &mut regs);
    use gsb::Value::*;
    // In map order: GPRs before NIA, vectors, then the interrupt registers.
    assert_eq!(
        regs.set,
        [
            (id::gpr(3), Dword(7)),
            (id::NIA, Dword(0x1234)),
            (id::AMOR, Dword(!0)),
            (id::vsr(40), Vsr(1, 2)),
            (id::HDSISR, Word(0x4200_0000)),
        ]
    );
    let kept: Vec<u16> = gsb::map_ids(&valid).collect();
    assert_eq!(kept, [id::gpr(3), id::NIA, id::vsr(40), id::HDSISR]);

    // A BLANK element ends C's walk before anything else: nothing is taken.
    let mut buf = vec![0; 512];
    let mut w = Writer::new(&mut buf).unwrap();
    w.put_u64(id::NIA, 0x1234).unwrap();
    w.put(id::BLANK, &[]).unwrap();
    let len = w.len();
    let p = Parsed::new(&buf[..len]).unwrap();
    let mut regs = FakeRegs::default();
    assert_eq!(gsb::refresh(&p, &mut regs), [0; gsb::MAP_WORDS]);
    assert!(regs.set.is_empty());
}
