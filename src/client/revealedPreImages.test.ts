import { expect, test } from "bun:test";
import { RevealedPreImages } from "./revealedPreImages";
import { MemoryStore } from "./store/memory";

const ID_A = `0x${"0a".repeat(32)}`;
const ID_B = `0x${"0b".repeat(32)}`;
const PRE_IMAGE = `0x${"Cd".repeat(32)}`;

test("a revealed pre-image is kept with its transfer, for a dispute to claim it with", async () => {
  const store = new MemoryStore();
  const revealed = new RevealedPreImages(store, "revealed:test");
  await revealed.remember(ID_A.toUpperCase().replace("0X", "0x"), PRE_IMAGE, () => true);
  expect(await revealed.has(ID_A)).toBe(true);
  expect(await revealed.get(ID_A)).toBe(PRE_IMAGE.toLowerCase());
  // Another client on the same store reads it back; transfers no longer active are dropped.
  const again = new RevealedPreImages(store, "revealed:test");
  await again.remember(ID_B, PRE_IMAGE, (id) => id === ID_B);
  expect(await again.has(ID_A)).toBe(false);
  expect(await again.get(ID_B)).toBe(PRE_IMAGE.toLowerCase());
});

test("a record from before pre-images were kept still says the transfer was revealed", async () => {
  const store = new MemoryStore();
  await store.set("revealed:test", JSON.stringify({ [ID_A]: 1 }));
  const revealed = new RevealedPreImages(store, "revealed:test");
  expect(await revealed.has(ID_A)).toBe(true);
  expect(await revealed.get(ID_A)).toBeUndefined();
});
