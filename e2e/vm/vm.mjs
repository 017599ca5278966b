// Boots the Debian kernel under QEMU (TCG, never KVM) with a busybox
// initramfs, chroots into this machine's own root (shared read-only over 9p),
// loads the sharedmemory module and runs one shell command as root.
//
//   const vm = await startVm({ guestCommand, outputDir, forwardPorts, memoryMiB,
//                              timeoutSeconds, onOutput });
//   await vm.waitForOutput(/listening/, 30_000);
//   const { exitCode, kernelLog, kernelProblems, durationMs } = await vm.result;
//   await vm.stop();
//
// The guest's ttyS0 carries the kernel console (every message: ignore_loglevel)
// into a file; ttyS1 carries the command's stdout and stderr to onOutput.
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelVersion } from '../../driver/linux/scripts/kernel-version.mjs';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MODULE_PATH = join(PROJECT_ROOT, 'dist/driver/linux/sharedmemory.ko');

/** uid/gid of the unprivileged guest user; it is not in group sharedmemory. */
export const GUEST_USER_ID = 1000;

// What a kernel says when something went wrong in it (BUG also covers
// "BUG: soft lockup" and "kernel BUG at"; panics and hung tasks count too).
const KERNEL_PROBLEM = /\b(WARNING|BUG|Oops|KASAN)\b|general protection|Kernel panic|INFO: task .* blocked/;
const EXIT_MARKER = '__SHM_VM_EXIT__';

// Loaded in this order from /lib/modules/<ver>: 9p over virtio, then virtio-net.
const FS_MODULES = [
  'kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio.ko',
  'kernel/drivers/virtio/virtio_pci_legacy_dev.ko',
  'kernel/drivers/virtio/virtio_pci_modern_dev.ko',
  'kernel/drivers/virtio/virtio_pci.ko',
  'kernel/fs/netfs/netfs.ko',
  'kernel/fs/fscache/fscache.ko',
  'kernel/net/9p/9pnet.ko',
  'kernel/net/9p/9pnet_virtio.ko',
  'kernel/fs/9p/9p.ko',
];
const NET_MODULES = [
  'kernel/net/core/failover.ko',
  'kernel/drivers/net/net_failover.ko',
  'kernel/drivers/net/virtio_net.ko',
];

function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

/** The guest's PID 1: mounts, chroot, command, exit code, power off. */
function initScript({ outputDir, forwardPorts }) {
  const net = forwardPorts.length > 0;
  const modules = [...FS_MODULES, ...(net ? NET_MODULES : [])];
  const R = '/host';
  const hidden = PROJECT_ROOT === '/tmp' || PROJECT_ROOT.startsWith('/tmp/');
  return `#!/bin/busybox sh
/bin/busybox mkdir -p /bin /sbin /proc /sys /dev
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "vm: $*" > /dev/ttyS1; }
finish() {
	echo "${EXIT_MARKER} $1" > /dev/ttyS1
	sync
	poweroff -f
	echo o > /proc/sysrq-trigger
	sleep 5
}
for m in ${modules.map((m) => `/modules/${m.split('/').pop()}`).join(' ')}; do
	insmod "$m" || { say "cannot load $m"; finish 125; }
done
mkdir -p ${R}
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro host ${R} || { say 'cannot mount the host root'; finish 125; }
mount -t devtmpfs devtmpfs ${R}/dev
mount -t proc proc ${R}/proc
mount -t sysfs sysfs ${R}/sys
${hidden ? `# The project lives under /tmp, which the guest's tmpfs would hide: keep it.
mkdir -p /keep && mount -o bind ${shellQuote(R + PROJECT_ROOT)} /keep` : ''}
mount -t tmpfs -o mode=1777 tmpfs ${R}/tmp
${hidden ? `mkdir -p ${shellQuote(R + PROJECT_ROOT)} && mount -o bind /keep ${shellQuote(R + PROJECT_ROOT)}` : ''}
mount -t tmpfs -o mode=755 tmpfs ${R}/run
mkdir -p ${R}/dev/shm ${R}/dev/pts
mount -t tmpfs -o mode=1777 tmpfs ${R}/dev/shm
mount -t devpts devpts ${R}/dev/pts
${outputDir ? `mkdir -p ${shellQuote(R + outputDir)} 2>/dev/null; mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 output ${shellQuote(R + outputDir)} || { say 'cannot mount the output directory'; finish 125; }` : ''}
ip link set lo up
${net ? `ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 || { say 'cannot set up eth0'; finish 125; }` : ''}
cp /setup.sh /command.sh ${R}/run/
chroot ${R} /bin/sh /run/setup.sh > /dev/ttyS1 2>&1 < /dev/null || { say 'guest setup failed'; finish 125; }
chroot ${R} /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 \\
	/bin/sh /run/command.sh > /dev/ttyS1 2>&1 < /dev/null
finish $?
`;
}

/** Runs in the chroot as root before the command: users, group, module, node. */
function setupScript({ loadModule, moduleParams }) {
  return `set -e
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The host's /etc is read-only here: give the guest its own passwd and group
# with a group sharedmemory and an unprivileged user ${GUEST_USER_ID} outside it.
mkdir -p /run/vm-etc
grep -v '^sharedmemory:' /etc/group | sed 's/^\\([^:]*:[^:]*:${GUEST_USER_ID}:\\).*/\\1/' > /run/vm-etc/group
gid=991
while cut -d: -f3 /run/vm-etc/group | grep -qx "$gid"; do gid=$((gid + 1)); done
echo "sharedmemory:x:$gid:" >> /run/vm-etc/group
grep -v ':x\\?:${GUEST_USER_ID}:' /etc/passwd > /run/vm-etc/passwd || true
echo "shmuser:x:${GUEST_USER_ID}:${GUEST_USER_ID}::/tmp:/bin/sh" >> /run/vm-etc/passwd
cut -d: -f3 /run/vm-etc/group | grep -qx ${GUEST_USER_ID} || echo "shmuser:x:${GUEST_USER_ID}:" >> /run/vm-etc/group
mount --bind /run/vm-etc/group /etc/group
mount --bind /run/vm-etc/passwd /etc/passwd
${loadModule ? `insmod ${shellQuote(MODULE_PATH)} ${moduleParams}
# No udevd in the guest: apply what driver/linux/99-sharedmemory.rules says.
chgrp sharedmemory /dev/sharedmemory
chmod 0660 /dev/sharedmemory
echo "vm: module loaded, $(ls -l /dev/sharedmemory)"` : 'echo "vm: module not loaded (loadModule: false)"'}
`;
}

function buildInitramfs(workDir, options) {
  const root = join(workDir, 'initramfs');
  for (const d of ['bin', 'modules', 'host', 'proc', 'sys', 'dev']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  for (const m of [...FS_MODULES, ...NET_MODULES]) {
    const src = `/lib/modules/${options.kernel}/${m}`;
    if (!existsSync(src)) throw new Error(`guest module missing: ${src} (install linux-image-amd64)`);
    copyFileSync(src, join(root, 'modules', m.split('/').pop()));
  }
  writeFileSync(join(root, 'init'), initScript(options), { mode: 0o755 });
  writeFileSync(join(root, 'setup.sh'), setupScript(options), { mode: 0o644 });
  const exports = Object.entries(options.env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
    .join('');
  writeFileSync(
    join(root, 'command.sh'),
    `${exports}cd ${shellQuote(PROJECT_ROOT)} || exit 125\n${options.guestCommand}\n`,
    { mode: 0o644 },
  );
  const image = join(workDir, 'initramfs.cpio');
  const files = execFileSync('find', ['.', '-mindepth', '1'], { cwd: root, encoding: 'utf8' });
  execFileSync('cpio', ['-o', '-H', 'newc', '--quiet', '-O', image], { cwd: root, input: files });
  return image;
}

/**
 * Starts the VM. Resolves once QEMU is running; vm.result settles when the
 * guest powers off, QEMU dies, or timeoutSeconds pass (then QEMU is killed).
 */
export async function startVm({
  guestCommand,
  outputDir,
  forwardPorts = [],
  memoryMiB = 1024,
  cpus = 2,
  timeoutSeconds = 600,
  onOutput = () => {},
  loadModule = true,
  moduleParams = '',
  env = {},
} = {}) {
  if (typeof guestCommand !== 'string' || guestCommand.trim() === '')
    throw new Error('startVm: guestCommand must be a non-empty shell command');
  if (outputDir !== undefined) {
    if (!isAbsolute(outputDir)) outputDir = resolve(outputDir);
    mkdirSync(outputDir, { recursive: true });
    if (!statSync(outputDir).isDirectory()) throw new Error(`startVm: ${outputDir} is not a directory`);
  }
  if (loadModule && !existsSync(MODULE_PATH))
    throw new Error(`startVm: ${MODULE_PATH} is missing: run npm run build:driver:linux first`);
  for (const k of Object.keys(env))
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`startVm: bad environment name ${k}`);
  for (const p of forwardPorts)
    if (!Number.isInteger(p.host) || !Number.isInteger(p.guest))
      throw new Error(`startVm: forwardPorts entries need integer host and guest ports, got ${JSON.stringify(p)}`);

  const kernel = kernelVersion();
  const vmlinuz = `/boot/vmlinuz-${kernel}`;
  const workDir = mkdtempSync(join(tmpdir(), 'sharedmemory-vm-'));
  const consoleLog = join(workDir, 'console.log');
  const cleanup = () => rmSync(workDir, { recursive: true, force: true });

  let initramfs;
  try {
    initramfs = buildInitramfs(workDir, {
      kernel, guestCommand, outputDir, forwardPorts, loadModule, moduleParams, env,
    });
  } catch (error) {
    cleanup();
    throw error;
  }

  const args = [
    '-accel', 'tcg', '-cpu', 'max', '-smp', String(cpus), '-m', String(memoryMiB),
    '-machine', 'q35', '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', vmlinuz, '-initrd', initramfs,
    '-append', 'console=ttyS0,115200 ignore_loglevel panic=-1 rdinit=/init mitigations=off tsc=reliable',
    '-serial', `file:${consoleLog}`,
    '-serial', 'stdio',
    '-monitor', 'none',
    '-virtfs', 'local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap',
  ];
  if (outputDir) args.push('-virtfs', `local,path=${outputDir},mount_tag=output,security_model=none`);
  if (forwardPorts.length > 0) {
    const fwd = forwardPorts.map((p) => `,hostfwd=tcp:127.0.0.1:${p.host}-:${p.guest}`).join('');
    args.push('-netdev', `user,id=n0,restrict=on${fwd}`, '-device', 'virtio-net-pci,netdev=n0');
  }

  const started = Date.now();
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = [];
  const waiters = new Set();
  let exitCode = null;
  let pending = '';
  let stderr = '';

  const onLine = (line) => {
    const marker = line.match(new RegExp(`^${EXIT_MARKER} (\\d+)$`));
    if (marker) {
      exitCode = Number(marker[1]);
      return;
    }
    lines.push(line);
    onOutput(line);
    for (const w of waiters) if (w.regex.test(line)) w.resolve(line);
  };
  qemu.stdout.setEncoding('utf8');
  qemu.stdout.on('data', (chunk) => {
    pending += chunk.replace(/\r/g, '');
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
  });
  qemu.stderr.setEncoding('utf8');
  qemu.stderr.on('data', (d) => { stderr += d; });
  await new Promise((res, rej) => {
    qemu.once('spawn', res);
    qemu.once('error', (e) => { cleanup(); rej(new Error(`cannot start qemu-system-x86_64: ${e.message}`)); });
  });

  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; qemu.kill('SIGKILL'); }, timeoutSeconds * 1000);
  // Never leave a QEMU behind if this process goes away.
  const killOnExit = () => qemu.kill('SIGKILL');
  process.once('exit', killOnExit);

  const result = once(qemu, 'close').then(() => {
    clearTimeout(timer);
    process.removeListener('exit', killOnExit);
    if (pending) onLine(pending);
    const kernelLog = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8').replace(/\r/g, '') : '';
    cleanup();
    for (const w of waiters) w.reject(new Error(`guest ended before printing a line matching ${w.regex}`));
    const kernelProblems = kernelLog.split('\n').filter((l) => KERNEL_PROBLEM.test(l));
    return {
      exitCode: timedOut ? 124 : exitCode ?? 125,
      timedOut,
      kernelLog,
      kernelProblems,
      qemuStderr: stderr,
      durationMs: Date.now() - started,
      output: lines.join('\n'),
    };
  });

  return {
    result,
    /** The temporary directory (initramfs, console log); gone once result settles. */
    workDir,
    waitForOutput(regex, timeoutMs = 60_000) {
      const seen = lines.find((l) => regex.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((res, rej) => {
        const w = {
          regex,
          resolve: (l) => { clearTimeout(w.timer); waiters.delete(w); res(l); },
          reject: (e) => { clearTimeout(w.timer); waiters.delete(w); rej(e); },
        };
        w.timer = setTimeout(() => w.reject(new Error(`no guest line matched ${regex} within ${timeoutMs} ms`)), timeoutMs);
        waiters.add(w);
      });
    },
    async stop() {
      if (qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGKILL');
      await result.catch(() => {});
    },
  };
}
