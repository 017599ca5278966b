#!/bin/sh
# Runs as root inside the test VM (see e2e/vm/), from the project root, with
# the module loaded. Each part prints its own "<name>: N passed, N failed".
set -u
T=dist/driver/linux/tests
KO=dist/driver/linux/sharedmemory.ko
NODE_CHECK="$T/linux-backend-guest-check.mjs"

# The memory-cgroup scenario needs cgroup v2 where a system has it.
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup

echo "== C client: errno table and lifetime scenarios"
"$T/client-test"

echo "== the same scenarios from a 32-bit process, through compat_ioctl"
"$T/client-test-32"

echo "== C client: streaming (contract section 5)"
"$T/stream-test"

echo "== the streaming scenarios from a 32-bit process, through compat_ioctl"
"$T/stream-test-32"

echo "== fuzzer"
"$T/fuzz" --threads 4 --iterations "${FUZZ_ITERATIONS:-4000}" --seconds "${FUZZ_SECONDS:-30}"

echo "== the app's Linux backend under Node, through SharedMemoryService"
node "$NODE_CHECK"
setpriv --reuid=1000 --regid=1000 --clear-groups node "$NODE_CHECK" --denied

echo "== module load and unload"
passed=0
failed=0
check() {
	what="$1"
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok   module: $what"
	else
		failed=$((failed + 1))
		echo "FAIL module: $what"
	fi
}
mode_is() { [ "$(stat -c '%a %U %G' /dev/sharedmemory)" = "$1" ]; }
params_are() {
	[ "$(cat /sys/module/sharedmemory/parameters/max_size_mib)" = "$1" ] &&
		[ "$(cat /sys/module/sharedmemory/parameters/total_cap_mib)" = "$2" ]
}
# devtmpfs creates the node with the module's own mode, before any udev rule.
check "the module's own node mode is 660 (never world-accessible)" sh -c 'stat -c %a /dev/sharedmemory | grep -qx 660'

# A mapping alone (its fd closed) holds the module; the holder unmaps on a
# line from the fifo and stays alive, so it is munmap that lets rmmod go.
holder_says() {
	i=0
	while ! grep -qx "$1" /tmp/holder.out 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -le 300 ] || return 1
		sleep 0.1
	done
}
rm -f /tmp/holder.in /tmp/holder.out
mkfifo /tmp/holder.in
"$T/client-test" --hold-mapping < /tmp/holder.in > /tmp/holder.out 2>&1 &
holder=$!
exec 3> /tmp/holder.in
check "a process maps an allocation and closes its fd" holder_says mapped
check "the mapping holds the module (refcnt 1)" sh -c 'grep -qx 1 /sys/module/sharedmemory/refcnt'
check "rmmod fails while the mapping is alive (module in use)" sh -c 'rmmod sharedmemory 2>&1 | grep -q "in use"'
check "the module is still there" test -e /dev/sharedmemory
echo >&3
check "the process unmaps" holder_says unmapped
check "rmmod succeeds after munmap, the process still running" sh -c 'kill -0 '"$holder"' && rmmod sharedmemory'
exec 3>&-
wait "$holder"
check "insmod again" insmod "$KO"
check "rmmod succeeds once nothing is open or mapped" rmmod sharedmemory
check "the node goes away with the module" sh -c '! test -e /dev/sharedmemory'
node "$NODE_CHECK" --missing
check "insmod refuses max_size_mib=0" sh -c "! insmod $KO max_size_mib=0 2>/dev/null"
check "insmod with max_size_mib=1 total_cap_mib=2" insmod "$KO" max_size_mib=1 total_cap_mib=2
check "the parameters are visible in sysfs" params_are 1 2
check "a fresh node is root-owned 660" mode_is "660 root root"
check "rmmod again" rmmod sharedmemory
check "insmod with the defaults" insmod "$KO"
check "the defaults are 64 and 256 MiB" params_are 64 256
chgrp sharedmemory /dev/sharedmemory
echo "module: $passed passed, $failed failed"
