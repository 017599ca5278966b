// What the kernel and CPU of a machine were set to while the bench ran, read
// from sysfs: transparent hugepages (they change how anonymous memory faults
// in) and the CPU frequency governor (it changes how fast any of it runs).
// Run on the host and in the guest alike; an absent file is recorded as such.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const THP = '/sys/kernel/mm/transparent_hugepage';
const CPUS = '/sys/devices/system/cpu';

/** A sysfs choice file ("always [madvise] never"): the bracketed setting, or why there is none. */
export function sysfsChoice(path) {
  if (!existsSync(path)) return { absent: `${path} does not exist` };
  const options = readFileSync(path, 'utf8').trim();
  const setting = options.match(/\[([^\]]+)\]/)?.[1];
  if (!setting) throw new Error(`${path} names no setting in brackets: "${options}"`);
  return { setting, options };
}

/** The scaling governor of every CPU, or why there is none (no cpufreq driver, as in a QEMU guest). */
export function cpuFrequencyGovernor(cpuDir = CPUS) {
  const cpus = existsSync(cpuDir) ? readdirSync(cpuDir).filter((d) => /^cpu\d+$/.test(d)) : [];
  const governors = cpus
    .map((cpu) => join(cpuDir, cpu, 'cpufreq/scaling_governor'))
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file, 'utf8').trim());
  if (governors.length === 0)
    return { absent: `no ${cpuDir}/cpu*/cpufreq/scaling_governor: no CPU frequency scaling driver` };
  const driverFile = join(cpuDir, 'cpu0/cpufreq/scaling_driver');
  return {
    governors: [...new Set(governors)],
    cpus: governors.length,
    driver: existsSync(driverFile) ? readFileSync(driverFile, 'utf8').trim() : null,
  };
}

/** CPU flags that decide how the kernel copies and clears pages (rep movsb/stosb when set). */
export function stringOpFlags(cpuinfo) {
  const flags = new Set(cpuinfo.match(/^flags\s*:(.*)$/m)?.[1].trim().split(/\s+/) ?? []);
  return Object.fromEntries(['erms', 'fsrm', 'rep_good'].map((f) => [f, flags.has(f)]));
}

export function machineState() {
  return {
    transparentHugepage: { enabled: sysfsChoice(join(THP, 'enabled')), defrag: sysfsChoice(join(THP, 'defrag')) },
    cpuFrequency: cpuFrequencyGovernor(),
  };
}
