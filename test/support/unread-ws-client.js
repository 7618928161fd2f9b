/**
 * A graphql-ws client, in a process of its own, that stops reading its socket and then sends
 * operations: what a broken or hostile client does to the center. Its own send buffers grow here,
 * not in the process that measures the center.
 *
 * argv: url bearer count bytes. Prints JSON lines: {"acked":true}, {"sent":n}, {"closed":code,"reason":...}.
 * Reads "resume" on stdin: reads its socket again (and so receives what the center sent, its close included).
 */
"use strict";
const WebSocket = require("ws");

const [url, bearer, count, bytes] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const ws = new WebSocket(url, "graphql-transport-ws");
ws.on("error", () => undefined);
ws.on("close", (code, reason) => {
  say({ closed: code, reason: String(reason) });
  process.exit(0);
});
ws.once("open", () => {
  ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${bearer}` } }));
  ws.once("message", () => {
    say({ acked: true });
    ws._socket.pause();
    // Variables that do not fit: the answer echoes them, so each answer is as big as its message.
    const big = "x".repeat(Number(bytes));
    for (let i = 0; i < Number(count); i++) {
      ws.send(
        JSON.stringify({ id: String(i), type: "subscribe", payload: { query: "query($id: ID!) { order(id: $id) { id } }", variables: { id: { big } } } }),
      );
    }
    say({ sent: Number(count) });
  });
});
process.stdin.on("data", (d) => {
  if (String(d).includes("resume")) ws._socket.resume();
});
