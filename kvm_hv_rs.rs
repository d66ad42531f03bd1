// SPDX-License-Identifier: GPL-2.0

//! A Rust implementation of the KVM-HV run path for POWER hosts (book3s_hv).
//!
//! The module is loaded instead of `kvm-hv.ko`: it registers its own
//! `struct kvmppc_ops` with kvm.ko, with the members implemented in Rust,
//! and links in the kvm-hv C it has not replaced yet, compiled from kvm-hv's
//! sources (`c/`, `asm/`). See `Documentation/design.rst`.

mod c;
mod compat;
mod errno;
mod host;
mod hpt;
mod ops;
mod trace;
mod vcpu;
mod vm;

use kernel::{debugfs, prelude::*};

module! {
    type: KvmHvRs,
    name: "kvm_hv_rs",
    authors: ["kvm_hv_rs developers"],
    description: "KVM on Book3S (POWER8 and later) in hypervisor mode, run path in Rust",
    license: "GPL",
    params: {
        nested_check: bool {
            default: false,
            description: "On a pseries host, compare what each guest entry hands the hypervisor and takes back with kvm-hv's C (tests)",
        },
    },
}

struct KvmHvRs {
    /// debugfs `kvm_hv_rs/ops`, which owns the registered table: on unload
    /// the file goes first, then the table is unregistered.
    _ops_file: Pin<KBox<debugfs::File<ops::Registered>>>,
    /// debugfs `kvm_hv_rs/hpt_alloc`: HPTs allocated from CMA and the buddy
    /// allocator.
    _hpt_file: Pin<KBox<debugfs::File<()>>>,
    /// debugfs `kvm_hv_rs/nested_check`: the nested entry checks' counts.
    _check_file: Pin<KBox<debugfs::File<()>>>,
    /// The nested entry checks, on with `nested_check=1`.
    _check: vcpu::NestedCheck,
    _debugfs: debugfs::Dir,
}

impl kernel::Module for KvmHvRs {
    fn init(module: &'static ThisModule) -> Result<Self> {
        host::init();
        vcpu::init();
        // Before the table is published: what fails after it may leave a VM
        // holding a reference on a module whose init failed (the debugfs
        // files below still can; see Documentation/design.rst).
        let check = vcpu::NestedCheck::new(module_parameters::nested_check.value())?;
        let table = ops::Registered::new(module)?;
        let dir = debugfs::Dir::new(c"kvm_hv_rs");
        let ops_file = KBox::pin_init(
            dir.read_callback_file(c"ops", table, &ops::describe),
            GFP_KERNEL,
        )?;
        let hpt_file = KBox::pin_init(
            dir.read_callback_file(c"hpt_alloc", (), &hpt::describe_allocations),
            GFP_KERNEL,
        )?;
        let check_file = KBox::pin_init(
            dir.read_callback_file(c"nested_check", (), &vcpu::describe_nested_check),
            GFP_KERNEL,
        )?;
        pr_info!("HV KVM registered: vcpu_run, inject_interrupt, arch_vm_ioctl and get_compat_caps in Rust\n");
        Ok(Self {
            _ops_file: ops_file,
            _hpt_file: hpt_file,
            _check_file: check_file,
            _check: check,
            _debugfs: dir,
        })
    }
}
