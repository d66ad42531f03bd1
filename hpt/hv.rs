// SPDX-License-Identifier: GPL-2.0

//! First-run MMU set-up of an HV VM: `kvmhv_setup_mmu` and
//! `kvmppc_hv_setup_htab_rma`.
//!
//! The boundary of the HPT code: memory from the KVM CMA area and the page
//! allocator, the VM's HPT fields, the memory slot and VMA at guest
//! physical 0, and kvm-hv's HPTE entry and LPCR update.

use super::geometry::{self, Allocated, Geometry, HptMemory, Reset, Source};
use super::vrma::{self, PageSize, Vrma};
use crate::{c, host, vm::Vm};
use core::ptr;
use kernel::ffi::c_long;
use kernel::{
    alloc::VVec,
    bindings,
    error::to_result,
    page::PAGE_SHIFT,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        barrier, srcu, Mutex, MutexGuard,
    },
};

/// HPTs this module allocated, by where their memory came from.
static FROM_CMA: Atomic<u64> = Atomic::new(0);
static FROM_BUDDY: Atomic<u64> = Atomic::new(0);

/// debugfs `kvm_hv_rs/hpt_alloc`: how many HPTs came from the KVM CMA area
/// and how many from the page allocator.
pub(crate) fn describe_allocations(
    _: &(),
    f: &mut kernel::fmt::Formatter<'_>,
) -> kernel::fmt::Result {
    writeln!(f, "cma: {}", FROM_CMA.load(Relaxed))?;
    writeln!(f, "buddy: {}", FROM_BUDDY.load(Relaxed))
}

fn count(source: Source) {
    match source {
        Source::Cma => FROM_CMA.add(1, Relaxed),
        Source::Buddy => FROM_BUDDY.add(1, Relaxed),
    }
}

/// An HPT's memory: its first page and its linear-map address.
struct Table {
    virt: *mut u8,
    page: *mut bindings::page,
}

/// The kernel's memory, as [`HptMemory`].
struct Kernel;

impl HptMemory for Kernel {
    type Table = Table;
    type RevMap = *mut bindings::revmap_entry;

    fn cma(&mut self, g: Geometry) -> Option<Table> {
        let pages = g.pages(PAGE_SHIFT as u32) as usize;
        // SAFETY: allocates from the KVM CMA area; no precondition.
        let page = unsafe { bindings::kvm_alloc_hpt_cma(pages) };
        if page.is_null() {
            return None;
        }
        // SAFETY: `page` starts `pages` contiguous pages of the linear map.
        let virt = unsafe { bindings::page_address(page) }.cast::<u8>();
        // SAFETY: `virt` is the start of `g.bytes()` bytes that are ours.
        unsafe { ptr::write_bytes(virt, 0, g.bytes() as usize) };
        Some(Table { virt, page })
    }

    fn buddy(&mut self, g: Geometry) -> Option<Table> {
        let gfp = bindings::GFP_KERNEL
            | bindings::__GFP_ZERO
            | bindings::__GFP_RETRY_MAYFAIL
            | bindings::__GFP_NOWARN;
        // SAFETY: no precondition; returns NULL or zeroed, naturally aligned
        // pages, which kvm-hv's free path gives back with free_pages().
        let page = unsafe { bindings::alloc_pages(gfp, g.page_order(PAGE_SHIFT as u32)) };
        if page.is_null() {
            return None;
        }
        // SAFETY: `page` starts a block of pages in the linear map.
        let virt = unsafe { bindings::page_address(page) }.cast::<u8>();
        Some(Table { virt, page })
    }

    fn reverse_map(&mut self, g: Geometry) -> Option<*mut bindings::revmap_entry> {
        // vmalloc'ed, as kvm-hv's kvmppc_free_hpt() vfree()s it. Not zeroed,
        // as in C: an entry is written when its HPTE is entered.
        let rev = VVec::<bindings::revmap_entry>::with_capacity(g.npte() as usize, GFP_KERNEL);
        rev.ok().map(|v| v.into_raw_parts().0)
    }

    fn free(&mut self, t: Table, g: Geometry, source: Source) {
        // SAFETY: `t` was allocated from `source` for `g` and is not used
        // any more.
        unsafe {
            match source {
                Source::Cma => {
                    bindings::kvm_free_hpt_cma(t.page, g.pages(PAGE_SHIFT as u32) as usize)
                }
                Source::Buddy => bindings::__free_pages(t.page, g.page_order(PAGE_SHIFT as u32)),
            }
        }
    }
}

/// The MMU set-up and `KVM_PPC_ALLOCATE_HTAB` of a VM.
impl Vm {
    /// Takes `kvm->arch.mmu_setup_lock`.
    fn lock_mmu_setup(&self) -> MmuSetup<'_> {
        // SAFETY: the mutex is initialised when the VM is created, and the
        // VM outlives `self` (type invariant).
        let lock = unsafe { Mutex::<()>::from_raw(&raw mut (*self.as_ptr()).arch.mmu_setup_lock) };
        MmuSetup {
            vm: self,
            _lock: lock.lock(),
        }
    }

    /// `kvmhv_setup_mmu`: sets the VM's MMU up unless another vcpu did, and
    /// marks it ready.
    pub(crate) fn setup_mmu(&self) -> Result {
        self.lock_mmu_setup().setup_mmu()
    }

    /// `kvmppc_alloc_reset_hpt`: `KVM_PPC_ALLOCATE_HTAB`. Gives the VM an
    /// empty HPT of `2^order` bytes, switching a radix VM to HPT first;
    /// fails with `EBUSY` while a vcpu runs.
    pub(crate) fn alloc_reset_hpt(&self, order: u32) -> Result {
        let mut m = self.lock_mmu_setup();
        m.alloc_reset(order)?;
        m.flush_all_tlbs();
        Ok(())
    }
}

/// A [`Vm`] with its `mmu_setup_lock` held: the only way to the fields the
/// lock protects (`mmu_ready`, the HPT, `vrma_slb_v`, the LPCR's VRMASD).
/// The lock is released when the value is dropped.
struct MmuSetup<'a> {
    vm: &'a Vm,
    _lock: MutexGuard<'a, ()>,
}

impl MmuSetup<'_> {
    fn kvm(&self) -> *mut bindings::kvm {
        self.vm.as_ptr()
    }

    fn mmu_ready(&self) -> bool {
        // SAFETY: the VM is live (`Vm`'s invariant); `mmu_ready` is written
        // under the lock held.
        unsafe { (*self.kvm()).arch.mmu_ready != 0 }
    }

    fn set_mmu_ready(&mut self, ready: bool) {
        // SAFETY: as in `mmu_ready`.
        unsafe { (*self.kvm()).arch.mmu_ready = ready.into() };
    }

    fn radix(&self) -> bool {
        // SAFETY: as in `mmu_ready`; `radix` changes under the same lock.
        unsafe { (*self.kvm()).arch.radix != 0 }
    }

    /// The order of the VM's HPT, if it has one.
    fn hpt_order(&self) -> Option<u32> {
        // SAFETY: as in `mmu_ready`; the HPT fields change under the lock.
        let hpt = unsafe { &(*self.kvm()).arch.hpt };
        (hpt.virt != 0).then_some(hpt.order)
    }

    /// `kvmppc_set_hpt`: installs a new HPT in the VM, whose old one (if
    /// any) the caller has freed: otherwise it leaks.
    fn set_hpt(&mut self, a: Allocated<Table, *mut bindings::revmap_entry>) {
        let g = a.geometry;
        let kvm = self.kvm();
        // SAFETY: the VM is live (`Vm`'s invariant) and the lock held; the
        // table is in the linear map.
        unsafe {
            bindings::atomic64_set(&raw mut (*kvm).arch.mmio_update, 0);
            (*kvm).arch.hpt = bindings::kvm_hpt_info {
                virt: a.table.virt as usize,
                rev: a.rev,
                order: g.order(),
                cma: (a.source == Source::Cma).into(),
            };
            (*kvm).arch.sdr1 = g.sdr1(bindings::virt_to_phys(a.table.virt.cast())) as usize;
        }
    }

    /// The part of `kvmhv_setup_mmu` under the lock.
    fn setup_mmu(&mut self) -> Result {
        if self.mmu_ready() {
            return Ok(());
        }
        if !self.radix() {
            self.setup_htab_rma()?;
        }
        if host::cpu_has(bindings::CPU_FTR_ARCH_300) {
            // SAFETY: the VM is live and the lock held; its MMU is set up.
            unsafe { bindings::kvmppc_setup_partition_table(self.kvm()) };
        }
        self.set_mmu_ready(true);
        Ok(())
    }

    /// `kvmppc_hv_setup_htab_rma`, while `mmu_ready` is clear (so no vcpu
    /// enters the guest): allocates the HPT if the VM has none (the default
    /// size, smaller if memory is short) and maps the VRMA.
    fn setup_htab_rma(&mut self) -> Result {
        if self.mmu_ready() {
            return Err(EBUSY);
        }
        if self.hpt_order().is_none() {
            let a = geometry::allocate_default(&mut Kernel).map_err(|_| {
                pr_err!("couldn't allocate an HPT\n");
                ENOMEM
            })?;
            count(a.source);
            self.set_hpt(a);
        }
        let srcu = self.vm.srcu().read_lock();
        self.map_vrma(&srcu)
    }

    /// Maps the VRMA: `vrma_slb_v`, the bolted HPTEs, and (POWER8) LPCR
    /// VRMASD, into the VM's HPT while `mmu_ready` is clear, under the SRCU
    /// read lock that keeps the memory slot.
    fn map_vrma(&mut self, _srcu: &srcu::Guard<'_>) -> Result {
        let order = self.hpt_order().ok_or(EINVAL)?;
        if self.mmu_ready() {
            return Err(EBUSY);
        }
        let kvm = self.kvm();
        // SAFETY: the VM is live, its SRCU read lock held.
        let memslot = unsafe { bindings::gfn_to_memslot(kvm, 0) };
        // SAFETY: a non-NULL memslot is live under the SRCU read lock.
        if memslot.is_null() || unsafe { (*memslot).flags } & bindings::KVM_MEMSLOT_INVALID != 0 {
            return Err(EINVAL);
        }
        // SAFETY: as above.
        let (hva, npages) = unsafe { ((*memslot).userspace_addr, (*memslot).npages) };
        let backing = self.vm.backing_page_size(hva)?;
        let page = PageSize::for_backing(backing as u64);
        let v = Vrma {
            page,
            hpt: Geometry::new(order).ok_or(EINVAL)?,
        };
        // SAFETY: the VM is live and the lock held.
        unsafe { (*kvm).arch.vrma_slb_v = v.slb_v() as usize };

        // The HPTEs go to kvm-hv in batches: one call out of the module each.
        const BATCH: usize = 32;
        let mut batch = [c::Hpte::default(); BATCH];
        let pages = v.pages(npages as u64, PAGE_SHIFT as u32);
        let mut first = 0;
        while first < pages {
            let n = core::cmp::min(BATCH as u64, pages - first) as usize;
            for (k, e) in batch[..n].iter_mut().enumerate() {
                let h = v.hpte(first + k as u64);
                *e = c::Hpte {
                    index: h.index as usize,
                    v: h.v as usize,
                    r: h.r as usize,
                };
            }
            let mut failed = 0;
            // SAFETY: the VM has an HPT of `order` (checked above), unused
            // while `mmu_ready` is clear; every entry is one of its PTEs
            // (`Vrma` computes them for that geometry), and `batch[..n]` is
            // initialised.
            let ret = unsafe { c::kvmhv_rs_enter_hptes(kvm, batch.as_ptr(), n, &mut failed) };
            if ret != bindings::H_SUCCESS as c_long {
                let i = first + failed as u64;
                pr_err!("map_vrma at {:#x} failed, ret={}\n", i << page.order(), ret);
                break;
            }
            first += n as u64;
        }

        if !host::cpu_has(bindings::CPU_FTR_ARCH_300) {
            // SAFETY: the VM is live and the lock held.
            unsafe {
                bindings::kvmppc_update_lpcr(
                    kvm,
                    v.lpcr_vrmasd() as usize,
                    vrma::LPCR_VRMASD as usize,
                )
            };
        }
        // Orders the LPCR and the rest against `mmu_ready`.
        barrier::smp_mb(barrier::Write);
        Ok(())
    }

    /// The part of `kvmppc_alloc_reset_hpt` under the lock.
    fn alloc_reset(&mut self, order: u32) -> Result {
        let kvm = self.kvm();
        if self.mmu_ready() {
            self.set_mmu_ready(false);
            // Pairs with the barrier after vcpu_run's increment of
            // `vcpus_running`: either it sees `mmu_ready` clear and waits on
            // the lock in setup_mmu, or we see it running and back off.
            barrier::smp_mb(barrier::Full);
            // SAFETY: the VM is live; `vcpus_running` is an `atomic_t`.
            if unsafe { bindings::atomic_read(&raw mut (*kvm).arch.vcpus_running) } != 0 {
                self.set_mmu_ready(true);
                return Err(EBUSY);
            }
        }
        if self.radix() {
            // SAFETY: the VM is live, the lock held and no vcpu runs.
            to_result(unsafe { bindings::kvmppc_switch_mmu_to_hpt(kvm) })?;
        }
        // SAFETY: the VM is live and the lock held; no vcpu runs (checked
        // above), so nothing else uses the HPT.
        let hpt = unsafe { &raw mut (*kvm).arch.hpt };
        match geometry::reset_plan(self.hpt_order(), order) {
            Reset::Reuse => {
                // SAFETY: as above; `reset_plan` reuses only an HPT of
                // `2^order` bytes, which is at `virt`.
                unsafe {
                    ptr::write_bytes((*hpt).virt as *mut u8, 0, 1usize << order);
                    bindings::kvmppc_rmap_reset(kvm);
                }
            }
            Reset::Replace { free_current } => {
                if free_current {
                    // SAFETY: as above; kvm-hv's own free path, which
                    // clears the fields.
                    unsafe {
                        bindings::kvmppc_free_hpt(hpt);
                        bindings::kvmppc_rmap_reset(kvm);
                    }
                }
                let g = Geometry::new(order).ok_or(EINVAL)?;
                let a = geometry::allocate(&mut Kernel, g).map_err(|_| ENOMEM)?;
                count(a.source);
                self.set_hpt(a);
            }
        }
        Ok(())
    }

    /// Every vcpu flushes its TLB on its next entry.
    fn flush_all_tlbs(&mut self) {
        // SAFETY: the VM is live; `need_tlb_flush` is its cpumask.
        unsafe { bindings::cpumask_setall(&raw mut (*self.kvm()).arch.need_tlb_flush) };
    }
}
