// The ceiling of the session benchmark: a bare node:http server that parses each Inform with the XML parser
// the gateway uses (saxes, namespaces on) and answers a fixed InformResponse, then 204 to the empty POST. No
// auth, no state, no store: what one process can do for a session before any ACS work. Prints its URL.
import { createServer } from 'node:http';
import { SaxesParser } from 'saxes';

const INFORM_RESPONSE =
  '<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0">' +
  '<soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">1</cwmp:ID></soap-env:Header>' +
  '<soap-env:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse></soap-env:Body></soap-env:Envelope>';

function parse(body: string): void {
  const parser = new SaxesParser({ xmlns: true, position: false });
  let elements = 0;
  parser.on('opentag', () => {
    elements += 1;
  });
  parser.write(body).close();
  if (elements === 0) throw new Error('no element');
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (body.trim() === '') {
      res.writeHead(204).end();
      return;
    }
    try {
      parse(body);
    } catch {
      res.writeHead(400, { 'Content-Length': '0' }).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/xml; charset="utf-8"', 'Content-Length': Buffer.byteLength(INFORM_RESPONSE), 'Set-Cookie': 'ceiling=1' }).end(INFORM_RESPONSE);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  process.stdout.write(`http://127.0.0.1:${address.port}/cwmp/\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
