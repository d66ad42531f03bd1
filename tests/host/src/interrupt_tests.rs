// SPDX-License-Identifier: GPL-2.0

//! Tests of `vcpu/interrupt.rs`: the order in which queued interrupts reach
//! an HV guest, and the registers an interrupt delivery leaves, against
//! `kvmppc_core_prepare_to_enter` and `kvmppc_inject_interrupt_hv` of 7.3.

use super::interrupt::{
    prepare_to_enter, vector, Delivery, PendingInterrupts, Priority, LPCR_AIL_3, MSR_DR, MSR_EE,
    MSR_IR, MSR_TS_S, MSR_TS_T, PRIORITY_MAX,
};

const MSR_SF: u64 = 1 << 63;
const MSR_ME: u64 = 1 << 12;
const MSR_LE: u64 = 1;
const MSR_RI: u64 = 1 << 1;
/// `intr_msr` of a little-endian guest (`LPCR_ILE`).
const INTR_MSR: u64 = MSR_SF | MSR_ME | MSR_LE;
/// `SRR1_PROGILL`.
const SRR1_PROGILL: u64 = 0x0008_0000;
const LPCR_AIL_2: u64 = 0x0100_0000;

fn bit(p: Priority) -> u64 {
    1 << p.bit()
}

/// A vcpu whose deliveries change its MSR as the kernel's do.
struct Vcpu {
    pending: u64,
    msr: u64,
    pc: u64,
    nestedv2: bool,
    oneshot: bool,
    delivered: Vec<u32>,
    /// Deliveries leave `MSR_EE` as it was: shows what the walk itself
    /// does after a delivery that leaves the interrupt queued.
    keep_ee: bool,
}

impl Vcpu {
    fn new(pending: u64, msr: u64) -> Self {
        Vcpu {
            pending,
            msr,
            pc: 0x1000,
            nestedv2: false,
            oneshot: false,
            delivered: Vec::new(),
            keep_ee: false,
        }
    }
}

impl PendingInterrupts for Vcpu {
    fn pending(&self) -> u64 {
        self.pending
    }
    fn clear_pending(&mut self, priority: Priority) {
        assert!(self.pending & bit(priority) != 0, "cleared a bit not set");
        self.pending &= !bit(priority);
    }
    fn msr(&self) -> u64 {
        self.msr
    }
    fn nestedv2(&self) -> bool {
        self.nestedv2
    }
    fn take_external_oneshot(&mut self) -> bool {
        std::mem::take(&mut self.oneshot)
    }
    fn deliver(&mut self, vector: u32) {
        self.delivered.push(vector);
        let d = Delivery::new(vector, 0, self.msr, self.pc, INTR_MSR, 0);
        self.pc = d.pc;
        self.msr = if self.keep_ee {
            d.msr | (self.msr & MSR_EE)
        } else {
            d.msr
        };
    }
}

const GUEST_MSR: u64 = MSR_SF | MSR_ME | MSR_LE;

#[test]
fn priorities_are_the_c_bits_and_vectors() {
    use Priority::*;
    // BOOK3S_IRQPRIO_* in bit order, with the vector
    // kvmppc_book3s_irqprio_deliver() delivers each at.
    let table = [
        (SystemReset, 0x100),
        (DataSegment, 0x380),
        (InstSegment, 0x480),
        (DataStorage, 0x300),
        (InstStorage, 0x400),
        (Alignment, 0x600),
        (Program, 0x700),
        (FpUnavail, 0x800),
        (Altivec, 0xf20),
        (Vsx, 0xf40),
        (FacUnavail, 0xf60),
        (Syscall, 0xc00),
        (MachineCheck, 0x200),
        (Debug, 0xd00),
        (External, 0x500),
        (Decrementer, 0x900),
        (PerformanceMonitor, 0xf00),
    ];
    assert_eq!(table.len() as u32, PRIORITY_MAX);
    for (i, (p, vec)) in table.into_iter().enumerate() {
        assert_eq!(p.bit(), i as u32);
        assert_eq!(Priority::from_bit(i as u32), Some(p));
        assert_eq!(p.vector(), vec, "{p:?}");
        assert_eq!(p.maskable(), matches!(p, External | Decrementer), "{p:?}");
    }
    for b in PRIORITY_MAX..64 {
        assert_eq!(Priority::from_bit(b), None);
    }
}

#[test]
fn nothing_pending_delivers_nothing() {
    let mut v = Vcpu::new(0, GUEST_MSR | MSR_EE);
    prepare_to_enter(&mut v);
    assert!(v.delivered.is_empty());
    assert_eq!(v.msr, GUEST_MSR | MSR_EE);
}

#[test]
fn bits_above_the_last_priority_are_ignored() {
    let mut v = Vcpu::new(1 << PRIORITY_MAX | 1 << 40 | 1 << 63, GUEST_MSR | MSR_EE);
    prepare_to_enter(&mut v);
    assert!(v.delivered.is_empty());
    assert_eq!(v.pending, 1 << PRIORITY_MAX | 1 << 40 | 1 << 63);
}

#[test]
fn the_highest_priority_goes_first_and_alone() {
    use Priority::*;
    let queued = bit(Program) | bit(Alignment) | bit(SystemReset) | bit(MachineCheck);
    let mut v = Vcpu::new(queued, GUEST_MSR);
    prepare_to_enter(&mut v);
    assert_eq!(v.delivered, [vector::SYSTEM_RESET]);
    assert_eq!(v.pending, queued & !bit(SystemReset));
    // The next entry delivers the next one.
    prepare_to_enter(&mut v);
    assert_eq!(v.delivered, [vector::SYSTEM_RESET, vector::ALIGNMENT]);
    assert_eq!(v.pending, bit(Program) | bit(MachineCheck));
}

#[test]
fn masked_interrupts_stay_queued_and_do_not_block_others() {
    use Priority::*;
    let mut v = Vcpu::new(
        bit(External) | bit(Decrementer) | bit(PerformanceMonitor),
        GUEST_MSR,
    );
    prepare_to_enter(&mut v);
    // EE is off: the walk passes both and delivers the PMU interrupt.
    assert_eq!(v.delivered, [vector::PERFMON]);
    assert_eq!(v.pending, bit(External) | bit(Decrementer));
}

#[test]
fn a_level_external_interrupt_is_delivered_and_stays_queued() {
    let ext = bit(Priority::External);
    let mut v = Vcpu::new(ext, GUEST_MSR | MSR_EE);
    prepare_to_enter(&mut v);
    assert_eq!(v.delivered, [vector::EXTERNAL]);
    assert_eq!(v.pending, ext);
    assert_eq!(v.msr & MSR_EE, 0);
    // Delivery masked it: the next entry delivers nothing more.
    prepare_to_enter(&mut v);
    assert_eq!(v.delivered, [vector::EXTERNAL]);
}

#[test]
fn a_oneshot_external_interrupt_is_dequeued_with_its_flag() {
    let mut v = Vcpu::new(bit(Priority::External), GUEST_MSR | MSR_EE);
    v.oneshot = true;
    prepare_to_enter(&mut v);
    assert_eq!(v.delivered, [vector::EXTERNAL]);
    assert_eq!(v.pending, 0);
    assert!(!v.oneshot);
}

#[test]
fn a_masked_oneshot_keeps_its_flag_until_delivered() {
    let mut v = Vcpu::new(bit(Priority::External), GUEST_MSR);
    v.oneshot = true;
    prepare_to_enter(&mut v);
    assert!(v.delivered.is_empty());
    assert!(v.oneshot);
    v.msr |= MSR_EE;
    prepare_to_enter(&mut v);
    assert_eq!(v.delivered, [vector::EXTERNAL]);
    assert!(!v.oneshot);
    assert_eq!(v.pending, 0);
}

#[test]
fn the_decrementer_stays_queued_after_delivery() {
    let dec = bit(Priority::Decrementer);
    let mut v = Vcpu::new(dec, GUEST_MSR | MSR_EE);
    prepare_to_enter(&mut v);
    assert_eq!(v.delivered, [vector::DECREMENTER]);
    assert_eq!(v.pending, dec);
}

#[test]
fn the_walk_goes_on_after_an_interrupt_that_stays_queued() {
    use Priority::*;
    // As in C: a delivered decrementer does not end the walk. Were EE
    // still set, the next pending interrupt would be delivered too.
    let mut v = Vcpu::new(
        bit(Decrementer) | bit(PerformanceMonitor),
        GUEST_MSR | MSR_EE,
    );
    v.keep_ee = true;
    prepare_to_enter(&mut v);
    assert_eq!(v.delivered, [vector::DECREMENTER, vector::PERFMON]);
    assert_eq!(v.pending, bit(Decrementer));
    // With real deliveries EE is gone after the first: external then
    // decrementer, both queued, gives one delivery.
    let mut v = Vcpu::new(bit(External) | bit(Decrementer), GUEST_MSR | MSR_EE);
    prepare_to_enter(&mut v);
    assert_eq!(v.delivered, [vector::EXTERNAL]);
}

#[test]
fn nested_v2_never_gets_maskable_interrupts_from_us() {
    use Priority::*;
    let mut v = Vcpu::new(
        bit(External) | bit(Decrementer) | bit(Program),
        GUEST_MSR | MSR_EE,
    );
    v.nestedv2 = true;
    prepare_to_enter(&mut v);
    assert_eq!(v.delivered, [vector::PROGRAM]);
    prepare_to_enter(&mut v);
    assert_eq!(v.delivered, [vector::PROGRAM]);
    assert_eq!(v.pending, bit(External) | bit(Decrementer));
}

#[test]
fn delivery_in_real_mode() {
    let msr = GUEST_MSR | MSR_EE | MSR_RI;
    let d = Delivery::new(vector::EXTERNAL, 0, msr, 0x1234, INTR_MSR, LPCR_AIL_3);
    assert_eq!(
        d,
        Delivery {
            srr0: 0x1234,
            srr1: msr,
            pc: 0x500,
            msr: INTR_MSR,
        }
    );
}

#[test]
fn srr1_keeps_the_msr_bits_and_adds_the_flags() {
    // Bits 33:36 and 42:47 (ISA numbering) of SRR1 belong to the interrupt,
    // not the MSR: 0x783f0000.
    let msr = GUEST_MSR | 0x783f_0000;
    let d = Delivery::new(vector::PROGRAM, SRR1_PROGILL, msr, 0x2000, INTR_MSR, 0);
    assert_eq!(d.srr1, GUEST_MSR | SRR1_PROGILL);
    assert_eq!(d.srr0, 0x2000);
    assert_eq!(d.pc, 0x700);
}

#[test]
fn ail3_relocates_interrupts_of_a_relocated_guest() {
    let msr = GUEST_MSR | MSR_IR | MSR_DR | MSR_EE;
    let d = Delivery::new(
        vector::DECREMENTER,
        0,
        msr,
        0xc000_0000_0001_0000,
        INTR_MSR,
        LPCR_AIL_3,
    );
    assert_eq!(d.pc, 0xc000_0000_0000_4900);
    assert_eq!(d.msr, INTR_MSR | MSR_IR | MSR_DR);
    assert_eq!(d.srr0, 0xc000_0000_0001_0000);
}

#[test]
fn ail_does_not_apply_to_reset_machine_check_real_mode_or_ail2() {
    let reloc = GUEST_MSR | MSR_IR | MSR_DR;
    for vec in [vector::SYSTEM_RESET, vector::MACHINE_CHECK] {
        let d = Delivery::new(vec, 0, reloc, 0, INTR_MSR, LPCR_AIL_3);
        assert_eq!((d.pc, d.msr), (u64::from(vec), INTR_MSR));
    }
    for msr in [GUEST_MSR | MSR_IR, GUEST_MSR | MSR_DR, GUEST_MSR] {
        let d = Delivery::new(vector::EXTERNAL, 0, msr, 0, INTR_MSR, LPCR_AIL_3);
        assert_eq!((d.pc, d.msr), (0x500, INTR_MSR));
    }
    let d = Delivery::new(vector::EXTERNAL, 0, reloc, 0, INTR_MSR, LPCR_AIL_2);
    assert_eq!((d.pc, d.msr), (0x500, INTR_MSR));
}

#[test]
fn a_transaction_is_suspended_by_the_interrupt() {
    let d = Delivery::new(vector::EXTERNAL, 0, GUEST_MSR | MSR_TS_T, 0, INTR_MSR, 0);
    assert_eq!(d.msr, INTR_MSR | MSR_TS_S);
    let d = Delivery::new(vector::EXTERNAL, 0, GUEST_MSR | MSR_TS_S, 0, INTR_MSR, 0);
    assert_eq!(d.msr, INTR_MSR | MSR_TS_S);
    let d = Delivery::new(vector::EXTERNAL, 0, GUEST_MSR, 0, INTR_MSR, 0);
    assert_eq!(d.msr, INTR_MSR);
}

#[test]
fn a_priority_is_in_the_pending_word_at_its_bit() {
    let pending = (1 << Priority::External.bit()) | (1 << Priority::SystemReset.bit());
    assert!(Priority::External.is_in(pending));
    assert!(Priority::SystemReset.is_in(pending));
    assert!(!Priority::Decrementer.is_in(pending));
    assert!(!Priority::External.is_in(0));
}
