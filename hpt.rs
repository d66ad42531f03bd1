// SPDX-License-Identifier: GPL-2.0

//! The hashed page table (HPT) of an HPT guest, and its first-run set-up.
//!
//! [`geometry`] and [`vrma`] decide, in safe Rust that the host tests also
//! build; `hv` carries the set-up out on a kernel VM.

pub(crate) mod geometry;
mod hv;
pub(crate) mod vrma;

pub(crate) use hv::describe_allocations;
