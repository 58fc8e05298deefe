import { Command, type CommanderError } from 'commander';
import { backup } from './commands/backup.js';
import { customer } from './commands/customer.js';
import { deleteCustomer } from './commands/customers.js';
import { exportEvents } from './commands/export.js';
import { importEvents } from './commands/import.js';
import { applySegments, checkSegments, listSegments } from './commands/segments.js';
import { send } from './commands/send.js';
import { serve } from './commands/serve.js';
import { defaults } from './env.js';
import { LOG_LEVELS, parseBatchSize, parseServerUrl, parseTimeout } from './flags.js';
import { EXIT, UsageError } from './usage-error.js';
import { cliVersion } from './version.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** Flags every client command shares: where the server is (checked to be a URL before anything is sent). */
const client = <F extends { host: string }>(flags: F) => ({ ...flags, url: parseServerUrl(flags.host) });

const program = new Command()
  .name('odpkit')
  .description('odpkit: an ODP-compatible event server, and a client to send events and look up customers')
  .version(cliVersion(), '-V, --version', 'print the odpkit version')
  .addHelpText(
    'after',
    '\nExit status: 0 done, 1 failed (the server refused, or could not be reached), 2 usage error (a bad flag or argument).',
  )
  // Set before the subcommands are added, so they inherit it. Commander's own usage errors (unknown option, missing
  // argument) exit with 2 like ours; --help and --version exit with 0.
  .exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage))
  .configureOutput({ outputError: (str, write) => write(`odpkit: ${str.replace(/^error: /, '')}`) })
  .showHelpAfterError('(add --help for usage)');

program
  .command('serve')
  .description('start the ODP-compatible server (SQLite by default)')
  .option('--host <host>', 'address to listen on (env ODPKIT_HOST)', defaults.host())
  .option('--port <port>', 'port to listen on, 0-65535; 0 picks a free one (env ODPKIT_PORT)', defaults.port())
  .option('--db <path|url>', 'SQLite file, :memory:, or postgres://… (env ODPKIT_DB)', defaults.db())
  .option('--public-key <key>', "default account's public key (env ODPKIT_PUBLIC_KEY)")
  .option('--private-key <key>', "default account's private key (env ODPKIT_PRIVATE_KEY)")
  .option('--segments <file>', 'segment definitions (JSON array) to apply on start')
  .option(
    '--log-level <level>',
    `server log level on stderr: ${LOG_LEVELS.join(', ')} (env ODPKIT_LOG_LEVEL)`,
    defaults.logLevel(),
  )
  .option('--quiet', 'no request logs or progress notes (log level warn at most); warnings and errors still show')
  .option('--retention <age>', 'delete events older than this in the background, e.g. 400d, 12h (default: keep all)')
  .action((flags) => serve(flags));

program
  .command('send')
  .description('send one event through @odpkit/sdk; exits non-zero with the reason when it is not accepted')
  .argument('<action>', 'the event action, e.g. purchased')
  .option(
    '--id <key=value>',
    'an identifier (repeatable, one value per key), e.g. --id fs_user_id=user123',
    collect,
    [],
  )
  .option('--type <type>', 'event type (default fullstack)')
  .option('--data <key=value>', 'a data value; numbers, true, false and null are typed (repeatable)', collect, [])
  .option('--data-string <key=value>', 'a data value kept as a string (repeatable)', collect, [])
  .option('--host <url>', 'server URL (env ODPKIT_URL)', defaults.url())
  .option('--api-key <key>', 'public key (env ODPKIT_PUBLIC_KEY)')
  .option('--timeout <ms>', 'request timeout in milliseconds', '10000')
  .action(async (action: string, flags) => {
    process.exitCode = await send(action, { ...client(flags), timeout: parseTimeout(flags.timeout) });
  });

program
  .command('customer')
  .description("print a customer's stitched profile, found by any identifier")
  .argument('<key=value>', 'an identifier, e.g. email=a@example.com')
  .option('--host <url>', 'server URL (env ODPKIT_URL)', defaults.url())
  .option('--private-key <key>', 'private key (env ODPKIT_PRIVATE_KEY)')
  .option('--json', 'print the raw JSON')
  .action(async (pair: string, flags) => {
    process.exitCode = await customer(pair, client(flags));
  });

const customers = program.command('customers').description("customers' data: delete");

customers
  .command('delete')
  .description('delete the customer holding an identifier, with all its events and identifiers')
  .argument('<key=value>', 'an identifier, e.g. email=a@example.com')
  .option('--host <url>', 'server URL (env ODPKIT_URL)', defaults.url())
  .option('--private-key <key>', 'private key (env ODPKIT_PRIVATE_KEY)')
  .option('--json', 'print the raw JSON answer')
  .action(async (pair: string, flags) => {
    process.exitCode = await deleteCustomer(pair, client(flags));
  });

program
  .command('export')
  .description('write every event of the account to an NDJSON file (gzip if it ends in .gz), from a server or --db')
  .requiredOption('--out <file>', 'the file to write, e.g. events.ndjson or events.ndjson.gz')
  .option('--since <time>', 'only events received at or after this ISO 8601 time (or ms since the epoch)')
  .option('--until <time>', 'only events received before this time')
  .option('--db <path|url>', 'read this SQLite file or postgres:// URL directly, read-only, instead of a server')
  .option('--host <url>', 'server URL (env ODPKIT_URL)', defaults.url())
  .option(
    '--private-key <key>',
    'private key (env ODPKIT_PRIVATE_KEY); with --db, picks the account (default: the default one)',
  )
  .action(async (flags) => {
    process.exitCode = await exportEvents(flags.db === undefined ? client(flags) : { ...flags, url: '' });
  });

program
  .command('import')
  .description("send an export (or any NDJSON of ODP events) through the server's ingestion, keeping receive times")
  .argument('<file>', 'events.ndjson or events.ndjson.gz')
  .option('--host <url>', 'server URL (env ODPKIT_URL)', defaults.url())
  .option('--private-key <key>', 'private key (env ODPKIT_PRIVATE_KEY)')
  .option('--rejects <file>', 'where rejected lines and reasons go (default: <file>.rejects.ndjson)')
  .option('--batch <n>', 'events per request, 1-1000', '1000')
  .action(async (file: string, flags) => {
    process.exitCode = await importEvents(file, { ...client(flags), batch: parseBatchSize(flags.batch) });
  });

program
  .command('backup')
  .description('a consistent copy of a SQLite database, also while the server runs (PostgreSQL: use pg_dump)')
  .option('--db <path>', 'the SQLite file (env ODPKIT_DB)', defaults.db())
  .requiredOption('--out <file>', 'the copy to write (must not exist)')
  .action(async (flags) => {
    process.exitCode = await backup(flags);
  });

const segments = program.command('segments').description('segment definitions and qualification');

segments
  .command('apply')
  .description('create or replace the definitions of a segment file (JSON array)')
  .argument('<file>', 'the segment file')
  .option('--replace', 'also delete the definitions the file does not have')
  .option('--host <url>', 'server URL (env ODPKIT_URL)', defaults.url())
  .option('--private-key <key>', 'private key (env ODPKIT_PRIVATE_KEY)')
  .action(async (file: string, flags) => {
    process.exitCode = await applySegments(file, client(flags));
  });

segments
  .command('list')
  .description("the account's segment definitions")
  .option('--host <url>', 'server URL (env ODPKIT_URL)', defaults.url())
  .option('--private-key <key>', 'private key (env ODPKIT_PRIVATE_KEY)')
  .option('--json', 'print the definitions as JSON')
  .action(async (flags) => {
    process.exitCode = await listSegments(client(flags));
  });

segments
  .command('check')
  .description(
    'which segments a customer qualifies for, asked through @odpkit/sdk; with the private key, names the server ' +
      'does not define are warned about on stderr',
  )
  .argument('<key=value>', 'an identifier, e.g. fs_user_id=user123')
  .option('--segments <a,b>', 'segments to check (default: every segment the account defines; needs the private key)')
  .option('--host <url>', 'server URL (env ODPKIT_URL)', defaults.url())
  .option('--api-key <key>', 'public key (env ODPKIT_PUBLIC_KEY)')
  .option('--private-key <key>', 'private key, to list the defined segments (env ODPKIT_PRIVATE_KEY)')
  .option('--timeout <ms>', 'request timeout in milliseconds', '10000')
  .action(async (pair: string, flags) => {
    process.exitCode = await checkSegments(pair, { ...client(flags), timeout: parseTimeout(flags.timeout) });
  });

program.parseAsync().catch((err: unknown) => {
  // Messages from the SDK and server may carry their own "odpkit: " prefix; print it once.
  const text = (message: string) => message.replace(/^odpkit: /, '');
  if (err instanceof UsageError) {
    process.stderr.write(`odpkit: ${text(err.message)}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
  process.stderr.write(`odpkit: ${text(err instanceof Error ? err.message : String(err))}${cause}\n`);
  process.exitCode = EXIT.failure;
});
