// The stages of `npm test`, in the order they run: fast, cheap checks first so
// a broken build fails early, then the real kernel (QEMU), the browser, Wine,
// the packages, and last a quick benchmark run.
export const stages = [
  {
    name: 'header',
    description: 'the shared ioctl header compiles for Linux and Windows user mode',
    command: 'bash driver/include/test-header.sh',
  },
  {
    name: 'typecheck',
    description: 'tsc --noEmit for the main, preload and renderer projects (strict, real Electron types)',
    command: 'npm run --silent typecheck',
  },
  {
    name: 'lint',
    description: 'ESLint over all TypeScript and JavaScript (typescript-eslint type-aware, React hooks rules), no warnings allowed',
    command: 'npm run --silent lint',
  },
  {
    name: 'unit',
    description: 'Vitest: simulated driver, service, IPC validation, API definition, server, renderer',
    command: 'node scripts/test-unit.mjs',
  },
  {
    name: 'windows-build',
    description: 'cross-build the WDM driver (clang + lld), check the PE image, test-sign and verify it, build the Win32 client, check the INF',
    command: 'node driver/windows/test-build.mjs',
  },
  {
    name: 'linux-vm',
    description: 'the Linux module in a QEMU guest (TCG): C client over every errno row and lifetime case, fuzzer, uid 1000, module reload, the app backend under Node; kernel log must be clean',
    command: 'npm run --silent test:linux',
  },
  {
    name: 'e2e-web',
    description: 'Playwright in /usr/bin/chromium against browser mode (simulated driver); the Electron project where its runtime exists',
    command: 'npm run --silent test:e2e',
  },
  {
    name: 'e2e-vm',
    description: 'Playwright in /usr/bin/chromium against browser mode on the real Linux driver in a QEMU guest: flow, 16 MiB, errors, SIGKILL leak check, kernel log',
    command: 'npm run --silent test:e2e:vm',
  },
  {
    name: 'windows-wine',
    description: 'Wine with a memory manager for its ntoskrnl: install the driver from the INF, run the C client (contract, lifecycle, shared), the multi-process scenarios and the app\'s Windows backend in Windows Node against it; no bug-check line; the detectors\' self-test',
    command: 'node e2e/wine/run-wine-tests.mjs',
  },
  {
    name: 'e2e-wine',
    description: 'Playwright in /usr/bin/chromium against browser mode in Windows Node under Wine on the real Windows driver (memory manager): flow, driver error, totals from a separate process, no bug check',
    command: 'npm run --silent test:e2e:wine',
  },
  {
    name: 'packaging',
    description: 'electron-builder.yml against its schema, installer.nsh under makensis, ci.yml under actionlint, dist:win/dist:linux fail fast offline',
    command:
      'node packaging/test/run-tests.mjs --label packaging packaging/test/builder-config.test.mjs ' +
      'packaging/test/nsis-include.test.mjs packaging/test/workflow.test.mjs packaging/test/dist-offline.test.mjs',
  },
  {
    name: 'packaging-wine',
    description: 'installer.nsh run under Wine (64-bit test build): install, update, uninstall, a driver that will not start',
    command: 'node packaging/test/run-tests.mjs --label packaging-wine packaging/test/nsis-wine.test.mjs',
  },
  {
    name: 'packaging-dkms',
    description: 'sharedmemory-dkms: dpkg-deb, dpkg -i (DKMS builds against linux-headers), modprobe + C client in the VM, purge',
    command: 'node packaging/test/run-tests.mjs --label packaging-dkms packaging/test/dkms-package.test.mjs',
  },
  {
    name: 'bench-quick',
    description: 'benchmarks, quick profile: C and Node benches on the module in the VM, UI round trip; checks the output',
    command: 'npm run --silent bench:quick',
  },
];
