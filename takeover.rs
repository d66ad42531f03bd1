// SPDX-License-Identifier: GPL-2.0

//! When the module may take over the HV ops table.
//!
//! Pure logic on what the C side shows at load time; it uses only `core`,
//! so the host unit tests (`tests/host`) build it too.

use core::fmt;

/// What `kvmppc_hv_ops` points at when the module loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Published {
    /// NULL: kvm-hv has not finished its init.
    Nothing,
    /// kvm-hv's own table, `&kvm_ops_hv`.
    KvmHv,
    /// A table that is not kvm-hv's: another module replaced it.
    Other,
}

/// References on kvm-hv that are not VMs: the one the module loader takes
/// for kvm_hv_rs's own symbol dependency on it.
pub(crate) const OWN_REFS: i32 = 1;

/// Why the module refuses to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// kvm-hv has published no table.
    NotPublished,
    /// `kvmppc_hv_ops` is no longer kvm-hv's table.
    Replaced,
    /// VMs created through kvm-hv's table still exist; each holds a
    /// reference on kvm-hv, and C code tells HV VMs from PR VMs by comparing
    /// their table with `kvmppc_hv_ops`, so it must not change under them.
    CVmsExist {
        /// References on kvm-hv beyond [`OWN_REFS`].
        refs: i32,
    },
}

/// Decides whether the table can be taken over, given what `kvmppc_hv_ops`
/// points at and kvm-hv's module reference count.
pub(crate) fn check(published: Published, kvm_hv_refcount: i32) -> Result<(), Refusal> {
    match published {
        Published::Nothing => Err(Refusal::NotPublished),
        Published::Other => Err(Refusal::Replaced),
        Published::KvmHv if kvm_hv_refcount > OWN_REFS => Err(Refusal::CVmsExist {
            refs: kvm_hv_refcount - OWN_REFS,
        }),
        Published::KvmHv => Ok(()),
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotPublished => f.write_str("kvm-hv has not published its ops table"),
            Refusal::Replaced => {
                f.write_str("kvmppc_hv_ops is not kvm-hv's table: another module has replaced it")
            }
            Refusal::CVmsExist { refs } => write!(
                f,
                "kvm-hv is in use ({refs} references): VMs created through its table \
                 still exist, destroy them first"
            ),
        }
    }
}
