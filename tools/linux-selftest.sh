#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Conformance against Linux's own iommufd selftests: build
# tools/testing/selftests/iommu/{iommufd,iommufd_fail_nth} from a Linux
# source tree, out of the repository (nothing of Linux's is copied into
# it), run them under libsiommu-preload.so in test mode, and print the
# pass/fail counts per fixture. Every failure must be listed, with its
# reason, in tools/linux-selftest.known; an unlisted failure, or a listed
# one that now passes, makes the run fail.
#
#   tools/linux-selftest.sh [SOURCE] [BUILD]
#
# SOURCE: an extracted Linux tree, or a linux-source-*.tar.xz (default
# /usr/src/linux-source-6.12.tar.xz, Debian 12's linux-source-6.12), of
# which only the files the suite needs are extracted. BUILD: the Meson
# build directory holding libsiommu-preload.so (default build); the suite
# is built in BUILD/linux-selftest. Needs gcc, tar and xz.
#
# Exit status: 0 when every failure is a known one, 1 otherwise, 2 when
# the suite cannot be built.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-/usr/src/linux-source-6.12.tar.xz}
build=${2:-$here/build}
out=$build/linux-selftest
known=$here/tools/linux-selftest.known
preload=$build/src/preload/libsiommu-preload.so
timeout_s=${SIOMMU_SELFTEST_TIMEOUT:-600}

# The files the suite is made of, relative to the tree.
files=(
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/iommu/iommufd.c
	tools/testing/selftests/iommu/iommufd_fail_nth.c
	tools/testing/selftests/iommu/iommufd_utils.h
	drivers/iommu/iommufd/iommufd_test.h
	include/uapi/linux/iommufd.h
	include/uapi/linux/vfio.h
)

die() { echo "linux-selftest: $*" >&2; exit 2; }

[ -e "$src" ] || die "no Linux source at $src"
if [ ! -f "$preload" ]; then
	ninja -C "$build" src/preload/libsiommu-preload.so >/dev/null ||
		die "cannot build $preload"
fi

rm -rf "$out/tree" "$out/stage"
mkdir -p "$out/tree" "$out/stage"
if [ -d "$src" ]; then
	tree=$src
else
	# Only the suite's files, under the tarball's top directory.
	tar -xJf "$src" -C "$out/tree" --wildcards "${files[@]/#/*/}" ||
		die "$src lacks the iommufd selftests"
	tree=$(find "$out/tree" -mindepth 1 -maxdepth 1 -type d | head -1)
fi
for f in "${files[@]}"; do
	[ -f "$tree/$f" ] || die "$tree lacks $f"
done

# The suite's layout, with the uapi headers where an installed kernel's
# would be (as `make headers_install` leaves them: no __user).
s=$out/stage
mkdir -p "$s"/tools/testing/selftests/iommu "$s"/drivers/iommu/iommufd "$s"/include/linux
cp "$tree"/tools/testing/selftests/kselftest{_harness,}.h "$s"/tools/testing/selftests/
cp "$tree"/tools/testing/selftests/iommu/iommufd{.c,_fail_nth.c,_utils.h} \
	"$s"/tools/testing/selftests/iommu/
cp "$tree"/drivers/iommu/iommufd/iommufd_test.h "$s"/drivers/iommu/iommufd/
for h in iommufd vfio; do
	sed 's/__user //' "$tree/include/uapi/linux/$h.h" >"$s"/include/linux/$h.h
done

# Debian's 6.12 stable tree carries selftests that use names its own
# headers lack (GET_HW_INFO's input type, the mock's PASID device flag and
# width, from later kernels). Add them, with the values of the ABI they
# come from, only where the headers lack them.
u="$s"/include/linux/iommufd.h
t="$s"/drivers/iommu/iommufd/iommufd_test.h
if ! grep -q in_data_type "$u"; then
	sed -i 's/^\t__u32 out_data_type;/\tunion {\n\t\t__u32 in_data_type;\n\t\t__u32 out_data_type;\n\t};/' "$u"
fi
if ! grep -q IOMMU_HW_INFO_TYPE_DEFAULT "$u"; then
	sed -i 's/^\tIOMMU_HW_INFO_TYPE_NONE = 0,/&\n\tIOMMU_HW_INFO_TYPE_DEFAULT = 0,/' "$u"
fi
if ! grep -q IOMMU_HW_INFO_FLAG_INPUT_TYPE "$u"; then
	sed -i 's/^struct iommu_hw_info {/#define IOMMU_HW_INFO_FLAG_INPUT_TYPE (1 << 0)\n&/' "$u"
fi
if ! grep -q MOCK_FLAGS_DEVICE_PASID "$t"; then
	sed -i 's/^\tMOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,/&\n\tMOCK_FLAGS_DEVICE_PASID = 1 << 2,/' "$t"
fi
if ! grep -q MOCK_PASID_WIDTH "$t"; then
	sed -i 's/^struct iommu_test_cmd {/#define MOCK_PASID_WIDTH 20\n&/' "$t"
fi

# As the selftests' own Makefile (lib.mk) builds them.
progs=(iommufd iommufd_fail_nth)
for p in "${progs[@]}"; do
	(cd "$s" && gcc -D_GNU_SOURCE -Wall -O2 -Wno-unused-function -isystem include \
		-o "$out/$p" "tools/testing/selftests/iommu/$p.c" -lpthread) ||
		die "cannot build $p"
done

# Run: TAP lines "ok N fixture[.variant].test [# SKIP ...]" / "not ok ...".
for p in "${progs[@]}"; do
	SIOMMU_IOMMUFD_TEST=1 LD_PRELOAD=$preload timeout "$timeout_s" "$out/$p" \
		>"$out/$p.tap" 2>&1 || true
done

# Known divergences: "pattern reason...", the pattern a shell glob on the
# test's full name.
patterns=()
reasons=()
while read -r pat reason; do
	case $pat in ''|'#'*) continue ;; esac
	patterns+=("$pat")
	reasons+=("$reason")
done <"$known"

known_reason() {
	local i
	for i in "${!patterns[@]}"; do
		# shellcheck disable=SC2053
		if [[ $1 == ${patterns[$i]} ]]; then
			echo "${reasons[$i]}"
			return 0
		fi
	done
	return 1
}

declare -A pass fail skip
bad=0
total_pass=0 total_fail=0 total_skip=0 total_known=0
unexplained=() stale=()
for p in "${progs[@]}"; do
	while read -r line; do
		case $line in
		"ok "*|"not ok "*) ;;
		*) continue ;;
		esac
		name=${line#not }
		name=${name#ok }
		name=${name#* }
		name=${name%% *}
		fixture="$p:${name%%.*}"
		pass[$fixture]=${pass[$fixture]:-0}
		fail[$fixture]=${fail[$fixture]:-0}
		skip[$fixture]=${skip[$fixture]:-0}
		if [[ $line == "not ok "* ]]; then
			fail[$fixture]=$((fail[$fixture] + 1))
			total_fail=$((total_fail + 1))
			if known_reason "$name" >/dev/null; then
				total_known=$((total_known + 1))
			else
				unexplained+=("$name")
			fi
		elif [[ $line == *"# SKIP"* ]]; then
			skip[$fixture]=$((skip[$fixture] + 1))
			total_skip=$((total_skip + 1))
		else
			pass[$fixture]=$((pass[$fixture] + 1))
			total_pass=$((total_pass + 1))
			if reason=$(known_reason "$name") && [[ $reason != env:* ]]; then
				stale+=("$name")
			fi
		fi
	done < <(grep -E '^(not )?ok [0-9]+ ' "$out/$p.tap")
done

printf '%-40s %5s %5s %5s\n' fixture pass fail skip
for f in $(printf '%s\n' "${!pass[@]}" | sort); do
	printf '%-40s %5d %5d %5d\n' "$f" "${pass[$f]}" "${fail[$f]}" "${skip[$f]}"
done
echo "linux-selftest: $total_pass passed, $total_fail failed ($total_known known), $total_skip skipped"
if [ $((total_pass + total_fail + total_skip)) -eq 0 ]; then
	echo "linux-selftest: no results; see $out/*.tap" >&2
	bad=1
fi
for n in "${unexplained[@]}"; do
	echo "unexplained failure: $n (see $out/*.tap)"
	bad=1
done
for n in "${stale[@]}"; do
	echo "known divergence now passes: $n (update $known)"
	bad=1
done
exit $bad
