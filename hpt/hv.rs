// SPDX-License-Identifier: GPL-2.0

//! First-run MMU set-up of an HV VM: `kvmhv_setup_mmu` and
//! `kvmppc_hv_setup_htab_rma`.
//!
//! The boundary of the HPT code: memory from the KVM CMA area and the page
//! allocator, the VM's HPT fields, the memory slot and VMA at guest
//! physical 0, and kvm-hv's HPTE entry and LPCR update.

use super::geometry::{self, Allocated, Geometry, HptMemory, Reset, Source};
use super::vrma::{self, PageSize, Vrma};
use crate::{c, host};
use core::ptr;
use kernel::ffi::c_long;
use kernel::{
    alloc::VVec,
    bindings,
    error::to_result,
    mm::MmWithUser,
    page::PAGE_SHIFT,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        barrier,
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

/// `kvmppc_set_hpt`: installs a new HPT in the VM.
///
/// # Safety
///
/// `kvm` is live, its `mmu_setup_lock` is held and it has no HPT.
unsafe fn set_hpt(kvm: *mut bindings::kvm, a: Allocated<Table, *mut bindings::revmap_entry>) {
    let g = a.geometry;
    // SAFETY: per the function's contract; the table is in the linear map.
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

/// The page size of the memory at `hva` in the VM's address space, as
/// `vma_kernel_pagesize` gives it.
///
/// # Safety
///
/// `kvm` is the live VM of a vcpu in `KVM_RUN`.
unsafe fn backing_page_size(kvm: *mut bindings::kvm, hva: usize) -> Result<usize> {
    // Not `current!().mm()`: on powerpc, 7.3's bindings place
    // `task_struct::mm` elsewhere than C does (see Documentation/design.rst).
    //
    // SAFETY: `kvm->mm` is the calling task's mm (kvm_vcpu_ioctl() checks
    // that `kvm->mm == current->mm`), so `mm_users` is non-zero while it runs.
    let mm = unsafe { MmWithUser::from_raw((*kvm).mm) };
    let guard = mm.mmap_read_lock();
    let vma = guard.vma_lookup(hva).ok_or(EINVAL)?;
    if vma.flags() & bindings::VM_IO != 0 {
        return Err(EINVAL);
    }
    // SAFETY: `vma` is a live VMA of `mm`, whose mmap lock is held.
    Ok(unsafe { bindings::vma_kernel_pagesize(vma.as_ptr()) })
}

/// Maps the VRMA: `vrma_slb_v`, the bolted HPTEs, and (POWER8) LPCR VRMASD.
///
/// # Safety
///
/// `kvm` is live and has an HPT, its `mmu_setup_lock` and SRCU read lock
/// are held, and no vcpu uses the HPT.
unsafe fn map_vrma(kvm: *mut bindings::kvm) -> Result {
    // SAFETY: per the function's contract.
    let memslot = unsafe { bindings::gfn_to_memslot(kvm, 0) };
    // SAFETY: a non-NULL memslot is live under the SRCU read lock.
    if memslot.is_null() || unsafe { (*memslot).flags } & bindings::KVM_MEMSLOT_INVALID != 0 {
        return Err(EINVAL);
    }
    // SAFETY: as above.
    let (hva, npages) = unsafe { ((*memslot).userspace_addr, (*memslot).npages) };
    // SAFETY: per the function's contract.
    let backing = unsafe { backing_page_size(kvm, hva) }?;
    let page = PageSize::for_backing(backing as u64);
    // SAFETY: per the function's contract.
    let order = unsafe { (*kvm).arch.hpt.order };
    let v = Vrma {
        page,
        hpt: Geometry::new(order).ok_or(EINVAL)?,
    };
    // SAFETY: per the function's contract.
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
        // SAFETY: the HPT is live and unused; every entry is one of its
        // PTEs, and `batch[..n]` is initialised.
        let ret = unsafe { c::kvmhv_rs_enter_hptes(kvm, batch.as_ptr(), n, &mut failed) };
        if ret != bindings::H_SUCCESS as c_long {
            let i = first + failed as u64;
            pr_err!("map_vrma at {:#x} failed, ret={}\n", i << page.order(), ret);
            break;
        }
        first += n as u64;
    }

    if !host::cpu_has(bindings::CPU_FTR_ARCH_300) {
        // SAFETY: per the function's contract.
        unsafe {
            bindings::kvmppc_update_lpcr(kvm, v.lpcr_vrmasd() as usize, vrma::LPCR_VRMASD as usize)
        };
    }
    // Orders the LPCR and the rest against `mmu_ready`.
    barrier::smp_mb(barrier::Write);
    Ok(())
}

/// `kvmppc_hv_setup_htab_rma`: allocates the HPT if the VM has none (the
/// default size, smaller if memory is short) and maps the VRMA.
///
/// # Safety
///
/// `kvm` is live, its `mmu_setup_lock` is held and `mmu_ready` is clear.
unsafe fn setup_htab_rma(kvm: *mut bindings::kvm) -> Result {
    // SAFETY: per the function's contract.
    if unsafe { (*kvm).arch.hpt.virt } == 0 {
        let a = geometry::allocate_default(&mut Kernel).map_err(|_| {
            pr_err!("couldn't allocate an HPT\n");
            ENOMEM
        })?;
        count(a.source);
        // SAFETY: per the function's contract; the VM has no HPT.
        unsafe { set_hpt(kvm, a) };
    }
    // SAFETY: `kvm` is live; the lock is released with its index below.
    let srcu = unsafe { &raw mut (*kvm).srcu };
    // SAFETY: as above.
    let idx = unsafe { bindings::srcu_read_lock(srcu) };
    // SAFETY: per the function's contract, and the SRCU read lock is held.
    let r = unsafe { map_vrma(kvm) };
    // SAFETY: `idx` came from `srcu_read_lock` on `srcu`.
    unsafe { bindings::srcu_read_unlock(srcu, idx) };
    r
}

/// The part of [`setup_mmu`] under `mmu_setup_lock`.
///
/// # Safety
///
/// `kvm` is live and its `mmu_setup_lock` is held.
unsafe fn setup_mmu_locked(kvm: *mut bindings::kvm) -> Result {
    // SAFETY: `mmu_ready` and `radix` are written under the lock we hold.
    let (ready, radix) = unsafe { ((*kvm).arch.mmu_ready != 0, (*kvm).arch.radix != 0) };
    if ready {
        return Ok(());
    }
    if !radix {
        // SAFETY: the lock is held and `mmu_ready` is clear.
        unsafe { setup_htab_rma(kvm) }?;
    }
    if host::cpu_has(bindings::CPU_FTR_ARCH_300) {
        // SAFETY: the lock is held; the VM's MMU is set up.
        unsafe { bindings::kvmppc_setup_partition_table(kvm) };
    }
    // SAFETY: the lock is held.
    unsafe { (*kvm).arch.mmu_ready = 1 };
    Ok(())
}

/// `kvmhv_setup_mmu`: sets the VM's MMU up unless another vcpu did, and
/// marks it ready.
///
/// # Safety
///
/// `kvm` is the live VM of a vcpu in `KVM_RUN`, counted in
/// `vcpus_running`.
pub(crate) unsafe fn setup_mmu(kvm: *mut bindings::kvm) -> Result {
    // SAFETY: `kvm` is live; the mutex is initialised with the VM.
    let lock = unsafe { &raw mut (*kvm).arch.mmu_setup_lock };
    // SAFETY: as above; released below.
    unsafe { bindings::mutex_lock(lock) };
    // SAFETY: the lock is held.
    let r = unsafe { setup_mmu_locked(kvm) };
    // SAFETY: taken above.
    unsafe { bindings::mutex_unlock(lock) };
    r
}

/// The part of [`alloc_reset_hpt`] under `mmu_setup_lock`.
///
/// # Safety
///
/// `kvm` is live and its `mmu_setup_lock` is held.
unsafe fn alloc_reset_locked(kvm: *mut bindings::kvm, order: u32) -> Result {
    // SAFETY: `mmu_ready` is written under the lock we hold; `vcpus_running`
    // is an `atomic_t`.
    unsafe {
        if (*kvm).arch.mmu_ready != 0 {
            (*kvm).arch.mmu_ready = 0;
            // Pairs with the barrier after vcpu_run's increment of
            // `vcpus_running`: either it sees `mmu_ready` clear and waits on
            // the lock in setup_mmu, or we see it running and back off.
            barrier::smp_mb(barrier::Full);
            if bindings::atomic_read(&raw mut (*kvm).arch.vcpus_running) != 0 {
                (*kvm).arch.mmu_ready = 1;
                return Err(EBUSY);
            }
        }
        if (*kvm).arch.radix != 0 {
            to_result(bindings::kvmppc_switch_mmu_to_hpt(kvm))?;
        }
    }
    // SAFETY: the lock is held; no vcpu runs (checked above).
    let hpt = unsafe { &raw mut (*kvm).arch.hpt };
    // SAFETY: as above.
    let current = unsafe { ((*hpt).virt != 0).then(|| (*hpt).order) };
    match geometry::reset_plan(current, order) {
        Reset::Reuse => {
            // SAFETY: the VM's HPT is `2^order` bytes at `virt`, and unused.
            unsafe {
                ptr::write_bytes((*hpt).virt as *mut u8, 0, 1usize << order);
                bindings::kvmppc_rmap_reset(kvm);
            }
        }
        Reset::Replace { free_current } => {
            if free_current {
                // SAFETY: the VM's HPT is unused; kvm-hv's own free path.
                unsafe {
                    bindings::kvmppc_free_hpt(hpt);
                    bindings::kvmppc_rmap_reset(kvm);
                }
            }
            let g = Geometry::new(order).ok_or(EINVAL)?;
            let a = geometry::allocate(&mut Kernel, g).map_err(|_| ENOMEM)?;
            count(a.source);
            // SAFETY: the lock is held; the VM has no HPT now.
            unsafe { set_hpt(kvm, a) };
        }
    }
    Ok(())
}

/// `kvmppc_alloc_reset_hpt`: `KVM_PPC_ALLOCATE_HTAB`. Gives the VM an
/// empty HPT of `2^order` bytes, switching a radix VM to HPT first; fails
/// with `EBUSY` while a vcpu runs.
///
/// # Safety
///
/// `kvm` is a live VM created through this module's table.
pub(crate) unsafe fn alloc_reset_hpt(kvm: *mut bindings::kvm, order: u32) -> Result {
    // SAFETY: `kvm` is live; the mutex is initialised with the VM.
    let lock = unsafe { &raw mut (*kvm).arch.mmu_setup_lock };
    // SAFETY: as above; released below.
    unsafe { bindings::mutex_lock(lock) };
    // SAFETY: the lock is held.
    let r = unsafe { alloc_reset_locked(kvm, order) };
    if r.is_ok() {
        // Every vcpu flushes its TLB on its next entry.
        // SAFETY: `kvm` is live; `need_tlb_flush` is its cpumask.
        unsafe { bindings::cpumask_setall(&raw mut (*kvm).arch.need_tlb_flush) };
    }
    // SAFETY: taken above.
    unsafe { bindings::mutex_unlock(lock) };
    r
}
