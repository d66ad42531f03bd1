// SPDX-License-Identifier: GPL-2.0

//! Host unit tests for kvm_hv_rs's pure logic.
//!
//! Each `#[path]` module is a file of the kernel module itself; such files use
//! only `core`, so they build here unchanged.

#![cfg(test)]

#[path = "../../../takeover.rs"]
mod takeover;

mod takeover_tests {
    use super::takeover::{check, Published, Refusal, OWN_REFS};

    #[test]
    fn takes_over_kvm_hv_table_when_only_our_dependency_holds_it() {
        assert_eq!(check(Published::KvmHv, OWN_REFS), Ok(()));
    }

    #[test]
    fn refuses_when_kvm_hv_published_nothing() {
        assert_eq!(
            check(Published::Nothing, OWN_REFS),
            Err(Refusal::NotPublished)
        );
    }

    #[test]
    fn refuses_a_table_that_is_not_kvm_hvs() {
        assert_eq!(check(Published::Other, OWN_REFS), Err(Refusal::Replaced));
        // Whatever the reference count says.
        assert_eq!(
            check(Published::Other, OWN_REFS + 4),
            Err(Refusal::Replaced)
        );
    }

    #[test]
    fn refuses_while_c_vms_hold_kvm_hv() {
        assert_eq!(
            check(Published::KvmHv, OWN_REFS + 1),
            Err(Refusal::CVmsExist { refs: 1 })
        );
        assert_eq!(
            check(Published::KvmHv, OWN_REFS + 7),
            Err(Refusal::CVmsExist { refs: 7 })
        );
    }

    #[test]
    fn absence_is_reported_before_use() {
        assert_eq!(
            check(Published::Nothing, OWN_REFS + 3),
            Err(Refusal::NotPublished)
        );
    }

    #[test]
    fn messages_name_the_cause() {
        // tests/init.sh looks for this text in dmesg.
        assert_eq!(
            Refusal::CVmsExist { refs: 1 }.to_string(),
            "kvm-hv is in use (1 references): VMs created through its table still exist, \
             destroy them first"
        );
        assert!(Refusal::NotPublished.to_string().contains("kvm-hv"));
        assert!(Refusal::Replaced.to_string().contains("another module"));
    }
}
