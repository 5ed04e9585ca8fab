/**
 * The baseline of the throughput and memory benchmarks: a plain Node TCP copy, with the
 * defaults a Node programmer gets without trying (fs streams, pipeline).
 *
 *   node baseline-copy.js recv OUTFILE          prints "listening PORT", takes one connection,
 *                                               writes what arrives to OUTFILE, exits
 *   node baseline-copy.js send HOST PORT FILE   streams FILE into a connection to HOST:PORT
 */
import { createReadStream, createWriteStream } from 'node:fs';
import net from 'node:net';
import { pipeline } from 'node:stream/promises';

async function main(argv: string[]): Promise<void> {
  const [mode, ...args] = argv;
  if (mode === 'recv' && args.length === 1) {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.stdout.write(`listening ${(server.address() as net.AddressInfo).port}\n`);
    const socket = await new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    server.close();
    await pipeline(socket, createWriteStream(args[0]!));
  } else if (mode === 'send' && args.length === 3) {
    const socket = net.connect({ host: args[0]!, port: Number(args[1]) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    await pipeline(createReadStream(args[2]!), socket);
  } else {
    process.stderr.write('usage: baseline-copy recv OUTFILE | send HOST PORT FILE\n');
    process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`baseline-copy: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
