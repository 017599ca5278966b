// Checks inf/sharedmemory.inf against Microsoft's rules for a primitive
// driver INF (Windows 10 1903+, "Creating a new primitive driver") and the
// names the project's contract fixes (service SharedMemory, Parameters values).
//
//   node inf/inf-rules.mjs [file.inf]   prints one line per rule, exits 1 on any failure

/** Parses an INF into sections of { key, value, line } entries (keys lower-cased). */
export function parseInf(text) {
  const sections = new Map();
  let current = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = stripComment(raw).trim();
    if (!line) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = header[1].trim().toLowerCase();
      if (!sections.has(current)) sections.set(current, []);
      return;
    }
    if (current === null) throw new Error(`line ${index + 1}: text before the first section`);
    const eq = line.indexOf('=');
    const entry =
      eq < 0
        ? { key: null, value: line, line: index + 1 }
        : { key: line.slice(0, eq).trim().toLowerCase(), value: line.slice(eq + 1).trim(), line: index + 1 };
    sections.get(current).push(entry);
  });
  return sections;
}

/** Drops a ';' comment, except inside double quotes. */
function stripComment(line) {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === ';' && !quoted) return line.slice(0, i);
  }
  return line;
}

const unquote = (v) => v.replace(/^"(.*)"$/, '$1');
const fields = (v) => v.split(',').map((f) => f.trim());

/** Returns [{ ok, rule }] for every rule. */
export function checkInf(text) {
  const results = [];
  const rule = (ok, text) => results.push({ ok: Boolean(ok), rule: text });
  let inf;
  try {
    inf = parseInf(text);
  } catch (error) {
    rule(false, `the INF parses (${error.message})`);
    return results;
  }
  const section = (name) => inf.get(name.toLowerCase()) ?? null;
  const value = (sectionName, key) =>
    section(sectionName)?.find((e) => e.key === key.toLowerCase())?.value ?? null;
  const values = (sectionName, key) =>
    (section(sectionName) ?? []).filter((e) => e.key === key.toLowerCase()).map((e) => e.value);

  // [Version], as for any driver package.
  rule(unquote(value('Version', 'Signature') ?? '') === '$WINDOWS NT$', '[Version] Signature is "$WINDOWS NT$"');
  rule(value('Version', 'Provider'), '[Version] has a Provider');
  rule(value('Version', 'Class'), '[Version] has a Class');
  rule(
    /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i.test(value('Version', 'ClassGuid') ?? ''),
    '[Version] has a ClassGuid in {8-4-4-4-12} form',
  );
  rule(
    /^\d{2}\/\d{2}\/\d{4},\d+\.\d+\.\d+\.\d+$/.test(value('Version', 'DriverVer') ?? ''),
    '[Version] DriverVer is mm/dd/yyyy,w.x.y.z',
  );
  rule(/\.cat$/i.test(value('Version', 'CatalogFile') ?? ''), '[Version] names a catalog file');
  rule(value('Version', 'PnpLockdown') === '1', '[Version] PnpLockdown = 1');

  // What makes it a primitive driver INF.
  rule(!section('Manufacturer'), 'no [Manufacturer] section (no device, no models)');
  rule(
    !section('DefaultInstall') && !section('DefaultInstall.Services'),
    'no undecorated [DefaultInstall] or [DefaultInstall.Services]',
  );
  rule(section('DefaultInstall.NTamd64'), '[DefaultInstall.NTamd64] exists');
  rule(section('DefaultInstall.NTamd64.Services'), '[DefaultInstall.NTamd64.Services] exists');
  rule(
    ![...inf.keys()].some((name) => name.startsWith('defaultuninstall')),
    'no [DefaultUninstall*] section (uninstalling the package undoes the install)',
  );

  // The service: a demand-start kernel driver named as the contract says.
  const addService = values('DefaultInstall.NTamd64.Services', 'AddService').map(fields);
  const service = addService.find((f) => f[0] === 'SharedMemory');
  rule(service, 'AddService installs the service "SharedMemory"');
  const serviceSection = service?.[2] ?? '';
  rule(section(serviceSection), `the service section [${serviceSection}] exists`);
  const serviceValue = (key) => (section(serviceSection) ? value(serviceSection, key) : null);
  rule(serviceValue('ServiceType') === '1', 'ServiceType = 1 (SERVICE_KERNEL_DRIVER)');
  rule(serviceValue('StartType') === '3', 'StartType = 3 (SERVICE_DEMAND_START)');
  rule(['0', '1'].includes(serviceValue('ErrorControl')), 'ErrorControl is 0 or 1');
  rule(
    /^%13%\\sharedmemory\.sys$/i.test(serviceValue('ServiceBinary') ?? ''),
    'ServiceBinary = %13%\\sharedmemory.sys (runs from the driver store)',
  );

  // Files: copied to DIRID 13, each one listed with a known source disk.
  const copySections = values('DefaultInstall.NTamd64', 'CopyFiles').flatMap(fields);
  rule(copySections.length > 0, '[DefaultInstall.NTamd64] copies files');
  const destination = (name) => value('DestinationDirs', name) ?? value('DestinationDirs', 'DefaultDestDir');
  rule(
    copySections.length > 0 && copySections.every((s) => fields(destination(s) ?? '')[0] === '13'),
    'every CopyFiles section goes to DIRID 13',
  );
  const copied = copySections.flatMap((s) => (section(s) ?? []).map((e) => (e.key ?? e.value).split(',')[0].trim()));
  rule(copied.some((f) => f.toLowerCase() === 'sharedmemory.sys'), 'sharedmemory.sys is copied');
  const sourceFiles = new Map((section('SourceDisksFiles') ?? []).map((e) => [e.key, fields(e.value)[0]]));
  const disks = new Set((section('SourceDisksNames') ?? []).map((e) => e.key));
  rule(
    copied.length > 0 && copied.every((f) => disks.has(sourceFiles.get(f.toLowerCase()))),
    'every copied file is in [SourceDisksFiles] with a disk from [SourceDisksNames]',
  );

  // Settings the driver reads (CONTRACT.md: Parameters\MaxSizeMiB, TotalCapMiB, REG_DWORD).
  const addRegSections = (serviceValue('AddReg') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const regLines = addRegSections.flatMap((s) => (section(s) ?? []).map((e) => fields(e.key ? `${e.key}=${e.value}` : e.value)));
  for (const name of ['MaxSizeMiB', 'TotalCapMiB']) {
    rule(
      regLines.some((f) => f[0] === 'HKR' && f[1] === 'Parameters' && f[2] === name && /^0x0*10001$/i.test(f[3] ?? '') && /^\d+$/.test(f[4] ?? '')),
      `AddReg writes Parameters\\${name} as a REG_DWORD`,
    );
  }

  // Every %token% is defined in [Strings] (numbers are DIRIDs).
  const strings = new Set((section('Strings') ?? []).map((e) => e.key));
  const tokens = [...text.matchAll(/%([^%\s]+)%/g)].map((m) => m[1]).filter((t) => !/^\d+$/.test(t));
  const missing = [...new Set(tokens.filter((t) => !strings.has(t.toLowerCase())))];
  rule(missing.length === 0, `every %token% is defined in [Strings]${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import('node:fs');
  const file = process.argv[2] ?? new URL('./sharedmemory.inf', import.meta.url).pathname;
  const results = checkInf(readFileSync(file, 'utf8'));
  for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.rule}`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}
