// Which kernel the module is built for. The module's build and the test VM
// (which boots that kernel) both ask, so it lives here, apart from either.
import { existsSync, readdirSync, realpathSync } from 'node:fs';

function versionOf(headersDir) {
  return headersDir.replace(/\/+$/, '').split('/').pop().replace(/^linux-headers-/, '');
}

/**
 * $KDIR's kernel, else the newest installed linux-headers-*-amd64 that has a
 * matching /boot/vmlinuz.
 */
export function kernelVersion() {
  if (process.env.KDIR) {
    // /lib/modules/<ver>/build is a link to /usr/src/linux-headers-<ver>.
    const version = versionOf(realpathSync(process.env.KDIR));
    if (!existsSync(`/boot/vmlinuz-${version}`))
      throw new Error(`KDIR=${process.env.KDIR} is kernel ${version}, but /boot/vmlinuz-${version} is missing`);
    return version;
  }
  const versions = readdirSync('/usr/src')
    .filter((d) => /^linux-headers-.*-amd64$/.test(d))
    .map(versionOf)
    .filter((v) => existsSync(`/boot/vmlinuz-${v}`))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (versions.length === 0)
    throw new Error('no linux-headers-*-amd64 with a matching /boot/vmlinuz-*: install linux-image-amd64 and linux-headers-amd64');
  return versions.at(-1);
}

/** The kernel build tree to build the module against: $KDIR, else that kernel's headers. */
export function kernelBuildDir() {
  return process.env.KDIR ?? `/usr/src/linux-headers-${kernelVersion()}`;
}
