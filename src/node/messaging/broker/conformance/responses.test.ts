/**
 * Conformance, nats-server's `allow_responses`: a message with a reply subject delivered to a
 * connection lets it publish to that reply subject `max` times within `expires`, outside its
 * publish allow-list. Same cases for nats-server and our broker.
 */
import { expect, test } from "bun:test";
import { PermissionViolationError, type Status } from "@nats-io/nats-core";
import { describeEachServer, nextStatus, within } from "./harness";
import type { RawClient } from "./raw";
import type { TestUser } from "./servers";

/** Each responder subscribes to requests and publishes (by its allow-list) only its own subjects. */
const responder = (user: string, allowResponses: TestUser["allowResponses"]): TestUser => ({
  user,
  pass: `${user}-secret`,
  publish: [`own.${user}.>`],
  subscribe: ["ask.>"],
  allowResponses,
});

const USERS: TestUser[] = [
  { user: "asker", pass: "asker-secret", publish: ["ask.>"], subscribe: ["rinbox.>"] },
  responder("once", true),
  responder("twice", { max: 2 }),
  responder("brief", { expiresMs: 1000 }),
  responder("plain", undefined),
  // Its allow-list already covers every reply subject: allow_responses changes nothing.
  {
    user: "open",
    pass: "open-secret",
    publish: ["rinbox.>"],
    subscribe: ["ask.>"],
    allowResponses: true,
  },
];
const as = (user: string) => ({ user, pass: `${user}-secret` });

/** nats-server sends its first PING about 2 s into a connection (ours later): not of interest. */
const withoutPings = (text: string) => text.replaceAll("PING\r\n", "");

const denied = (subject: string) => `-ERR 'Permissions Violation for Publish to "${subject}"'\r\n`;

describeEachServer("allow_responses", { users: USERS }, (h) => {
  /** Connects the asker (subscribed to its inbox) and the responders (subscribed to subject). */
  async function setUp(responders: string[]) {
    const subject = h.unique("ask");
    const inbox = h.unique("rinbox");
    const asker = await h.raw({ connect: as("asker") });
    await sync(asker, `SUB ${inbox} 1\r\n`);
    const them: RawClient[] = [];
    for (const name of responders) {
      const raw = await h.raw({ connect: as(name) });
      await sync(raw, `SUB ${subject} 1\r\n`);
      them.push(raw);
    }
    return { subject, inbox, asker, responders: them };
  }

  /** Sends the operations and a PING; resolves with what came back before the PONG. */
  async function sync(raw: RawClient, operations: string): Promise<string> {
    raw.mark();
    raw.write(`${operations}PING\r\n`);
    await raw.waitFor("PONG\r\n");
    const text = withoutPings(raw.sinceMark);
    raw.mark();
    return text;
  }

  /** Everything received since the last mark, up to the PONG of a PING sent now. */
  async function received(raw: RawClient): Promise<string> {
    raw.write("PING\r\n");
    await raw.waitFor((text) => text.endsWith("PONG\r\n"));
    const text = withoutPings(raw.sinceMark);
    raw.mark();
    return text;
  }

  /** The asker publishes a request with this reply subject; each responder has received it. */
  async function ask(asker: RawClient, subject: string, reply: string, them: RawClient[]) {
    for (const r of them) r.mark();
    await sync(asker, `PUB ${subject} ${reply} 3\r\nask\r\n`);
    for (const r of them) {
      await r.waitFor(`MSG ${subject} 1 ${reply} 3\r\nask\r\n`);
      r.mark();
    }
  }

  test("allow_responses: true: one response to a delivered reply subject; the second is refused", async () => {
    const { subject, inbox, asker, responders } = await setUp(["once"]);
    const [once] = responders as [RawClient];
    await ask(asker, subject, inbox, [once]);
    expect(await sync(once, `PUB ${inbox} 3\r\none\r\nPUB ${inbox} 3\r\ntwo\r\n`)).toBe(
      `${denied(inbox)}PONG\r\n`,
    );
    await asker.waitFor(`MSG ${inbox} 1 3\r\none\r\n`);
    expect(await received(asker)).toBe(`MSG ${inbox} 1 3\r\none\r\nPONG\r\n`);
    expect(once.isClosed).toBe(false);
  });

  test("a reply subject never delivered to this connection is refused (delivered to another, or to none)", async () => {
    const { subject, inbox, asker, responders } = await setUp(["once"]);
    const [once] = responders as [RawClient];
    // Same permissions, but not subscribed: the request never reaches it.
    const bystander = await h.raw({ connect: as("once") });
    await ask(asker, subject, inbox, [once]);
    expect(await sync(bystander, `PUB ${inbox} 6\r\nstolen\r\n`)).toBe(`${denied(inbox)}PONG\r\n`);
    const never = h.unique("rinbox");
    expect(await sync(once, `PUB ${never} 5\r\nnever\r\n`)).toBe(`${denied(never)}PONG\r\n`);
    // Its own grant is still there.
    expect(await sync(once, `PUB ${inbox} 6\r\nanswer\r\n`)).toBe("PONG\r\n");
    await asker.waitFor(`MSG ${inbox} 1 6\r\nanswer\r\n`);
    expect(await received(asker)).toBe(`MSG ${inbox} 1 6\r\nanswer\r\nPONG\r\n`);
  });

  test("max 2: two responses pass, the third is refused; delivering the reply subject again renews it", async () => {
    const { subject, inbox, asker, responders } = await setUp(["twice"]);
    const [twice] = responders as [RawClient];
    await ask(asker, subject, inbox, [twice]);
    expect(
      await sync(twice, `PUB ${inbox} 1\r\n1\r\nPUB ${inbox} 1\r\n2\r\nPUB ${inbox} 1\r\n3\r\n`),
    ).toBe(`${denied(inbox)}PONG\r\n`);
    await asker.waitFor(`MSG ${inbox} 1 1\r\n2\r\n`);
    expect(await received(asker)).toBe(
      `MSG ${inbox} 1 1\r\n1\r\nMSG ${inbox} 1 1\r\n2\r\nPONG\r\n`,
    );
    await ask(asker, subject, inbox, [twice]);
    expect(
      await sync(twice, `PUB ${inbox} 1\r\n4\r\nPUB ${inbox} 1\r\n5\r\nPUB ${inbox} 1\r\n6\r\n`),
    ).toBe(`${denied(inbox)}PONG\r\n`);
    await asker.waitFor(`MSG ${inbox} 1 1\r\n5\r\n`);
    expect(await received(asker)).toBe(
      `${["4", "5"].map((n) => `MSG ${inbox} 1 1\r\n${n}\r\n`).join("")}PONG\r\n`,
    );
  });

  test("expires 1s: a response long after the delivery is refused", async () => {
    const { subject, inbox, asker, responders } = await setUp(["brief"]);
    const [brief] = responders as [RawClient];
    const late = h.unique("rinbox");
    await sync(asker, `SUB ${late} 2\r\n`);
    await ask(asker, subject, inbox, [brief]);
    await ask(asker, subject, late, [brief]);
    // At once: well within the second (only a stalled machine would take that long).
    expect(await sync(brief, `PUB ${inbox} 2\r\nok\r\n`)).toBe("PONG\r\n");
    await Bun.sleep(2500);
    expect(await sync(brief, `PUB ${late} 4\r\nlate\r\n`)).toBe(`${denied(late)}PONG\r\n`);
    await asker.waitFor(`MSG ${inbox} 1 2\r\nok\r\n`);
    expect(await received(asker)).toBe(`MSG ${inbox} 1 2\r\nok\r\nPONG\r\n`);
  });

  test("without allow_responses a response outside the allow-list is refused", async () => {
    const { subject, inbox, asker, responders } = await setUp(["plain"]);
    const [plain] = responders as [RawClient];
    await ask(asker, subject, inbox, [plain]);
    expect(await sync(plain, `PUB ${inbox} 2\r\nno\r\n`)).toBe(`${denied(inbox)}PONG\r\n`);
    expect(await received(asker)).toBe("PONG\r\n");
  });

  test("a connection whose allow-list covers the reply subject is unaffected: any number of responses", async () => {
    const { subject, inbox, asker, responders } = await setUp(["open"]);
    const [open] = responders as [RawClient];
    await ask(asker, subject, inbox, [open]);
    expect(
      await sync(open, `PUB ${inbox} 1\r\n1\r\nPUB ${inbox} 1\r\n2\r\nPUB ${inbox} 1\r\n3\r\n`),
    ).toBe("PONG\r\n");
    await asker.waitFor(`MSG ${inbox} 1 1\r\n3\r\n`);
    expect(await received(asker)).toBe(
      `${["1", "2", "3"].map((n) => `MSG ${inbox} 1 1\r\n${n}\r\n`).join("")}PONG\r\n`,
    );
  });

  test("an HPUB response counts the same as a PUB", async () => {
    const { subject, inbox, asker, responders } = await setUp(["once"]);
    const [once] = responders as [RawClient];
    await ask(asker, subject, inbox, [once]);
    const hpub = `HPUB ${inbox} 12 15\r\nNATS/1.0\r\n\r\nabc\r\n`;
    expect(await sync(once, hpub + hpub)).toBe(`${denied(inbox)}PONG\r\n`);
    await asker.waitFor("abc\r\n");
    expect(await received(asker)).toBe(`HMSG ${inbox} 1 12 15\r\nNATS/1.0\r\n\r\nabc\r\nPONG\r\n`);
  });

  test("official clients: request() is answered by respond(); a second respond() is a permissions violation", async () => {
    const asker = await h.tcp({ ...as("asker"), inboxPrefix: "rinbox" });
    const once = await h.tcp(as("once"));
    const subject = h.unique("ask");
    const responded: boolean[] = [];
    once.subscribe(subject, {
      callback: (_e, m) => {
        responded.push(m.respond("first"));
        responded.push(m.respond("second"));
      },
    });
    await once.flush();
    const violation = nextStatus(
      once,
      (s: Status) => s.type === "error" && s.error instanceof PermissionViolationError,
      3000,
      "the second response's permission error",
    );
    const reply = await within(asker.request(subject, "q", { timeout: 2000 }), 3000, "reply");
    expect(reply.string()).toBe("first");
    const status = await violation;
    expect(status.type === "error" && String(status.error)).toContain(
      `Permissions Violation for Publish to "${reply.subject}"`,
    );
    expect(once.isClosed()).toBe(false);
  });
});
