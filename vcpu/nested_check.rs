// SPDX-License-Identifier: GPL-2.0

//! The nested entries' comparison with kvm-hv's C (module parameter
//! `nested_check`, for tests): whether it is on, how many of what each
//! entry hands the outer hypervisor and takes back were compared, and how
//! many differed. The comparisons themselves are C's
//! (`kvmhv_rs_nestedv*_check_*` in `c/book3s_hv.c`): kvm-hv's encoding of
//! the same vcpu.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use kernel::prelude::*;

static ENABLED: AtomicBool = AtomicBool::new(false);
static CHECKED: AtomicU64 = AtomicU64::new(0);
static DIFFERED: AtomicU64 = AtomicU64::new(0);

/// Turns the comparison on or off (module init).
pub(crate) fn set(on: bool) {
    ENABLED.store(on, Relaxed);
}

/// Whether entries are compared.
pub(super) fn enabled() -> bool {
    ENABLED.load(Relaxed)
}

/// Counts one comparison's result `r` (C's: 0 when the same), and says
/// what differed the first 8 times; the count says the rest (a broken field
/// differs at every entry).
pub(super) fn checked(what: &str, r: kernel::ffi::c_long) {
    CHECKED.fetch_add(1, Relaxed);
    if r != 0 && DIFFERED.fetch_add(1, Relaxed) < 8 {
        pr_err!(
            "nested check: {} differs from kvm-hv's C ({:#x})\n",
            what,
            r
        );
    }
}

/// debugfs `kvm_hv_rs/nested_check`: the counts.
pub(crate) fn describe(_: &(), f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
    writeln!(
        f,
        "enabled {} checked {} differed {}",
        u8::from(enabled()),
        CHECKED.load(Relaxed),
        DIFFERED.load(Relaxed)
    )
}
