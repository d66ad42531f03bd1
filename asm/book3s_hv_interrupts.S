/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm-hv's POWER7/8 guest entry, __kvmppc_vcore_entry, linked into
 * kvm_hv_rs.ko from the same source: it saves the host's state and calls
 * kvmppc_hv_entry in the built-in book3s_hv_rmhandlers.S, as in kvm-hv.ko.
 */
#include <book3s_hv_interrupts.S>
