// SPDX-License-Identifier: GPL-2.0

//! The vcpu run path.
//!
//! [`run`] decides what `KVM_RUN` does, [`single`] what one guest entry on
//! POWER9 and later does, and [`interrupt`] which interrupts the guest gets
//! and how, in safe Rust that the host tests also build;
//! `hv` carries both out on a kernel vcpu and is the only place in this
//! path that touches C structures.

mod hv;
pub(crate) mod interrupt;
pub(crate) mod run;
pub(crate) mod single;

pub(crate) use hv::{inject_interrupt, vcpu_run};
