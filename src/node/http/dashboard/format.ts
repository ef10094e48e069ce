import { formatUnits, ZeroAddress } from "ethers";
import type { NodePublicConfig } from "../types";

/** Every asset the dashboard shows has 18 decimals (ETH and the test token). */
const DECIMALS = 18;

/** An asset's short name: ETH for the native coin, TST for the dev test token, else its address. */
export function assetName(assetId: string, config: NodePublicConfig): string {
  const lower = assetId.toLowerCase();
  if (lower === ZeroAddress) return "ETH";
  if (config.contractAddresses.testToken?.toLowerCase() === lower) return "TST";
  return shortAddress(assetId);
}

/** Base units as a decimal amount of the asset, exact (no rounding). */
export function units(amount: bigint): string {
  return formatUnits(amount, DECIMALS);
}

/** As `units`, cut to 6 decimals with "…" when it has more (base units stay on hover). */
export function shortUnits(amount: bigint): string {
  const exact = units(amount);
  const [whole, fraction = ""] = exact.split(".");
  return fraction.length > 6 ? `${whole}.${fraction.slice(0, 6)}…` : exact;
}

export function shortAddress(address: string): string {
  return address.length > 14 ? `${address.slice(0, 8)}…${address.slice(-6)}` : address;
}

/** `2026-12-05 12:00:03` in UTC. */
export function time(date: Date | null | undefined): string {
  if (!date) return "—";
  return date.toISOString().replace("T", " ").slice(0, 19);
}

/** "+12.5 %", "−3.0 %", "new" (nothing before), "—" (nothing either time). */
export function change(current: number, previous: number): string {
  if (previous === 0) return current === 0 ? "—" : "new";
  const percent = ((current - previous) / previous) * 100;
  const sign = percent > 0 ? "+" : percent < 0 ? "−" : "±";
  return `${sign}${Math.abs(percent).toFixed(1)} %`;
}

/** A bigint ratio as a number, precise enough for a percentage. */
export function ratio(numerator: bigint, denominator: bigint): number {
  if (denominator === 0n) return 0;
  return Number((numerator * 1_000_000n) / denominator) / 1_000_000;
}

export function percent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

export function isAddress(text: string): boolean {
  return /^0x[0-9a-fA-F]{40}$/.test(text);
}

export function isBytes32(text: string): boolean {
  return /^0x[0-9a-fA-F]{64}$/.test(text);
}

/**
 * A transfer's metadata as the dashboard shows it: what the application set (`app`), without
 * the routing envelope (ids, encrypted terms), as JSON cut to `max` characters.
 */
export function metaText(meta: unknown, max = 300): string {
  if (meta === null || meta === undefined) return "";
  const app =
    typeof meta === "object" && "app" in meta ? (meta as { app: unknown }).app : undefined;
  if (app === undefined && typeof meta === "object" && "routing" in meta) return "";
  const text = JSON.stringify(app ?? meta) ?? "";
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
