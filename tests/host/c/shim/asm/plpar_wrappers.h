/* SPDX-License-Identifier: GPL-2.0 */
/* See kvm_hv_rs_shim.h. */
#include "kvm_hv_rs_shim.h"
