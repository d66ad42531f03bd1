// SPDX-License-Identifier: GPL-2.0

//! Facts about the host that are fixed once it has booted, read once when
//! the module loads.
//!
//! C tests them through jump labels that cost nothing once patched. From
//! Rust each test would be a call, out of the module, to a helper: a dozen
//! instructions or more, several times per guest entry. The module reads
//! them at `init` instead and keeps them in atomics.
//!
//! * CPU features (`cpu_has_feature`): set up before any module loads.
//! * `kvmhv_on_pseries()`: the host runs without hypervisor mode.
//! * `kvmhv_is_nestedv2()`: the host is a nested-v2 guest; kvm-hv's
//!   set-up decides it (`kvmhv_nested_init()`, which asks the hypervisor
//!   for the API v2 and enables the static key), and this module runs that
//!   set-up in its own `init`: [`read_nested_api`] reads it after, before
//!   the ops table is published. (Read with the rest, before the set-up, it
//!   was false in the first load of a boot: the pseries entry then took
//!   the API v1's path.)
//! * `xics_on_xive()`: the host's interrupt controller is XIVE
//!   (`xive_enabled()`, decided at boot) and it runs in hypervisor mode.
//!
//! The host's compatibility level in the device tree ([`cpu_version`]) is
//! read when asked, as C reads it.

use core::{
    mem::ManuallyDrop,
    ptr::{self, NonNull},
    sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
};
use kernel::{bindings, prelude::*};

static CPU_FEATURES: AtomicU64 = AtomicU64::new(0);
static ON_PSERIES: AtomicBool = AtomicBool::new(false);
static NESTED_V2: AtomicBool = AtomicBool::new(false);
static XICS_ON_XIVE: AtomicBool = AtomicBool::new(false);

/// Reads the host's facts; called once from the module's `init`, before
/// the ops table is published.
pub(crate) fn init() {
    let mut features = 0u64;
    for bit in 0..u64::BITS {
        let feature = 1u64 << bit;
        // SAFETY: reads the boot-time CPU feature bits; no other effect.
        if unsafe { bindings::cpu_has_feature(feature as usize) } {
            features |= feature;
        }
    }
    CPU_FEATURES.store(features, Relaxed);
    // SAFETY: no preconditions.
    ON_PSERIES.store(unsafe { bindings::kvmhv_on_pseries() }, Relaxed);
    #[cfg(CONFIG_KVM_XICS)]
    // SAFETY: no preconditions.
    XICS_ON_XIVE.store(unsafe { bindings::xics_on_xive() }, Relaxed);
}

/// Reads which nested API the host's hypervisor gave kvm-hv's set-up;
/// called once from the module's `init`, after that set-up and before the
/// ops table is published.
pub(crate) fn read_nested_api() {
    // SAFETY: no preconditions.
    NESTED_V2.store(unsafe { bindings::kvmhv_is_nestedv2() }, Relaxed);
}

/// `cpu_has_feature(feature)`.
pub(crate) fn cpu_has(feature: usize) -> bool {
    CPU_FEATURES.load(Relaxed) & feature as u64 != 0
}

/// `kvmhv_on_pseries()`.
pub(crate) fn on_pseries() -> bool {
    ON_PSERIES.load(Relaxed)
}

/// `kvmhv_is_nestedv2()`.
pub(crate) fn nestedv2() -> bool {
    NESTED_V2.load(Relaxed)
}

/// `xics_on_xive()` (false without `CONFIG_KVM_XICS`, as in C).
pub(crate) fn xics_on_xive() -> bool {
    XICS_ON_XIVE.load(Relaxed)
}

/// The timebase (`get_tb()`): `mfspr 268`, TBRL.
///
/// In the module rather than through a helper call out of it, as C has it
/// inline. C's `mftb()` carries a fix-up for Cell's timebase erratum, which
/// boot patches to nothing on every other CPU; no Cell runs KVM-HV.
#[inline(always)]
pub(crate) fn timebase() -> u64 {
    let tb: u64;
    // SAFETY: reads an SPR that every privilege level may read into a
    // register; no memory, stack or flags are touched.
    unsafe {
        core::arch::asm!("mfspr {0}, 268", out(reg) tb, options(nomem, nostack, preserves_flags))
    };
    tb
}

/// The `cpu-version` of the first device-tree node of type "cpu" that has
/// one: on a pseries host, the logical PVR of the compatibility mode its
/// hypervisor runs it in (`PVR_ARCH_*`). `None` if no CPU node has one.
pub(crate) fn cpu_version() -> Option<u32> {
    let mut node = CpuNode::first();
    while let Some(n) = node {
        if let Some(version) = n.read_u32(c"cpu-version") {
            return Some(version);
        }
        node = n.next();
    }
    None
}

/// A device-tree node of type "cpu", in the order `for_each_node_by_type()`
/// walks them. 7.3's kernel crate walks no device tree (`kernel::of` has
/// match tables only, and its `FwNode` is made from a device, not a node).
///
/// # Invariants
///
/// The pointer is a live `struct device_node` on which this value holds one
/// reference, dropped with it.
struct CpuNode(NonNull<bindings::device_node>);

impl CpuNode {
    /// The first CPU node.
    fn first() -> Option<Self> {
        // SAFETY: NULL starts the walk.
        unsafe { Self::after(ptr::null_mut()) }
    }

    /// The CPU node after this one; this one's reference goes.
    fn next(self) -> Option<Self> {
        // The walk drops `from`'s reference itself: not dropped here too.
        let from = ManuallyDrop::new(self).0.as_ptr();
        // SAFETY: `from` is live with a reference the walk takes over (the
        // type invariant, and `self` is not dropped).
        unsafe { Self::after(from) }
    }

    /// # Safety
    ///
    /// `from` is NULL, or a live node on which the caller holds a reference
    /// it hands over.
    unsafe fn after(from: *mut bindings::device_node) -> Option<Self> {
        // SAFETY: `from` as the caller says; the node returned, if any,
        // comes with a reference taken for the caller (of_find_node_by_type
        // drops `from`'s).
        let node = unsafe { bindings::of_find_node_by_type(from, c"cpu".as_char_ptr()) };
        // INVARIANT: the reference taken above is the value's.
        NonNull::new(node).map(CpuNode)
    }

    /// The node's property `name` as one cell (`of_property_read_u32()`):
    /// `None` if it has none, or one shorter than a cell.
    fn read_u32(&self, name: &CStr) -> Option<u32> {
        let mut value = 0u32;
        // SAFETY: the node is live (type invariant); `name` is a C string;
        // at most one cell is written, into `value`.
        let r = unsafe {
            bindings::of_property_read_variable_u32_array(
                self.0.as_ptr(),
                name.as_char_ptr(),
                &mut value,
                1,
                0,
            )
        };
        (r >= 0).then_some(value)
    }
}

impl Drop for CpuNode {
    fn drop(&mut self) {
        // SAFETY: the value's reference (type invariant), dropped once.
        unsafe { bindings::of_node_put(self.0.as_ptr()) };
    }
}
