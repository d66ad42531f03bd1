// SPDX-License-Identifier: GPL-2.0

//! A Rust implementation of the KVM-HV run path for POWER hosts (book3s_hv).
//!
//! The module overlays `kvm-hv.ko`: it copies kvm-hv's `struct kvmppc_ops`,
//! replaces the members implemented in Rust, and publishes the result as
//! `kvmppc_hv_ops` until it is unloaded. See `Documentation/design.rst`.

mod host;
mod hpt;
mod ops;
mod takeover;
mod trace;
mod vcpu;
mod vm;

use kernel::{debugfs, prelude::*};

module! {
    type: KvmHvRs,
    name: "kvm_hv_rs",
    authors: ["kvm_hv_rs developers"],
    description: "KVM-HV run path for POWER (book3s_hv) in Rust",
    license: "GPL",
}

struct KvmHvRs {
    /// debugfs `kvm_hv_rs/ops`, which owns the installed table: on unload
    /// the file goes first, then kvm-hv's table is published again.
    _ops_file: Pin<KBox<debugfs::File<ops::Installed>>>,
    /// debugfs `kvm_hv_rs/hpt_alloc`: HPTs allocated from CMA and the buddy
    /// allocator.
    _hpt_file: Pin<KBox<debugfs::File<()>>>,
    _debugfs: debugfs::Dir,
}

impl kernel::Module for KvmHvRs {
    fn init(module: &'static ThisModule) -> Result<Self> {
        host::init();
        let table = ops::Installed::new(module)?;
        let dir = debugfs::Dir::new(c"kvm_hv_rs");
        let ops_file = KBox::pin_init(
            dir.read_callback_file(c"ops", table, &ops::describe),
            GFP_KERNEL,
        )?;
        let hpt_file = KBox::pin_init(
            dir.read_callback_file(c"hpt_alloc", (), &hpt::describe_allocations),
            GFP_KERNEL,
        )?;
        pr_info!("HV ops table installed, vcpu_run and arch_vm_ioctl in Rust\n");
        Ok(Self {
            _ops_file: ops_file,
            _hpt_file: hpt_file,
            _debugfs: dir,
        })
    }
}
