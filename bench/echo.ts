/**
 * The round-trip baseline of the small-files benchmark: a child that prints
 * "listening PORT", takes one connection and echoes every byte until it closes. Another
 * process on the other end, so a round trip costs what it costs icqsend and icqrecv.
 */
import net from 'node:net';

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.pipe(socket);
  socket.on('close', () => server.close());
  socket.on('error', () => socket.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as net.AddressInfo).port}\n`);
});
