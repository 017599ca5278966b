// electron-builder.yml against electron-builder's own JSON schema (the one it
// validates with, from node_modules), plus what this project needs from it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { root } from './paths.mjs';

const require = createRequire(import.meta.url);
const schemaPath = join(root, 'node_modules/app-builder-lib/scheme.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
const builderVersion = require(join(root, 'node_modules/electron-builder/package.json')).version;
// The options electron-builder's own validator uses (app-builder-lib schemaValidator).
const validate = new Ajv({ allErrors: true, verbose: true, coerceTypes: true, strict: false }).compile(schema);

const configText = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
const config = () => parse(configText);
const errorsOf = (cfg) => (validate(cfg) ? [] : validate.errors.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`));

test(`electron-builder.yml matches electron-builder ${builderVersion}'s schema`, () => {
  assert.deepEqual(errorsOf(config()), []);
});

test('a misspelt key is rejected (nsis.perMachien)', () => {
  const cfg = config();
  cfg.nsis.perMachien = cfg.nsis.perMachine;
  delete cfg.nsis.perMachine;
  const errors = errorsOf(cfg);
  assert.ok(errors.some((e) => e.includes('/nsis') && e.includes('perMachien')), errors.join('\n'));
});

test('an unknown top-level key and a wrong type are rejected', () => {
  const cfg = config();
  cfg.installerOptions = {};
  cfg.nsis.perMachine = 'sometimes';
  const errors = errorsOf(cfg);
  assert.ok(errors.some((e) => e.includes('installerOptions')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('/nsis/perMachine')), errors.join('\n'));
});

test('electron-builder itself loads the file and accepts it', () => {
  // Its own loader and validator, as `electron-builder` runs them before a build.
  const script = `
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config');
    const { DebugLogger } = require('builder-util');
    (async () => {
      const cfg = await getConfig(process.cwd(), 'electron-builder.yml', null);
      await validateConfiguration(cfg, new DebugLogger(false));
      console.log('valid', cfg.productName);
    })().catch((e) => { console.error(e.message); process.exit(1); });`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
  assert.match(out, /valid SharedMemory/);
});

test('Windows: per-machine NSIS that elevates, includes the driver steps and ships the driver', () => {
  const cfg = config();
  assert.equal(cfg.nsis.perMachine, true);
  assert.equal(cfg.nsis.oneClick, false);
  assert.equal(cfg.nsis.include, 'build/installer.nsh');
  assert.ok(existsSync(join(root, cfg.nsis.include)));
  const driver = cfg.win.extraResources.find((r) => r.to === 'driver');
  assert.ok(driver, 'win.extraResources has the driver');
  assert.equal(driver.from, 'dist/driver/windows');
  for (const f of ['sharedmemory.sys', 'sharedmemory.inf', 'sharedmemory.cat']) assert.ok(driver.filter.includes(f), f);
  // installer.nsh looks for the INF exactly where extraResources puts it.
  assert.match(readFileSync(join(root, cfg.nsis.include), 'utf8'), /\$INSTDIR\\resources\\driver/);
});

test('koffi\'s native module is unpacked from the asar and nothing is rebuilt', () => {
  const cfg = config();
  assert.ok(cfg.asarUnpack.includes('node_modules/koffi/**'));
  assert.ok(cfg.asarUnpack.includes('node_modules/@koromix/**'));
  assert.equal(cfg.npmRebuild, false);
  assert.ok(cfg.files.every((f) => f.startsWith('dist/') || f === 'package.json' || f.startsWith('!')), cfg.files.join(' '));
});

test('Linux: .deb and AppImage; the .deb recommends the DKMS package', () => {
  const cfg = config();
  assert.deepEqual(cfg.linux.target.map((t) => t.target), ['deb', 'AppImage']);
  assert.deepEqual(cfg.deb.recommends, ['sharedmemory-dkms']);
});

test('the icons are real images of the sizes electron-builder wants', () => {
  const png = readFileSync(join(root, 'build/icon.png'));
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.equal(png.readUInt32BE(16), 512, 'width');
  assert.equal(png.readUInt32BE(20), 512, 'height');
  // ICONDIR: reserved 0, type 1, count; then 16-byte entries (width 0 means 256).
  const ico = readFileSync(join(root, 'build/icon.ico'));
  assert.equal(ico.readUInt16LE(0), 0);
  assert.equal(ico.readUInt16LE(2), 1);
  const count = ico.readUInt16LE(4);
  const widths = Array.from({ length: count }, (_, i) => ico[6 + 16 * i] || 256);
  for (const size of [16, 32, 48, 256]) assert.ok(widths.includes(size), `icon.ico has ${size}px (has ${widths})`);
});

const EXPECTED_FUSES = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  onlyLoadAppFromAsar: true,
  enableEmbeddedAsarIntegrityValidation: true,
  grantFileProtocolExtraPrivileges: false,
};

test('Electron fuses: no running as Node, no NODE_OPTIONS or --inspect, app code only from a checked asar', () => {
  assert.deepEqual(config().electronFuses, EXPECTED_FUSES);
  // The packaged app must be an asar for onlyLoadAppFromAsar to leave it runnable.
  assert.notEqual(config().asar, false);
});

test('every fuse named is one electron-builder flips, and a misspelt one is rejected', () => {
  // electron-builder's packager maps each option to @electron/fuses by name.
  const packager = readFileSync(join(root, 'node_modules/app-builder-lib/out/platformPackager.js'), 'utf8');
  for (const name of Object.keys(EXPECTED_FUSES)) assert.ok(packager.includes(`fuses.${name}`), `electron-builder reads fuses.${name}`);
  const cfg = config();
  cfg.electronFuses.runAsNodee = false;
  assert.ok(errorsOf(cfg).some((e) => e.includes('/electronFuses') && e.includes('runAsNodee')), errorsOf(cfg).join('\n'));
});
