#!/bin/sh
# Runs inside the guest, as root, with the project root as cwd and the module
# loaded. Starts the browser-mode server on the real driver, then serves the
# host's requests until told to stop.
#
# The guest runs a single command, so this script is the one place that can
# kill the server, run a second process against the device and report back.
# Requests arrive as files CONTROL_DIR/requests/<id>-<verb> (the host writes
# them into the output directory the guest shares read-write); each gets a
# reply CONTROL_DIR/replies/<id>.json, written whole and then renamed so the
# host never reads half a reply. Verbs:
#   query        QUERY the driver from a fresh process
#   kill-server  SIGKILL the server (whatever it holds), reap it, then QUERY
#   stop         SIGTERM the server, reap it, QUERY, and end the guest command
# Usage: guest-supervisor.sh CONTROL_DIR [IDLE_LIMIT_SECONDS [FORWARDED_HOST:PORT]]
# FORWARDED_HOST:PORT is the host side of the port forward the browser uses;
# the server answers only the Host names it is told about.
set -u

ctl=$1
idle_limit=${2:-600}
forwarded=${3:-}
probe=dist/e2e/vm-app/query-device
server_port=8080

if [ ! -d "$ctl/requests" ] || [ ! -d "$ctl/replies" ]; then
	echo "vm-app: control directory $ctl is not prepared" >&2
	exit 2
fi

if [ -n "$forwarded" ]; then
	node dist/server/server.js --port "$server_port" --backend linux --host 0.0.0.0 --allow-host "$forwarded" &
else
	node dist/server/server.js --port "$server_port" --backend linux --host 0.0.0.0 &
fi
server=$!
server_state=running
echo "vm-app: server started as pid $server"

# One JSON object, on one line, from the probe (it prints {"error":...} on failure).
device_json() {
	out=$("$probe" 2>&1) || true
	case $out in
	\{*\}) printf '%s' "$out" ;;
	*) printf '{"error":"probe printed no JSON","output":"%s"}' "$(printf '%s' "$out" | tr -d '"\\\n' | cut -c1-300)" ;;
	esac
}

# The same patterns the harness fails on, counted now rather than at power-off.
kernel_problems() {
	dmesg | grep -cE 'WARNING|BUG|Oops|KASAN|general protection' || true
}

# The server's mappings of the device, from the kernel's own account
# (/proc/PID/maps): ["<start>-<end> <perms>", ...].
server_mappings() {
	if [ "$server_state" != running ]; then
		printf '[]'
		return
	fi
	grep ' /dev/sharedmemory$' "/proc/$server/maps" 2>/dev/null |
		awk 'BEGIN { printf "[" } { printf "%s\"%s %s\"", (NR > 1 ? "," : ""), $1, $2 } END { printf "]" }'
}

reap_server() {
	wait "$server"
	server_state="exited:$?"
	echo "vm-app: server exited ($server_state)"
}

reply() {
	id=$1
	verb=$2
	json=$(printf '{"id":"%s","verb":"%s","server":"%s","serverMappings":%s,"device":%s,"kernelProblems":%s}' \
		"$id" "$verb" "$server_state" "$(server_mappings)" "$(device_json)" "$(kernel_problems)")
	printf '%s\n' "$json" >"$ctl/replies/$id.tmp"
	mv "$ctl/replies/$id.tmp" "$ctl/replies/$id.json"
	echo "vm-app: reply $json"
}

# Counted in 0.2 s ticks: a guard so the guest powers off even if the host
# side dies without sending "stop".
idle_ticks=0
idle_ticks_limit=$((idle_limit * 5))
while :; do
	# A server that died on its own is reported at once (the host waits for
	# its URL line, or for this).
	if [ "$server_state" = running ] && ! kill -0 "$server" 2>/dev/null; then
		reap_server
	fi
	handled=0
	for request in "$ctl"/requests/*; do
		[ -e "$request" ] || continue
		name=${request##*/}
		id=${name%%-*}
		verb=${name#*-}
		rm -f "$request"
		handled=1
		echo "vm-app: request $id $verb"
		case $verb in
		query)
			reply "$id" "$verb"
			;;
		kill-server)
			if [ "$server_state" = running ]; then
				kill -KILL "$server"
				reap_server
			fi
			reply "$id" "$verb"
			;;
		stop)
			if [ "$server_state" = running ]; then
				kill -TERM "$server"
				reap_server
			fi
			reply "$id" "$verb"
			exit 0
			;;
		*)
			printf '{"id":"%s","verb":"%s","error":"unknown verb"}\n' "$id" "$verb" >"$ctl/replies/$id.tmp"
			mv "$ctl/replies/$id.tmp" "$ctl/replies/$id.json"
			;;
		esac
	done
	if [ "$handled" = 1 ]; then
		idle_ticks=0
	else
		idle_ticks=$((idle_ticks + 1))
		if [ "$idle_ticks" -ge "$idle_ticks_limit" ]; then
			echo "vm-app: no request from the host for $idle_limit s; stopping" >&2
			[ "$server_state" = running ] && kill -KILL "$server"
			exit 3
		fi
		sleep 0.2
	fi
done
