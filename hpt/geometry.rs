// SPDX-License-Identifier: GPL-2.0

//! What an HPT order means, and how an HPT is allocated.
//!
//! Pure: uses only `core`, so the host tests build it. The kernel's side of
//! [`HptMemory`] is in `hpt/hv.rs`.

/// `PPC_MIN_HPT_ORDER`: 256 KiB.
pub(crate) const MIN_ORDER: u32 = 18;
/// `PPC_MAX_HPT_ORDER`: 64 TiB.
pub(crate) const MAX_ORDER: u32 = 46;
/// `KVM_DEFAULT_HPT_ORDER`: 16 MiB, when userspace did not choose.
pub(crate) const DEFAULT_ORDER: u32 = 24;

/// The shape of a hashed page table of a valid order.
///
/// # Invariants
///
/// `MIN_ORDER <= order <= MAX_ORDER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    order: u32,
}

impl Geometry {
    /// The geometry of an HPT of `2^order` bytes, if the order is valid.
    pub(crate) const fn new(order: u32) -> Option<Self> {
        if order < MIN_ORDER || order > MAX_ORDER {
            return None;
        }
        // INVARIANT: checked above.
        Some(Self { order })
    }

    /// log2 of the size in bytes.
    pub(crate) const fn order(self) -> u32 {
        self.order
    }

    /// Size in bytes.
    pub(crate) const fn bytes(self) -> u64 {
        1 << self.order
    }

    /// Number of PTEs: 16 bytes each.
    pub(crate) const fn npte(self) -> u64 {
        1 << (self.order - 4)
    }

    /// Number of PTE groups (PTEGs): 8 PTEs, 128 bytes each.
    pub(crate) const fn groups(self) -> u64 {
        1 << (self.order - 7)
    }

    /// The hash mask, `kvmppc_hpt_mask`: selects a PTEG.
    pub(crate) const fn mask(self) -> u64 {
        self.groups() - 1
    }

    /// Size in pages of `2^page_shift` bytes; `page_shift` is at most 16
    /// on every supported configuration, below [`MIN_ORDER`].
    pub(crate) const fn pages(self, page_shift: u32) -> u64 {
        1 << (self.order - page_shift)
    }

    /// Allocation order for the page allocator.
    pub(crate) const fn page_order(self, page_shift: u32) -> u32 {
        self.order - page_shift
    }

    /// SDR1 for a table at physical address `pa`: HTABORG | HTABSIZE, where
    /// HTABSIZE is log2(bytes) - 18. `pa` is aligned to the table's size.
    pub(crate) const fn sdr1(self, pa: u64) -> u64 {
        pa | (self.order - 18) as u64
    }
}

/// Where an HPT's memory came from; freeing must go back to the same place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// The KVM CMA area reserved at boot (`kvm_alloc_hpt_cma`).
    Cma,
    /// The page allocator, without warnings or the OOM killer.
    Buddy,
}

/// Out of memory: for the whole table or for its reverse map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NoMemory;

/// The memory an HPT needs, as the kernel provides it.
pub(crate) trait HptMemory {
    /// Zeroed memory for the table.
    type Table;
    /// The reverse map: one entry per PTE.
    type RevMap;

    /// A zeroed table from the KVM CMA area, if it has room.
    fn cma(&mut self, g: Geometry) -> Option<Self::Table>;
    /// A zeroed table from the page allocator, if it has room; never warns
    /// and never calls the OOM killer.
    fn buddy(&mut self, g: Geometry) -> Option<Self::Table>;
    /// The reverse map for `g`'s PTEs.
    fn reverse_map(&mut self, g: Geometry) -> Option<Self::RevMap>;
    /// Gives back a table obtained from `source`.
    fn free(&mut self, table: Self::Table, g: Geometry, source: Source);
}

/// An allocated HPT, before it is installed in a VM.
#[derive(Debug)]
pub(crate) struct Allocated<T, R> {
    pub(crate) geometry: Geometry,
    pub(crate) table: T,
    pub(crate) source: Source,
    pub(crate) rev: R,
}

/// `kvmppc_allocate_hpt`: the table from CMA if it has room, else from the
/// page allocator, and its reverse map. Nothing is kept on failure.
pub(crate) fn allocate<M: HptMemory>(
    m: &mut M,
    g: Geometry,
) -> Result<Allocated<M::Table, M::RevMap>, NoMemory> {
    let (table, source) = match m.cma(g) {
        Some(t) => (t, Source::Cma),
        None => (m.buddy(g).ok_or(NoMemory)?, Source::Buddy),
    };
    match m.reverse_map(g) {
        Some(rev) => Ok(Allocated {
            geometry: g,
            table,
            source,
            rev,
        }),
        None => {
            m.free(table, g, source);
            Err(NoMemory)
        }
    }
}

/// The first-run allocation when userspace chose no size: the default
/// order, then successively smaller ones down to [`MIN_ORDER`] while memory
/// runs out.
pub(crate) fn allocate_default<M: HptMemory>(
    m: &mut M,
) -> Result<Allocated<M::Table, M::RevMap>, NoMemory> {
    let mut order = DEFAULT_ORDER;
    loop {
        let g = Geometry::new(order).ok_or(NoMemory)?;
        match allocate(m, g) {
            Ok(a) => return Ok(a),
            Err(NoMemory) if order > MIN_ORDER => order -= 1,
            Err(e) => return Err(e),
        }
    }
}

/// What `KVM_PPC_ALLOCATE_HTAB` does with the VM's HPT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reset {
    /// The VM has an HPT of the requested order: clear it and keep it.
    Reuse,
    /// Allocate an HPT of the requested order (rejected if the order is
    /// invalid), after freeing the VM's current one if it has one.
    Replace {
        /// The VM has an HPT, of another order.
        free_current: bool,
    },
}

/// `kvmppc_alloc_reset_hpt`'s choice, given the order of the VM's HPT if it
/// has one. A VM without an HPT never reuses: Linux 7.3 compared the
/// requested order with the 0 of a missing HPT and cleared address 0.
pub(crate) fn reset_plan(current: Option<u32>, order: u32) -> Reset {
    match current {
        Some(o) if o == order => Reset::Reuse,
        Some(_) => Reset::Replace { free_current: true },
        None => Reset::Replace {
            free_current: false,
        },
    }
}
