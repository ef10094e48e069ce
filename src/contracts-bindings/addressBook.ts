import { getAddress, isAddress } from "ethers";
import { z } from "zod";

const address = z
  .string()
  .refine((value) => isAddress(value), { message: "not an Ethereum address" })
  .transform((value) => getAddress(value));

/** Where the network's contracts live on one chain. */
export const addressBookSchema = z.object({
  chainId: z.number().int().positive(),
  channelFactory: address,
  channelMastercopy: address,
  transferRegistry: address,
  hashlockTransfer: address,
  withdraw: address,
  threadTransfer: address,
  /** Only on development chains: a freely mintable ERC-20. */
  testToken: address.optional(),
});

export type AddressBook = z.infer<typeof addressBookSchema>;

/** Validates an address book read from a file or the network; addresses come back checksummed. */
export function parseAddressBook(value: unknown): AddressBook {
  return addressBookSchema.parse(value);
}
