/** The contracts the package ships ABIs, bytecode and typed factories for. */
export const SHIPPED_CONTRACTS = [
  "ChannelFactory",
  "ChannelMastercopy",
  "TransferRegistry",
  "HashlockTransfer",
  "Withdraw",
  "TestToken",
  "ThreadTransfer",
] as const;

export type ShippedContract = (typeof SHIPPED_CONTRACTS)[number];
