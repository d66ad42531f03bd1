// SPDX-License-Identifier: GPL-2.0

//! Interrupts delivered to an HV guest by the host.
//!
//! Two decisions of book3s KVM, for a vcpu of an HV VM:
//!
//! - [`prepare_to_enter`]: which of the interrupts queued in
//!   `vcpu->arch.pending_exceptions` is delivered before the next guest
//!   entry, and which stay queued (`kvmppc_core_prepare_to_enter` in
//!   book3s.c);
//! - [`Delivery::new`]: what delivering an interrupt does to the guest's
//!   registers (`kvmppc_inject_interrupt_hv` in book3s_hv_builtin.c).
//!
//! For an HV VM, C's critical-section test and its update of the shared
//! page's `int_pending` do nothing (both test `is_kvmppc_hv_enabled()`
//! first), so they have no counterpart here.
//!
//! Pure: uses only `core`. The ISA's numbers are defined here; the kernel
//! side checks at compile time that they equal its headers'.

/// Interrupt vectors: `BOOK3S_INTERRUPT_*` of `asm/kvm_asm.h`.
pub(crate) mod vector {
    pub(crate) const SYSTEM_RESET: u32 = 0x100;
    pub(crate) const MACHINE_CHECK: u32 = 0x200;
    pub(crate) const DATA_STORAGE: u32 = 0x300;
    pub(crate) const DATA_SEGMENT: u32 = 0x380;
    pub(crate) const INST_STORAGE: u32 = 0x400;
    pub(crate) const INST_SEGMENT: u32 = 0x480;
    pub(crate) const EXTERNAL: u32 = 0x500;
    pub(crate) const ALIGNMENT: u32 = 0x600;
    pub(crate) const PROGRAM: u32 = 0x700;
    pub(crate) const FP_UNAVAIL: u32 = 0x800;
    pub(crate) const DECREMENTER: u32 = 0x900;
    pub(crate) const SYSCALL: u32 = 0xc00;
    pub(crate) const TRACE: u32 = 0xd00;
    pub(crate) const PERFMON: u32 = 0xf00;
    pub(crate) const ALTIVEC: u32 = 0xf20;
    pub(crate) const VSX: u32 = 0xf40;
    pub(crate) const FAC_UNAVAIL: u32 = 0xf60;
}

/// `MSR_EE`: external interrupts (and the decrementer) enabled.
pub(crate) const MSR_EE: u64 = 1 << 15;
/// `MSR_IR`: instruction relocation.
pub(crate) const MSR_IR: u64 = 1 << 5;
/// `MSR_DR`: data relocation.
pub(crate) const MSR_DR: u64 = 1 << 4;
/// `MSR_TS_S`: transaction suspended.
pub(crate) const MSR_TS_S: u64 = 1 << 33;
/// `MSR_TS_T`: transactional.
pub(crate) const MSR_TS_T: u64 = 1 << 34;
/// `MSR_TS_MASK`.
pub(crate) const MSR_TS_MASK: u64 = MSR_TS_T | MSR_TS_S;
/// `LPCR_AIL`: the alternate interrupt location field.
pub(crate) const LPCR_AIL: u64 = 0x0180_0000;
/// `LPCR_AIL_3`: interrupts with relocation on go to `0xc000_0000_0000_4xxx`.
pub(crate) const LPCR_AIL_3: u64 = 0x0180_0000;
/// `SRR1_MSR_BITS`: the MSR bits an interrupt saves in SRR1.
pub(crate) const SRR1_MSR_BITS: u64 = !0x783f_0000;
/// Where an AIL=3 interrupt lands, added to its vector.
pub(crate) const AIL_3_OFFSET: u64 = 0xc000_0000_0000_4000;

/// The priority of a queued interrupt: its bit in
/// `vcpu->arch.pending_exceptions` (`BOOK3S_IRQPRIO_*`). A lower bit is
/// delivered first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u32)]
pub(crate) enum Priority {
    SystemReset = 0,
    DataSegment = 1,
    InstSegment = 2,
    DataStorage = 3,
    InstStorage = 4,
    Alignment = 5,
    Program = 6,
    FpUnavail = 7,
    Altivec = 8,
    Vsx = 9,
    FacUnavail = 10,
    Syscall = 11,
    MachineCheck = 12,
    Debug = 13,
    External = 14,
    Decrementer = 15,
    PerformanceMonitor = 16,
}

/// `BOOK3S_IRQPRIO_MAX`: bits at or above it are not priorities.
pub(crate) const PRIORITY_MAX: u32 = 17;

impl Priority {
    /// The priority whose bit is `bit`, if any.
    pub(crate) fn from_bit(bit: u32) -> Option<Self> {
        use Priority::*;
        Some(match bit {
            0 => SystemReset,
            1 => DataSegment,
            2 => InstSegment,
            3 => DataStorage,
            4 => InstStorage,
            5 => Alignment,
            6 => Program,
            7 => FpUnavail,
            8 => Altivec,
            9 => Vsx,
            10 => FacUnavail,
            11 => Syscall,
            12 => MachineCheck,
            13 => Debug,
            14 => External,
            15 => Decrementer,
            16 => PerformanceMonitor,
            _ => return None,
        })
    }

    /// Its bit in the pending word.
    pub(crate) fn bit(self) -> u32 {
        self as u32
    }

    /// Whether it is queued in the pending word `pending`.
    pub(crate) fn is_in(self, pending: u64) -> bool {
        pending & (1 << self.bit()) != 0
    }

    /// The vector it is delivered at.
    pub(crate) fn vector(self) -> u32 {
        use Priority::*;
        match self {
            SystemReset => vector::SYSTEM_RESET,
            DataSegment => vector::DATA_SEGMENT,
            InstSegment => vector::INST_SEGMENT,
            DataStorage => vector::DATA_STORAGE,
            InstStorage => vector::INST_STORAGE,
            Alignment => vector::ALIGNMENT,
            Program => vector::PROGRAM,
            FpUnavail => vector::FP_UNAVAIL,
            Altivec => vector::ALTIVEC,
            Vsx => vector::VSX,
            FacUnavail => vector::FAC_UNAVAIL,
            Syscall => vector::SYSCALL,
            MachineCheck => vector::MACHINE_CHECK,
            Debug => vector::TRACE,
            External => vector::EXTERNAL,
            Decrementer => vector::DECREMENTER,
            PerformanceMonitor => vector::PERFMON,
        }
    }

    /// Maskable by the guest: delivered only while its `MSR_EE` is set, and
    /// never by this host to a nested-v2 guest, whose L0 hypervisor
    /// delivers them.
    pub(crate) fn maskable(self) -> bool {
        matches!(self, Priority::External | Priority::Decrementer)
    }
}

/// The lowest priority pending in `pending` at or after bit `from`.
fn next_pending(pending: u64, from: u32) -> Option<Priority> {
    if from >= PRIORITY_MAX {
        return None;
    }
    // No bit set gives 64 + from: no priority.
    Priority::from_bit((pending >> from).trailing_zeros() + from)
}

/// What [`prepare_to_enter`] needs of a vcpu.
pub(crate) trait PendingInterrupts {
    /// `vcpu->arch.pending_exceptions`, read now: other threads queue
    /// interrupts concurrently (`KVM_INTERRUPT`, the decrementer timer).
    fn pending(&self) -> u64;
    /// Atomically clears `priority`'s bit in the pending word.
    fn clear_pending(&mut self, priority: Priority);
    /// The guest's MSR as it is now.
    fn msr(&self) -> u64;
    /// `kvmhv_is_nestedv2()`: this host is itself a nested-v2 guest.
    fn nestedv2(&self) -> bool;
    /// Reads and clears `vcpu->arch.external_oneshot`, set by
    /// `KVM_INTERRUPT` with `KVM_INTERRUPT_SET`.
    fn take_external_oneshot(&mut self) -> bool;
    /// Delivers the interrupt at `vector`, with no extra SRR1 bits.
    fn deliver(&mut self, vector: u32);
}

/// Whether delivering `priority` also dequeues it. The decrementer stays
/// queued until the guest writes DEC; an external interrupt until userspace
/// lowers the line, unless it was raised as a one-shot.
fn dequeue_on_delivery<V: PendingInterrupts>(v: &mut V, priority: Priority) -> bool {
    match priority {
        Priority::Decrementer => false,
        Priority::External => v.take_external_oneshot(),
        _ => true,
    }
}

/// `kvmppc_core_prepare_to_enter`: delivers queued interrupts before a
/// guest entry.
///
/// Walks the pending bits from the highest priority down. Each one the
/// guest can take now is delivered; the walk stops at the first one that
/// delivery also dequeues. One that stays queued (a decrementer, a
/// level-triggered external interrupt) does not stop it, but delivering it
/// clears `MSR_EE`, so no further maskable interrupt follows it.
///
/// Inline, so that the common case, nothing queued, costs a load and a
/// branch at each entry instead of a call and the walk's frame.
#[inline(always)]
pub(crate) fn prepare_to_enter<V: PendingInterrupts>(v: &mut V) {
    if v.pending() != 0 {
        deliver_pending(v);
    }
}

/// The walk of [`prepare_to_enter`] once something is queued.
#[inline(never)]
fn deliver_pending<V: PendingInterrupts>(v: &mut V) {
    let mut from = 0;
    while let Some(priority) = next_pending(v.pending(), from) {
        let deliverable = !priority.maskable() || (!v.nestedv2() && v.msr() & MSR_EE != 0);
        if deliverable {
            v.deliver(priority.vector());
            if dequeue_on_delivery(v, priority) {
                v.clear_pending(priority);
                return;
            }
        }
        from = priority.bit() + 1;
    }
}

/// `kvmppc_set_timer`'s decision for a ceded vcpu: the decrementer is due
/// in this many timebase ticks from `now`, or (`None`) it has expired
/// already and its interrupt must be queued instead of a timer started.
pub(crate) fn dec_due_in(now: u64, expires: u64) -> Option<u64> {
    expires.checked_sub(now)
}

/// The guest registers after an interrupt is delivered to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// Where the guest was: its PC before delivery.
    pub(crate) srr0: u64,
    /// Its MSR before delivery (the bits SRR1 keeps), with the
    /// interrupt's own SRR1 bits.
    pub(crate) srr1: u64,
    /// The vector, or its AIL=3 alias.
    pub(crate) pc: u64,
    /// The MSR the guest takes interrupts with.
    pub(crate) msr: u64,
}

impl Delivery {
    /// What delivering the interrupt at `vector`, with `srr1_flags`, does to
    /// a guest at `pc` with `msr`, given the vcpu's `intr_msr` and its
    /// vcore's `lpcr`.
    ///
    /// A transaction in progress is suspended. With `LPCR[AIL]` = 3 and the
    /// guest translating both instructions and data, the interrupt is taken
    /// with relocation on at `0xc000_0000_0000_4000` + vector, except a
    /// system reset or machine check. (AIL = 2 is not supported, as in C.)
    pub(crate) fn new(
        vector: u32,
        srr1_flags: u64,
        msr: u64,
        pc: u64,
        intr_msr: u64,
        lpcr: u64,
    ) -> Self {
        let mut new_msr = intr_msr;
        let mut new_pc = u64::from(vector);
        if msr & MSR_TS_MASK == MSR_TS_T {
            new_msr |= MSR_TS_S;
        } else {
            new_msr |= msr & MSR_TS_MASK;
        }
        let ail_applies = vector != vector::SYSTEM_RESET
            && vector != vector::MACHINE_CHECK
            && lpcr & LPCR_AIL == LPCR_AIL_3
            && msr & (MSR_IR | MSR_DR) == MSR_IR | MSR_DR;
        if ail_applies {
            new_msr |= MSR_IR | MSR_DR;
            new_pc = new_pc.wrapping_add(AIL_3_OFFSET);
        }
        Delivery {
            srr0: pc,
            srr1: (msr & SRR1_MSR_BITS) | srr1_flags,
            pc: new_pc,
            msr: new_msr,
        }
    }
}
