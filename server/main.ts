// Browser mode's command line (bundled to dist/server/server.js):
//   node dist/server/server.js --port N --backend auto|simulated|windows|linux [--host H] [--allow-host H:P]...
// Prints exactly one line, "SharedMemory web UI: http://HOST:N/?token=TOKEN",
// and serves until SIGINT/SIGTERM, then releases and closes the device.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  BackendUnavailableError,
  backendChoices,
  isBackendChoice,
  loadDriverService,
  selectBackend,
} from '../electron/service/backend-selection.js';
import { SharedMemoryService } from '../electron/service/shared-memory-service.js';
import { parseAllowedHost } from './host-allowlist.js';
import { startWebServer } from './web-server.js';

const USAGE =
  'usage: start:web [--port N] [--backend auto|simulated|windows|linux] [--host H] [--allow-host H:P]... [--static DIR]\n' +
  '  --port     TCP port (default 5199; 0 picks a free one)\n' +
  '  --backend  which driver to use (default auto: the kernel driver if it opens, else simulated)\n' +
  '  --host     address to bind (default 127.0.0.1; anything else exposes the device to the network)\n' +
  '  --allow-host  a further host:port the page is opened under (a port forward in front of this server);\n' +
  '             requests naming any other host get 421 (127.0.0.1, localhost, [::1] and --host are always served)\n' +
  '  --static   the built window (default: dist/renderer next to this server)';

function fail(message: string): never {
  console.error(`SharedMemory web: ${message}`);
  process.exit(2);
}

interface CommandLine {
  port: number;
  backend: string;
  host: string;
  allowHosts: string[];
  staticDir: string;
}

function parseCommandLine(argv: string[]): CommandLine {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '5199' },
        backend: { type: 'string', default: 'auto' },
        host: { type: 'string', default: '127.0.0.1' },
        'allow-host': { type: 'string', multiple: true, default: [] },
        static: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) fail(`--port must be 0..65535, not "${values.port}"\n${USAGE}`);
  if (!values.host || /[\s/]/.test(values.host)) fail(`--host must be an address, not "${values.host}"`);
  const allowHosts = values['allow-host'];
  try {
    allowHosts.forEach(parseAllowedHost);
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const staticDir = resolve(values.static ?? join(here, '..', 'renderer'));
  return { port, backend: values.backend, host: values.host, allowHosts, staticDir };
}

async function main(): Promise<void> {
  const args = parseCommandLine(process.argv.slice(2));
  if (!isBackendChoice(args.backend)) fail(`--backend must be one of ${backendChoices.join(', ')}, not "${args.backend}"`);
  if (!existsSync(join(args.staticDir, 'index.html'))) {
    fail(`the window is not built (${join(args.staticDir, 'index.html')} is missing): run npm run build`);
  }

  let selected;
  try {
    selected = await selectBackend(args.backend);
  } catch (error) {
    if (error instanceof BackendUnavailableError) fail(error.message);
    throw error;
  }
  const service = new SharedMemoryService({
    ...selected,
    driverService: await loadDriverService(),
  });

  let server;
  try {
    server = await startWebServer({
      service,
      events: service,
      staticDir: args.staticDir,
      host: args.host,
      port: args.port,
      allowHosts: args.allowHosts,
    });
  } catch (error) {
    await service.dispose();
    fail(`cannot listen on ${args.host}:${args.port}: ${error instanceof Error ? error.message : String(error)}`);
  }
  console.log(`SharedMemory web UI: ${server.url}`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server
      .close()
      .then(() => service.dispose())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`SharedMemory web: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
