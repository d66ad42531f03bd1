// SPDX-License-Identifier: GPL-2.0

//! The virtual real mode area (VRMA) of an HPT guest.
//!
//! A guest in real mode on a POWER8/9 HPT partition is translated through
//! a 1 TB segment with the fixed VSID `VRMA_VSID`: its SLB entry
//! (`vrma_slb_v`), and one bolted HPTE per RMA page, in the last slot of a
//! PTE group. The page size is that of the memory backing guest physical 0.
//!
//! Pure: uses only `core`; `kvmppc_map_vrma` and `kvmppc_hv_setup_htab_rma`
//! in book3s_64_mmu_hv.c and book3s_hv.c are the C it replaces.

use super::geometry::Geometry;

/// `VRMA_VSID`.
pub(crate) const VRMA_VSID: u64 = 0x1ff_ffff;
const SLB_VSID_B_1T: u64 = 0x4000_0000_0000_0000;
const SLB_VSID_SHIFT_1T: u32 = 24;
const SLB_VSID_L: u64 = 0x100;
const SLB_VSID_LP_01: u64 = 0x10;
const HPTE_V_1TB_SEG: u64 = 0x4000_0000_0000_0000;
const HPTE_V_BOLTED: u64 = 0x10;
const HPTE_V_LARGE: u64 = 0x4;
const HPTE_R_R: u64 = 0x100;
const HPTE_R_C: u64 = 0x80;
const HPTE_R_M: u64 = 0x10;
/// Supervisor read/write, no user access.
const PP_RWXX: u64 = 0;
const LPCR_VRMASD_SH: u32 = 47;
/// `LPCR_VRMASD`: the field of the LPCR that [`Vrma::lpcr_vrmasd`] fills.
pub(crate) const LPCR_VRMASD: u64 = 0x1f << LPCR_VRMASD_SH;
/// Slot of the VRMA's HPTE in its group: the last one.
pub(crate) const SLOT: u64 = 7;

/// A VRMA page size: 4 KiB, 64 KiB or 16 MiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PageSize {
    K4,
    K64,
    M16,
}

impl PageSize {
    /// The largest VRMA page size not above `backing`, the page size of the
    /// memory at guest physical 0 (`vma_kernel_pagesize`).
    pub(crate) fn for_backing(backing: u64) -> Self {
        if backing >= 1 << 24 {
            PageSize::M16
        } else if backing >= 1 << 16 {
            PageSize::K64
        } else {
            PageSize::K4
        }
    }

    /// log2 of the size in bytes.
    pub(crate) const fn order(self) -> u32 {
        match self {
            PageSize::K4 => 12,
            PageSize::K64 => 16,
            PageSize::M16 => 24,
        }
    }

    /// `slb_pgsize_encoding`: the L and LP bits of an SLB entry.
    pub(crate) const fn slb_encoding(self) -> u64 {
        match self {
            PageSize::K4 => 0,
            PageSize::K64 => SLB_VSID_L | SLB_VSID_LP_01,
            PageSize::M16 => SLB_VSID_L,
        }
    }

    /// `hpte0_pgsize_encoding`.
    const fn hpte_v_encoding(self) -> u64 {
        match self {
            PageSize::K4 => 0,
            PageSize::K64 | PageSize::M16 => HPTE_V_LARGE,
        }
    }

    /// `hpte1_pgsize_encoding`: the LP field in the second doubleword.
    const fn hpte_r_encoding(self) -> u64 {
        match self {
            PageSize::K64 => 0x1000,
            PageSize::K4 | PageSize::M16 => 0,
        }
    }
}

/// One HPTE to enter: the PTE index (group * 8 + slot) and its two words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hpte {
    pub(crate) index: u64,
    pub(crate) v: u64,
    pub(crate) r: u64,
}

/// The VRMA of a guest whose memory at guest physical 0 has pages of the
/// given size, in an HPT of the given geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Vrma {
    pub(crate) page: PageSize,
    pub(crate) hpt: Geometry,
}

impl Vrma {
    /// `kvm->arch.vrma_slb_v`: the SLB VSID word of the VRMA segment.
    pub(crate) const fn slb_v(self) -> u64 {
        self.page.slb_encoding() | SLB_VSID_B_1T | (VRMA_VSID << SLB_VSID_SHIFT_1T)
    }

    /// The LPCR VRMASD field (POWER8: POWER9 and later take the VRMA page
    /// size from the partition table instead). The SLB encoding starts at
    /// bit 4, hence the shift by 4 less.
    pub(crate) const fn lpcr_vrmasd(self) -> u64 {
        self.page.slb_encoding() << (LPCR_VRMASD_SH - 4)
    }

    /// How many pages of the memory slot at guest physical 0, of
    /// `slot_pages` pages of `2^page_shift` bytes, the VRMA maps: at most
    /// 1 TB (one segment), and at most one page per PTE group.
    pub(crate) const fn pages(self, slot_pages: u64, page_shift: u32) -> u64 {
        let porder = self.page.order();
        let mut n = if porder >= page_shift {
            slot_pages >> (porder - page_shift)
        } else {
            slot_pages << (page_shift - porder)
        };
        if n > 1 << (40 - porder) {
            n = 1 << (40 - porder);
        }
        if n > self.hpt.mask() + 1 {
            n = self.hpt.mask() + 1;
        }
        n
    }

    /// The bolted HPTE that maps VRMA page `i` (guest real address
    /// `i << order`). The hash is computed directly, since the virtual
    /// address exceeds 64 bits: page `i` XOR the VSID's hash term, one PTE
    /// group per page, and the last slot of it, which an empty table always
    /// has free.
    pub(crate) const fn hpte(self, i: u64) -> Hpte {
        let addr = i << self.page.order();
        let hash = (i ^ (VRMA_VSID ^ (VRMA_VSID << 25))) & self.hpt.mask();
        let v = HPTE_V_1TB_SEG
            | (VRMA_VSID << (40 - 16))
            | HPTE_V_BOLTED
            | self.page.hpte_v_encoding()
            | ((addr >> 16) & !0x7f);
        let r = self.page.hpte_r_encoding() | HPTE_R_R | HPTE_R_C | HPTE_R_M | PP_RWXX | addr;
        Hpte {
            index: (hash << 3) + SLOT,
            v,
            r,
        }
    }
}
