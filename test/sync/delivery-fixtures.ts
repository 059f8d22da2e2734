import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { notificationMessage } from "../../src/store/index.js";
import { type SyncDeps, webhookChannel } from "../../src/sync/index.js";
import { raise } from "../../src/sync/notify.js";

/** A token problem (NT2) raised in `spaceId`, and sent at once to the channels, as the sync engine does. */
export async function raiseTokenRevoked(
  deps: SyncDeps,
  input: { spaceId: string; account: string; now?: Date },
): Promise<string> {
  const n = await raise(deps, {
    spaceId: input.spaceId,
    kind: "token_revoked",
    severity: "alert",
    component: "Apps and Books",
    message: notificationMessage("token.issue", { issue: "revoked", account: input.account }),
    accountId: `acc-${input.account}`,
    now: input.now ?? new Date(),
  });
  if (!n) throw new Error("not raised");
  return n.id;
}

/**
 * A notification webhook on 127.0.0.1 answering `status` (settable: 401 until the
 * administrator fixes the configuration), with the ids of the notifications it accepted.
 */
export async function webhookReceiver(initialStatus = 401) {
  const state = { status: initialStatus, received: [] as string[] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (state.status < 300)
        state.received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")).notification.id);
      res.writeHead(state.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    state,
    channel: (secret: string) => webhookChannel({ url, secret }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
