// SPDX-License-Identifier: GPL-2.0

//! The vcpu run path.
//!
//! [`run`] decides what `KVM_RUN` does, [`single`] what one guest entry on
//! POWER9 and later does, [`vcore`] what the vcpus of a POWER8 virtual core
//! do to enter the guest together, and [`interrupt`] which interrupts the
//! guest gets and how, in safe Rust that the host tests also build. `hv`
//! (and, for the POWER8 vcore, `vcore_hv`) carries them out on a kernel
//! vcpu and is the only place in this path that touches C structures.

mod hv;
pub(crate) mod interrupt;
pub(crate) mod run;
pub(crate) mod single;
pub(crate) mod vcore;
mod vcore_hv;

pub(crate) use hv::{inject_interrupt, vcpu_run};
