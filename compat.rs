// SPDX-License-Identifier: GPL-2.0

//! `kvmppc_ops::get_compat_caps`, for `KVM_PPC_GET_COMPAT_CAPS`: the
//! processor compatibility modes a guest of this host can be run in.
//!
//! A host that is itself a guest (pseries) runs its guests in the modes its
//! own hypervisor allows. On the nested API v2 the hypervisor said which
//! when kvm-hv's set-up asked (`H_GUEST_GET_CAPABILITIES`, kept in
//! `nested_capabilities`); on v1 the host's own compatibility level, the
//! `cpu-version` of its first CPU node that has one, bounds them. A
//! bare-metal host has no answer: `EINVAL`, as kvm-hv's C gives (userspace
//! then uses the host's PVR).
//!
//! The decision is here, in `core` only, so that `tests/host` runs it; the
//! kernel side (`ops.rs`) reads the facts.

use crate::errno::Errno;

/// `KVM_PPC_COMPAT_CAP_POWER9`: a guest can run in POWER9 mode.
pub(crate) const CAP_POWER9: u64 = 1 << 62;
/// `KVM_PPC_COMPAT_CAP_POWER10`.
pub(crate) const CAP_POWER10: u64 = 1 << 61;
/// `KVM_PPC_COMPAT_CAP_POWER11`.
pub(crate) const CAP_POWER11: u64 = 1 << 60;
/// `KVM_PPC_COMPAT_BITMASK`: every bit userspace may be told.
pub(crate) const CAP_MASK: u64 = CAP_POWER9 | CAP_POWER10 | CAP_POWER11;

/// `PVR_ARCH_300`: the logical PVR of ISA v3.00 (POWER9) mode.
pub(crate) const PVR_ARCH_300: u32 = 0x0f00_0005;
/// `PVR_ARCH_31`: ISA v3.1 (POWER10).
pub(crate) const PVR_ARCH_31: u32 = 0x0f00_0006;
/// `PVR_ARCH_31_P11`: ISA v3.1 as POWER11.
pub(crate) const PVR_ARCH_31_P11: u32 = 0x0f00_0007;

/// The host, as the answer depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Host {
    /// Bare metal (powernv).
    PowerNv,
    /// A guest of a nested API v2 hypervisor.
    NestedV2,
    /// A guest of a nested API v1 hypervisor.
    NestedV1,
}

/// The compatibility modes of `host`. `l0_caps` is what the v2 hypervisor
/// allowed (`H_GUEST_CAP_*`, whose POWER9..11 bits are the same as
/// `KVM_PPC_COMPAT_CAP_*`); `cpu_version` reads the v1 host's own level.
/// Each is asked for only on its host kind.
pub(crate) fn capabilities(
    host: Host,
    l0_caps: impl FnOnce() -> u64,
    cpu_version: impl FnOnce() -> Option<u32>,
) -> Result<u64, Errno> {
    let caps = match host {
        Host::PowerNv => return Err(Errno::EINVAL),
        Host::NestedV2 => l0_caps(),
        Host::NestedV1 => of_level(cpu_version().ok_or(Errno::EINVAL)?)?,
    };
    Ok(caps & CAP_MASK)
}

/// The modes of a host running at logical PVR `level`: its own and the
/// older ones down to POWER9 (the oldest a radix guest runs on).
fn of_level(level: u32) -> Result<u64, Errno> {
    match level {
        PVR_ARCH_31_P11 => Ok(CAP_POWER11 | CAP_POWER10 | CAP_POWER9),
        PVR_ARCH_31 => Ok(CAP_POWER10 | CAP_POWER9),
        PVR_ARCH_300 => Ok(CAP_POWER9),
        // No level (C's "not found", a cpu-version of 0), a raw PVR, or an
        // older or newer architecture.
        _ => Err(Errno::EINVAL),
    }
}
