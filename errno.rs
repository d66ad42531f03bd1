// SPDX-License-Identifier: GPL-2.0

//! The kernel's error numbers, as the pure files use them.
//!
//! The files that decide (`vcpu/run.rs`, `vcpu/single.rs`, `vcpu/vcore.rs`)
//! use only `core`, so that `tests/host` builds them; they cannot name
//! `kernel::error::Error`. [`Errno`] is their error type instead of a raw
//! `i32`; the kernel side converts it to and from `Error` at the boundary
//! (`vcpu/hv.rs`), where the constants below are also checked against the
//! kernel's at compile time.

use core::fmt;

/// A kernel error number, `EINTR` for one: what C returns negated.
///
/// # Invariants
///
/// The number is in `1..=4095`, the range of the kernel's errnos
/// (`MAX_ERRNO`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Errno(u16);

impl Errno {
    /// `EINTR`: interrupted by a signal.
    pub(crate) const EINTR: Errno = Errno(4);
    /// `ENOMEM`.
    pub(crate) const ENOMEM: Errno = Errno(12);
    /// `EBUSY`.
    pub(crate) const EBUSY: Errno = Errno(16);
    /// `EINVAL`.
    pub(crate) const EINVAL: Errno = Errno(22);

    /// The errno of C's return value `r`: `Some` for `-4095..=-1`.
    pub(crate) fn from_ret(r: i32) -> Option<Errno> {
        // INVARIANT: `-r` is in 1..=4095.
        (-4095..=-1).contains(&r).then(|| Errno(-r as u16))
    }

    /// The number, positive.
    pub(crate) const fn get(self) -> u16 {
        self.0
    }

    /// The value C returns and stores for it (in `vcpu->arch.ret`, from
    /// the ops): the number negated.
    pub(crate) const fn to_ret(self) -> i32 {
        -(self.0 as i32)
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Errno::EINTR => f.write_str("EINTR"),
            Errno::ENOMEM => f.write_str("ENOMEM"),
            Errno::EBUSY => f.write_str("EBUSY"),
            Errno::EINVAL => f.write_str("EINVAL"),
            Errno(n) => write!(f, "Errno({n})"),
        }
    }
}
