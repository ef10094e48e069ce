import type { Connection, Subscription } from "./connection";
import type { PubFrame } from "./parser";
import type { Sublist } from "./sublist";
import { MessageWriter, noRespondersFrame } from "./wire";

/**
 * Fan-out of one published message: every plain subscriber, one member of each queue group
 * (round-robin, skipping members that cannot take it), and the no-responders status back to a
 * requester when nobody received its request.
 */
export class Router {
  private readonly writer: MessageWriter;
  /** The reply subject of the message being routed, once a recipient needed it as a string. */
  private reply: string | undefined;

  constructor(
    private readonly sublist: Sublist<Subscription>,
    maxControlLine: number,
    private readonly markDirty: (conn: Connection) => void,
  ) {
    this.writer = new MessageWriter(maxControlLine);
  }

  publish(from: Connection, frame: PubFrame, subject: string): void {
    const result = this.sublist.match(subject);
    let delivered = 0;
    if (result.plain.length > 0 || result.groups.length > 0) {
      this.writer.start(frame);
      this.reply = undefined;
      for (const sub of result.plain) {
        if (sub.conn === from && !from.echo) continue;
        if (this.deliver(sub, frame)) delivered++;
      }
      for (const group of result.groups) {
        const members = group.members;
        for (let k = 0; k < members.length; k++) {
          const index = (group.next + k) % members.length;
          const sub = members[index] as Subscription;
          if (sub.conn === from && !from.echo) continue;
          if (!this.deliver(sub, frame)) continue;
          group.next = index + 1;
          delivered++;
          break;
        }
      }
    }
    if (delivered === 0 && frame.replyEnd > frame.replyStart && from.noResponders) {
      this.noResponders(from, frame);
    }
  }

  private deliver(sub: Subscription, frame: PubFrame): boolean {
    if (sub.closed) return false;
    const conn = sub.conn;
    if (!this.writer.writeTo(conn.out, sub.sidBytes, conn.headers)) {
      conn.slowConsumer();
      return false;
    }
    this.markDirty(conn);
    // allowResponses: the recipient may now answer on the reply subject (nats-server records
    // it for every delivery, whatever the recipient's allow-list says).
    if (conn.responses !== undefined && frame.replyEnd > frame.replyStart) {
      this.reply ??= frame.buf.toString("latin1", frame.replyStart, frame.replyEnd);
      conn.responses.grant(this.reply);
    }
    sub.delivered++;
    if (sub.max > 0 && sub.delivered >= sub.max) conn.unsubscribe(sub);
    return true;
  }

  /** nats-server answers on the requester's own subscription that matches the reply subject. */
  private noResponders(from: Connection, frame: PubFrame): void {
    const reply = frame.buf.toString("latin1", frame.replyStart, frame.replyEnd);
    const own = this.sublist.match(reply).plain.find((sub) => sub.conn === from && !sub.closed);
    if (own === undefined) return;
    from.send(noRespondersFrame(reply, own.sid));
  }
}
