import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * A server in its own process, for the tests that kill one (SIGKILL) or run several over one database: it runs the
 * BUILT package, exactly what `odpkit serve` runs.
 */

const DIST = new URL('../../dist/index.js', import.meta.url);
export const DIST_PATH = fileURLToPath(DIST);

/** The node's script: the BUILT package, started the way `odpkit serve` starts it, announcing itself on stdout. */
const NODE_SCRIPT = `
const { startServer } = await import(process.argv[1]);
const server = await startServer({ db: process.argv[2], port: 0, logger: false,
  publicKey: process.argv[3], privateKey: process.argv[4] });
process.stdout.write(JSON.stringify({ url: server.url, accountId: server.account.id }) + '\\n');
`;

export interface ServerNode {
  proc: ChildProcess;
  url: string;
  accountId: string;
  /** Resolves with the exit signal or code. */
  exited: Promise<unknown>;
  stop(): Promise<void>;
}

/** One server node in its own process over `db` (a SQLite path or a postgres:// URL), with the given account keys. */
export function startNode(db: string, keys: { publicKey: string; privateKey: string }): Promise<ServerNode> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--input-type=module', '-e', NODE_SCRIPT, DIST.href, db, keys.publicKey, keys.privateKey],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<unknown>((r) => proc.once('exit', (code, signal) => r(signal ?? code)));
    let out = '';
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const info = JSON.parse(out.slice(0, nl)) as { url: string; accountId: string };
      resolve({
        proc,
        ...info,
        exited,
        async stop() {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
          await exited;
        },
      });
    });
    proc.once('exit', (code) => reject(new Error(`server node exited before listening (${code})`)));
    proc.once('error', reject);
  });
}

/**
 * Sends a request whose commit the caller holds up (a lock taken from another connection), releases the lock, and
 * kills the node with SIGKILL the instant the answer is in: the harshest moment for a 202 that came before its commit.
 * `early` says whether the answer arrived while the lock was still held (it must not: nothing can have committed).
 * The wait before releasing only gives a premature answer time to show; a correct server passes whatever it is.
 */
export async function killRightAfterAnswer(
  node: ServerNode,
  send: () => Promise<{ status: number }>,
  release: () => Promise<void> | void,
): Promise<{ early: boolean; status: number }> {
  const response = send().catch(() => ({ status: 0 }));
  const early = await Promise.race([response.then(() => true), new Promise<boolean>((r) => setTimeout(r, 500, false))]);
  if (early) node.proc.kill('SIGKILL');
  await release();
  const { status } = await response;
  if (!early) node.proc.kill('SIGKILL');
  await node.exited;
  return { early, status };
}
