#!/usr/bin/env node
// The windows-build test stage: cross-builds the driver, checks the .sys is
// an image Windows would load as a kernel driver, test-signs it and verifies
// the signature, builds the Win32 test client and fuzzer, and checks the INF against
// the primitive-driver rules. Each check prints ok/FAIL; the last line is
// "windows-build: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DLL_DYNAMIC_BASE, DLL_NX_COMPAT, MACHINE_AMD64, PE32_PLUS_MAGIC, SUBSYSTEM_NATIVE, SUBSYSTEM_WINDOWS_CUI, parsePe } from './pe-image.mjs';
import { checkInf } from '../../inf/inf-rules.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const outDir = join(root, 'dist', 'driver', 'windows');
const sys = join(outDir, 'sharedmemory.sys');
const signed = join(outDir, 'test-signed', 'sharedmemory.sys');
const client = join(outDir, 'shm-client.exe');
const scratch = mkdtempSync(join(tmpdir(), 'shm-windows-build-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

let passed = 0;
let failed = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (ok) passed++;
  else failed++;
  return ok;
}
function run(command, args) {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`, status: r.status };
}
function finish() {
  console.log(`windows-build: ${passed} passed, ${failed} failed, 0 skipped`);
  process.exit(failed === 0 ? 0 : 1);
}

// The ntoskrnl.exe routines this driver was reviewed to import: each is a
// documented export of Windows 10 1507+ ntoskrnl (ExAllocatePool2, for one, is
// not before 2004). A new import fails the build checks until it is reviewed
// and added here; the mingw import library would link names Windows lacks.
const REVIEWED_IMPORTS = new Set(
  ('DbgPrintEx ExAcquireFastMutex ExAllocatePoolWithTag ExFreePool ExFreePoolWithTag ExReleaseFastMutex ' +
    'IoCreateDevice IoCreateSymbolicLink IoDeleteDevice IoDeleteSymbolicLink IoGetCurrentProcess IofCompleteRequest ' +
    'KeInitializeEvent KeStackAttachProcess KeUnstackDetachProcess ' +
    // Streaming: the spin lock, the timer and its DPC, the event, the clock (HAL.dll).
    'KeAcquireSpinLockAtDpcLevel KeAcquireSpinLockRaiseToDpc KeReleaseSpinLock KeReleaseSpinLockFromDpcLevel ' +
    'KeCancelTimer KeFlushQueuedDpcs KeInitializeDpc KeInitializeTimerEx KeSetTimerEx KeSetEvent ' +
    'KeQueryPerformanceCounter MmGetSystemRoutineAddress ObReferenceObjectByHandle ' +
    'MmAllocatePagesForMdlEx MmFreePagesFromMdl MmMapLockedPagesSpecifyCache MmUnmapLockedPages ' +
    'ObOpenObjectByPointer ObfDereferenceObject ObfReferenceObject PsGetCurrentProcessId PsSetCreateProcessNotifyRoutine ' +
    'RtlAddAccessAllowedAce RtlCreateAcl RtlCreateSecurityDescriptor RtlInitUnicodeString RtlInitializeSid ' +
    'RtlSetDaclSecurityDescriptor RtlSubAuthoritySid ZwClose ZwOpenKey ZwQueryValueKey ZwSetSecurityObject ' +
    '__C_specific_handler memcpy memset').split(' '),
);

// Functions a cross-built driver could import that Windows' ntoskrnl.exe does
// not export (wdmsec.lib is a static library): the image would not load.
const NOT_NTOSKRNL_EXPORTS = ['IoCreateDeviceSecure', 'WdmlibIoCreateDeviceSecure'];

/** The checks that decide whether Windows loads the image as a kernel driver. */
function driverImageProblems(pe) {
  const problems = [];
  const importedFrom = pe.imports.map((i) => i.dll.toLowerCase());
  const functions = pe.imports.flatMap((i) => i.functions);
  if (pe.machine !== MACHINE_AMD64 || pe.magic !== PE32_PLUS_MAGIC) problems.push('not PE32+ for x64');
  if (pe.subsystem !== SUBSYSTEM_NATIVE) problems.push(`subsystem ${pe.subsystem}, not native (1)`);
  if (!importedFrom.every((d) => d === 'ntoskrnl.exe' || d === 'hal.dll'))
    problems.push(`imports from ${importedFrom.join(', ')}`);
  if (functions.some((f) => NOT_NTOSKRNL_EXPORTS.includes(f))) problems.push('imports a wdmsec.lib function');
  if (pe.sections.some((s) => s.writable && s.executable)) problems.push('a section is writable and executable');
  return problems;
}

// 1. Build.
mkdirSync(outDir, { recursive: true });
const build = run('bash', [join(here, 'build.sh'), sys]);
if (!check(build.ok, 'cross-build with clang + lld, warnings as errors')) {
  console.log(build.output);
  finish();
}

// 2. The image.
const pe = parsePe(readFileSync(sys));
const imports = pe.imports.flatMap((i) => i.functions);
check(pe.machine === MACHINE_AMD64 && pe.magic === PE32_PLUS_MAGIC, 'PE32+ image for x64 (AMD64)');
check(pe.subsystem === SUBSYSTEM_NATIVE, `subsystem is native (${pe.subsystem})`);
check(
  (pe.dllCharacteristics & DLL_DYNAMIC_BASE) !== 0 && (pe.dllCharacteristics & DLL_NX_COMPAT) !== 0,
  `relocatable and NX-compatible (DllCharacteristics 0x${pe.dllCharacteristics.toString(16)})`,
);
check(pe.sections.find((s) => s.name === pe.entrySection)?.executable, `entry point DriverEntry in ${pe.entrySection}`);
check(
  pe.imports.length > 0 && pe.imports.every((i) => i.dll.toLowerCase() === 'ntoskrnl.exe' || i.dll.toLowerCase() === 'hal.dll'),
  `imports only from ntoskrnl.exe/HAL.dll (${pe.imports.map((i) => `${i.dll}: ${i.functions.length}`).join(', ')})`,
);
check(!imports.some((f) => NOT_NTOSKRNL_EXPORTS.includes(f)), 'imports nothing from wdmsec.lib (not an ntoskrnl export)');
const unreviewed = imports.filter((f) => !REVIEWED_IMPORTS.has(f));
check(unreviewed.length === 0, `imports only reviewed ntoskrnl exports${unreviewed.length ? ` (new: ${unreviewed.join(', ')})` : ` (${imports.length})`}`);
for (const f of ['MmAllocatePagesForMdlEx', 'MmMapLockedPagesSpecifyCache', 'MmUnmapLockedPages', 'MmFreePagesFromMdl', 'ExFreePool', 'KeStackAttachProcess', 'PsSetCreateProcessNotifyRoutine', 'ZwSetSecurityObject', '__C_specific_handler']) {
  check(imports.includes(f), `imports ${f}`);
}
check(!imports.includes('IoFreeMdl'), 'does not free the page MDL with IoFreeMdl');
const wx = pe.sections.filter((s) => s.writable && s.executable).map((s) => s.name);
check(wx.length === 0, `no section both writable and executable (${pe.sections.map((s) => `${s.name}:${s.writable ? 'W' : ''}${s.executable ? 'X' : ''}`).join(' ')})`);
check(pe.exceptionDirectory.size > 0, `exception data (.pdata) present: ${pe.exceptionDirectory.size / 12} functions`);
check(pe.checksum !== 0 && pe.checksum === pe.computedChecksum, `PE checksum set and correct (0x${pe.checksum.toString(16)})`);
check(driverImageProblems(pe).length === 0, 'the driver-image rules accept it');

// 3. The Win32 test client; the same rules must reject a user-mode program.
const cc = run('x86_64-w64-mingw32-gcc', ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-I', join(root, 'driver', 'include'), join(here, 'client', 'shm-client.c'), '-o', client]);
if (check(cc.ok, 'Win32 test client builds with mingw-w64, warnings as errors')) {
  const problems = driverImageProblems(parsePe(readFileSync(client)));
  check(
    problems.some((p) => p.startsWith('subsystem')) && problems.some((p) => p.startsWith('imports from')),
    `the driver-image rules reject a user-mode program (${problems.join('; ')})`,
  );
} else {
  console.log(cc.output);
}
const fuzz = join(outDir, 'fuzz.exe');
const fuzzCc = run('x86_64-w64-mingw32-gcc', ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-I', join(root, 'driver', 'include'), join(here, 'tests', 'fuzz.c'), '-o', fuzz]);
if (check(fuzzCc.ok, 'Windows fuzzer (tests/fuzz.c) builds with mingw-w64, warnings as errors')) {
  const fuzzPe = parsePe(readFileSync(fuzz));
  const fuzzImports = fuzzPe.imports.map((i) => i.dll.toLowerCase());
  check(
    fuzzPe.machine === MACHINE_AMD64 && fuzzPe.subsystem === SUBSYSTEM_WINDOWS_CUI && fuzzImports.includes('kernel32.dll'),
    `the fuzzer is an x64 console program (subsystem ${fuzzPe.subsystem}, imports ${fuzzImports.join(', ')})`,
  );
} else {
  console.log(fuzzCc.output);
}
const streamTest = join(outDir, 'stream-test.exe');
const streamCc = run('x86_64-w64-mingw32-gcc', ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-I', join(root, 'driver', 'include'), join(here, 'tests', 'stream-test.c'), '-o', streamTest]);
if (!check(streamCc.ok, 'Windows stream client (tests/stream-test.c) builds with mingw-w64, warnings as errors')) console.log(streamCc.output);

// 4. Test signing.
const certDir = join(scratch, 'cert');
const sign = run('bash', [join(here, 'sign-test.sh'), sys, signed, certDir]);
if (check(sign.ok, 'test-signed with osslsigncode and a throw-away certificate')) {
  const verify = run('osslsigncode', ['verify', '-CAfile', join(certDir, 'cert.pem'), '-in', signed]);
  check(verify.ok && /Signature verification: ok/.test(verify.output), 'signature verifies against the throw-away certificate');
  const untrusted = run('osslsigncode', ['verify', '-in', signed]);
  const digests = [...untrusted.output.matchAll(/(Current|Calculated) message digest\s*:\s*([0-9A-F]+)/g)].map((m) => m[2]);
  check(
    !untrusted.ok && digests.length === 2 && digests[0] === digests[1],
    'without that certificate: chain untrusted, but the signed digest matches the image',
  );
  const signedPe = parsePe(readFileSync(signed));
  check(signedPe.certificateTable.size > 0, `signed image has a certificate table (${signedPe.certificateTable.size} bytes)`);
  check(signedPe.checksum === signedPe.computedChecksum, 'signed image checksum correct');
  check(driverImageProblems(signedPe).length === 0, 'signed image still passes the driver-image rules');
  const tampered = join(scratch, 'tampered.sys');
  copyFileSync(signed, tampered);
  const bytes = readFileSync(tampered);
  const text = signedPe.sections.find((s) => s.name === '.text');
  bytes[text.rawOffset + 16] ^= 0xff;
  writeFileSync(tampered, bytes);
  const bad = run('osslsigncode', ['verify', '-CAfile', join(certDir, 'cert.pem'), '-in', tampered]);
  check(!bad.ok && /MISMATCH/.test(bad.output), 'one changed byte of code breaks the signature');
} else {
  console.log(sign.output);
}

// 5. The INF.
const infText = readFileSync(join(root, 'inf', 'sharedmemory.inf'), 'utf8');
for (const r of checkInf(infText)) check(r.ok, `INF: ${r.rule}`);

// 6. The INF rules catch what they claim to catch.
const broken = [
  ['a [Manufacturer] section', (t) => `${t}\n[Manufacturer]\n%ProviderName% = Models,NTamd64\n`, /Manufacturer/],
  ['no PnpLockdown', (t) => t.replace(/^PnpLockdown.*$/m, ''), /PnpLockdown/],
  ['a [DefaultUninstall.NTamd64] section', (t) => `${t}\n[DefaultUninstall.NTamd64]\nDelFiles = SharedMemory.Files\n`, /DefaultUninstall/],
  ['ServiceBinary in %12%', (t) => t.replace('%13%\\sharedmemory.sys', '%12%\\sharedmemory.sys'), /ServiceBinary/],
  ['an undefined %token%', (t) => t.replace('%ServiceDescription%', '%Undefined%'), /token/],
  ['an undecorated [DefaultInstall]', (t) => t.replace('[DefaultInstall.NTamd64]', '[DefaultInstall]'), /DefaultInstall/],
];
for (const [what, mutate, ruleName] of broken) {
  const failedRules = checkInf(mutate(infText)).filter((r) => !r.ok);
  check(failedRules.some((r) => ruleName.test(r.rule)), `INF rules reject an INF with ${what}`);
}

// 7. The Visual Studio 2022 + WDK projects (they cannot be built here): they
//    name the files that exist and the settings this driver needs.
const vcxproj = readFileSync(join(here, 'sharedmemory.vcxproj'), 'utf8');
const clientProj = readFileSync(join(here, 'client', 'shm-client.vcxproj'), 'utf8');
const sln = readFileSync(join(here, 'sharedmemory.sln'), 'utf8');
const items = (xml, tag) => [...xml.matchAll(new RegExp(`<${tag} Include="([^"]+)"`, 'g'))].map((m) => m[1]);
const exists = (from, rel) => {
  try {
    readFileSync(join(from, ...rel.split('\\')));
    return true;
  } catch {
    return false;
  }
};
check(
  /<ConfigurationType>Driver<\/ConfigurationType>/.test(vcxproj) && /<DriverType>WDM<\/DriverType>/.test(vcxproj) &&
    /<PlatformToolset>WindowsKernelModeDriver10\.0<\/PlatformToolset>/.test(vcxproj),
  'sharedmemory.vcxproj: a WDM driver with the WDK toolset',
);
check(/<TreatWarningAsError>true<\/TreatWarningAsError>/.test(vcxproj) && /<SignMode>TestSign<\/SignMode>/.test(vcxproj),
  'sharedmemory.vcxproj: warnings as errors, test-signed');
const projectFiles = [...items(vcxproj, 'ClCompile'), ...items(vcxproj, 'ClInclude'), ...items(vcxproj, 'Inf')];
check(projectFiles.length === 3 && projectFiles.every((f) => exists(here, f)), `sharedmemory.vcxproj: its files exist (${projectFiles.join(', ')})`);
check(items(clientProj, 'ClCompile').every((f) => exists(join(here, 'client'), f)), 'shm-client.vcxproj: its files exist');
const slnProjects = [...sln.matchAll(/^Project\("\{[^}]+\}"\) = "([^"]+)", "([^"]+)", "\{([^}]+)\}"/gm)];
check(
  slnProjects.length === 2 &&
    slnProjects.every(([, , path, guid]) => {
      const xml = exists(here, path) ? readFileSync(join(here, ...path.split('\\')), 'utf8') : '';
      return xml.includes(`<ProjectGuid>{${guid}}</ProjectGuid>`);
    }),
  `sharedmemory.sln: ${slnProjects.map((p) => p[1]).join(' and ')}, paths and GUIDs matching their projects`,
);
finish();
